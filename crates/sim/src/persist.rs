//! A simulator's state file: written whole after each change (temp file, then rename, so a crash
//! leaves the old or the new state, never half of one) and read back at start.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub(crate) struct StateFile {
    path: PathBuf,
    /// Serialises writers so a later snapshot is never overtaken by an earlier one.
    write: Mutex<()>,
}

impl StateFile {
    pub(crate) fn new(path: &Path) -> Self {
        StateFile {
            path: path.to_owned(),
            write: Mutex::new(()),
        }
    }

    /// The saved state, or `None` when there is no file yet. A file that does not parse is an
    /// error: starting empty over it would throw away what the user had.
    pub(crate) fn load<T: DeserializeOwned>(&self, what: &str) -> anyhow::Result<Option<T>> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(e).with_context(|| format!("reading the {what} state file {}", self.path.display()));
            }
        };
        serde_json::from_str(&text).map(Some).map_err(|e| {
            anyhow::anyhow!(
                "the {what} state file {} is not valid ({e}); move it away to start the simulator empty",
                self.path.display()
            )
        })
    }

    /// Writes `snapshot()` (taken while holding the write lock, so snapshots land in order).
    pub(crate) fn save<T: Serialize>(&self, snapshot: impl FnOnce() -> T) -> anyhow::Result<()> {
        let _order = self.write.lock().unwrap_or_else(|e| e.into_inner());
        let bytes = serde_json::to_vec_pretty(&snapshot())?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let tmp = self.path.with_extension("json.tmp");
        write_private(&tmp, &bytes).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &self.path).with_context(|| format!("replacing {}", self.path.display()))?;
        Ok(())
    }
}

/// The state can hold credentials (the iCIMS event target's password), so only the owner reads it.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}
