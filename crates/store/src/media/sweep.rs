//! What a sweep of leftovers needs from the store: objects with their age, and the temporary
//! files a killed process leaves in a `file://` store (object storage writes `<key>#<n>` and
//! renames it when done; a kill in between leaves it behind, invisible to listings).

use super::{MediaError, MediaStore};
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use std::path::Path;
use std::time::SystemTime;

/// Files looked at per temporary-file sweep at most (bounded work on a large store).
const MAX_VISITED: usize = 200_000;

impl MediaStore {
    /// Keys under a prefix with the time each object was last written.
    pub async fn list_dated(&self, prefix: &str) -> Result<Vec<(String, DateTime<Utc>)>, MediaError> {
        let p = Self::path(prefix)?;
        let metas: Vec<_> = self.inner.list(Some(&p)).try_collect().await?;
        Ok(metas
            .into_iter()
            .map(|m| (m.location.to_string(), m.last_modified))
            .collect())
    }

    /// Removes the temporary files of unfinished writes (`<name>#<digits>`) last written before
    /// `before`, under the folder of a `file://` store; returns how many. Nothing for S3 (its
    /// unfinished multipart uploads are the bucket's lifecycle rules' business).
    pub async fn remove_stale_temp_files(&self, before: SystemTime) -> Result<usize, MediaError> {
        let Some(root) = self.root.clone() else {
            return Ok(0);
        };
        let io = |e: std::io::Error| {
            MediaError::Store(object_store::Error::Generic {
                store: "media",
                source: Box::new(e),
            })
        };
        tokio::task::spawn_blocking(move || remove_temp_files_under(&root, before))
            .await
            .map_err(|e| io(std::io::Error::other(e)))?
            .map_err(io)
    }
}

/// A temporary file of an unfinished write: the object store's own naming.
pub fn is_temp_name(name: &str) -> bool {
    name.rsplit_once('#')
        .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Removes stale temporary files under `dir` and every folder in it; returns how many.
pub fn remove_temp_files_under(dir: &Path, before: SystemTime) -> std::io::Result<usize> {
    let (mut removed, mut visited) = (0, 0);
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let entries = match std::fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in entries.flatten() {
            visited += 1;
            if visited > MAX_VISITED {
                return Ok(removed);
            }
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() {
                todo.push(entry.path());
                continue;
            }
            let stale = entry.metadata().and_then(|m| m.modified()).is_ok_and(|t| t < before);
            if kind.is_file() && stale && is_temp_name(&entry.file_name().to_string_lossy()) {
                match std::fs::remove_file(entry.path()) {
                    Ok(()) => removed += 1,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::is_temp_name;

    #[test]
    fn only_the_object_stores_temporary_names_count() {
        assert!(is_temp_name("take-1.abc.webm#1"));
        assert!(is_temp_name("00000000000000000000-0a0b0c0d#12"));
        assert!(!is_temp_name("take-1.abc.webm"));
        assert!(!is_temp_name("notes#draft"));
        assert!(!is_temp_name("trailing#"));
    }
}
