//! Media storage (recordings, documents, diagnostic markers) behind `object_store`, so the same
//! code writes to local files on one machine and to an S3-compatible bucket when scaled out.

use futures::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, PutPayload};
use std::sync::Arc;

mod streaming;
mod sweep;
pub use streaming::{ByteStream, MediaWriter};

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("STORAGE_URL must be file:///path or s3://bucket/prefix (got '{0}')")]
    UnsupportedUrl(String),
    #[error("STORAGE_URL cannot be used: {0}")]
    Setup(String),
    #[error("media key '{0}' is not valid")]
    BadKey(String),
    #[error(transparent)]
    Store(#[from] object_store::Error),
}

impl MediaError {
    /// No object under the key.
    pub fn is_not_found(&self) -> bool {
        matches!(self, MediaError::Store(object_store::Error::NotFound { .. }))
    }
}

#[derive(Clone)]
pub struct MediaStore {
    inner: Arc<dyn ObjectStore>,
    describe: String,
    /// The folder of a `file://` store (free space and temporary files are looked at there).
    root: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for MediaStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe)
    }
}

impl MediaStore {
    /// `file:///abs/path` (created if missing) or `s3://bucket[/prefix]`. For S3, credentials,
    /// region and a custom endpoint come from the usual AWS_* variables (AWS_ACCESS_KEY_ID,
    /// AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL, AWS_ALLOW_HTTP).
    pub fn from_url(raw: &str) -> Result<MediaStore, MediaError> {
        let url = url::Url::parse(raw).map_err(|_| MediaError::UnsupportedUrl(raw.to_string()))?;
        match url.scheme() {
            "file" => {
                let dir = url
                    .to_file_path()
                    .map_err(|_| MediaError::Setup(format!("'{raw}' is not an absolute file path")))?;
                std::fs::create_dir_all(&dir).map_err(|e| MediaError::Setup(format!("{}: {e}", dir.display())))?;
                let fs = LocalFileSystem::new_with_prefix(&dir)?;
                Ok(MediaStore {
                    inner: Arc::new(fs),
                    describe: format!("file://{}", dir.display()),
                    root: Some(dir),
                })
            }
            "s3" => {
                let bucket = url
                    .host_str()
                    .ok_or_else(|| MediaError::Setup("s3:// URL without a bucket".into()))?;
                // from_env reads AWS_ENDPOINT_URL and AWS_ALLOW_HTTP as well as the credentials.
                let s3 = AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .build()
                    .map_err(|e| MediaError::Setup(e.to_string()))?;
                let prefix = url.path().trim_matches('/').to_string();
                let inner: Arc<dyn ObjectStore> = if prefix.is_empty() {
                    Arc::new(s3)
                } else {
                    Arc::new(PrefixStore::new(s3, prefix.as_str()))
                };
                Ok(MediaStore {
                    inner,
                    describe: format!("s3://{bucket}/{prefix}"),
                    root: None,
                })
            }
            _ => Err(MediaError::UnsupportedUrl(raw.to_string())),
        }
    }

    pub fn describe(&self) -> &str {
        &self.describe
    }

    /// The folder of a `file://` store; `None` for S3.
    pub fn local_root(&self) -> Option<&std::path::Path> {
        self.root.as_deref()
    }

    fn path(key: &str) -> Result<Path, MediaError> {
        let bad = key.is_empty() || key.split('/').any(|p| p.is_empty() || p == "." || p == "..");
        if bad {
            return Err(MediaError::BadKey(key.to_string()));
        }
        Path::parse(key).map_err(|_| MediaError::BadKey(key.to_string()))
    }

    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), MediaError> {
        self.inner.put(&Self::path(key)?, PutPayload::from(bytes)).await?;
        Ok(())
    }

    pub async fn get(&self, key: &str) -> Result<Vec<u8>, MediaError> {
        Ok(self.inner.get(&Self::path(key)?).await?.bytes().await?.to_vec())
    }

    /// Keys under a prefix (without the store's own prefix).
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, MediaError> {
        let p = Self::path(prefix)?;
        let metas: Vec<_> = self.inner.list(Some(&p)).try_collect().await?;
        Ok(metas.into_iter().map(|m| m.location.to_string()).collect())
    }
}
