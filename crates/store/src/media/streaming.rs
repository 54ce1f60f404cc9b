//! Large objects without holding them in memory: sizes, ranged reads, removal, and a multipart
//! writer that uploads fixed-size parts while the caller produces the next one.

use super::{MediaError, MediaStore};
use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use object_store::{GetOptions, GetRange, ObjectStore, PutPayload, WriteMultipart};
use std::ops::Range;

/// An object's bytes as they arrive from the store, in small pieces.
pub type ByteStream = BoxStream<'static, Result<Bytes, MediaError>>;

/// Parts in flight at once while writing; with the part being filled this bounds the memory a
/// writer uses to (WRITE_CONCURRENCY + 1) × its part size.
const WRITE_CONCURRENCY: usize = 2;
/// Part size when copying a local file in (the smallest S3 takes).
const FILE_PART: usize = 5 * 1024 * 1024;

impl MediaStore {
    /// Removes an object; a missing object is not an error.
    pub async fn remove(&self, key: &str) -> Result<(), MediaError> {
        match self.inner.delete(&Self::path(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes every object under a prefix; returns how many there were.
    pub async fn remove_prefix(&self, prefix: &str) -> Result<usize, MediaError> {
        let p = Self::path(prefix)?;
        let locations = self.inner.list(Some(&p)).map_ok(|m| m.location).boxed();
        let deleted: Vec<_> = self
            .inner
            .delete_stream(locations)
            .try_collect()
            .await
            .or_else(|e| match e {
                object_store::Error::NotFound { .. } => Ok(vec![]),
                e => Err(e),
            })?;
        Ok(deleted.len())
    }

    /// The size of an object, or `None` when there is none under the key.
    pub async fn object_size(&self, key: &str) -> Result<Option<u64>, MediaError> {
        match self.inner.head(&Self::path(key)?).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The bytes of `range` of an object (e.g. for HTTP range requests).
    pub async fn read_range(&self, key: &str, range: Range<u64>) -> Result<Vec<u8>, MediaError> {
        Ok(self.inner.get_range(&Self::path(key)?, range).await?.to_vec())
    }

    /// The bytes of `range` of an object as a stream: the file backend reads it in 8 KiB pieces,
    /// S3 passes the HTTP body through, so a response of any size takes constant memory. An
    /// empty range is an empty stream (stores refuse to read zero bytes).
    pub async fn read_stream(&self, key: &str, range: Range<u64>) -> Result<ByteStream, MediaError> {
        let path = Self::path(key)?;
        if range.is_empty() {
            return Ok(futures::stream::empty().boxed());
        }
        let opts = GetOptions {
            range: Some(GetRange::Bounded(range)),
            ..GetOptions::default()
        };
        let got = self.inner.get_opts(&path, opts).await?;
        Ok(got.into_stream().map_err(MediaError::from).boxed())
    }

    /// Writes an object given as several pieces, without joining them in memory first.
    pub async fn put_pieces(&self, key: &str, pieces: Vec<Vec<u8>>) -> Result<(), MediaError> {
        let payload: PutPayload = pieces.into_iter().flat_map(PutPayload::from).collect();
        self.inner.put(&Self::path(key)?, payload).await?;
        Ok(())
    }

    /// Appends the first `size` bytes of an object to `w`, read in ranges of at most `piece`
    /// bytes; `inspect` sees every range on the way (to hash it). Returns the bytes appended.
    pub async fn append_to(
        &self,
        key: &str,
        size: u64,
        piece: u64,
        w: &mut MediaWriter,
        mut inspect: impl FnMut(&[u8]),
    ) -> Result<u64, MediaError> {
        let path = Self::path(key)?;
        let mut at = 0;
        while at < size {
            let end = size.min(at + piece.max(1));
            let bytes = self.inner.get_range(&path, at..end).await?;
            if bytes.len() as u64 != end - at {
                let source = format!("{key} is shorter than {size} bytes").into();
                return Err(MediaError::Store(object_store::Error::Generic {
                    store: "media",
                    source,
                }));
            }
            inspect(&bytes);
            w.inner.wait_for_capacity(WRITE_CONCURRENCY).await?;
            w.inner.put(bytes);
            w.written += end - at;
            at = end;
        }
        Ok(at)
    }

    /// Copies a local file into the store piece by piece (a file of any size in constant memory).
    pub async fn put_file(&self, key: &str, file: &std::path::Path) -> Result<u64, MediaError> {
        use tokio::io::AsyncReadExt;
        let io = |e: std::io::Error| {
            MediaError::Store(object_store::Error::Generic {
                store: "media",
                source: Box::new(e),
            })
        };
        let mut f = tokio::fs::File::open(file).await.map_err(io)?;
        let mut w = self.multipart_writer(key, FILE_PART).await?;
        let mut buf = vec![0u8; 1024 * 1024];
        loop {
            let n = match f.read(&mut buf).await {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => {
                    w.abort().await.ok();
                    return Err(io(e));
                }
            };
            w.write(&buf[..n]).await?;
        }
        w.finish().await
    }

    /// Starts writing an object in parts of `part_bytes` (S3 needs at least 5 MiB for every
    /// part but the last). Nothing is visible under the key until [`MediaWriter::finish`].
    pub async fn multipart_writer(&self, key: &str, part_bytes: usize) -> Result<MediaWriter, MediaError> {
        let upload = self.inner.put_multipart(&Self::path(key)?).await?;
        Ok(MediaWriter {
            inner: WriteMultipart::new_with_chunk_size(upload, part_bytes.max(5 * 1024 * 1024)),
            written: 0,
        })
    }
}

/// An object being written part by part. Dropping it without `finish` leaves nothing visible;
/// call [`MediaWriter::abort`] to also clean up parts already sent.
#[derive(Debug)]
pub struct MediaWriter {
    inner: WriteMultipart,
    written: u64,
}

impl MediaWriter {
    /// Appends bytes, waiting first while too many parts are still being uploaded.
    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), MediaError> {
        self.inner.wait_for_capacity(WRITE_CONCURRENCY).await?;
        self.inner.write(bytes);
        self.written += bytes.len() as u64;
        Ok(())
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Uploads what is left and makes the object visible.
    pub async fn finish(self) -> Result<u64, MediaError> {
        self.inner.finish().await?;
        Ok(self.written)
    }

    pub async fn abort(self) -> Result<(), MediaError> {
        self.inner.abort().await?;
        Ok(())
    }
}
