// Uploads a take or a file with tus (vendored tus-js-client, loaded as window.tus). A
// fingerprint per interview, question, take and size lets a reload resume the same upload.

export const ENDPOINT = '/uploads';

/** A short, non-secret name for the interview (the full token never goes into storage). */
export function ownerOf(token) {
  return token.slice(0, 12);
}

/**
 * Starts (or resumes) an upload. Callbacks: onProgress(percent), onSuccess(), onError(err),
 * onRetry(). Returns the tus.Upload, or null when tus-js-client is missing.
 */
export function uploadTake({ blob, token, question, take, filetype, filename, onProgress, onSuccess, onError, onRetry }) {
  if (!window.tus || !window.tus.Upload) {
    onError(new Error('tus-js-client is not loaded'));
    return null;
  }
  const upload = new window.tus.Upload(blob, {
    endpoint: ENDPOINT,
    chunkSize: 5 * 1024 * 1024,
    retryDelays: [0, 1000, 3000, 5000, 10000, 20000],
    headers: { 'X-Shortlist-Candidate-Token': token },
    metadata: {
      token,
      question,
      take: String(take),
      filetype,
      filename,
    },
    fingerprint: () => Promise.resolve(`shortlist:${ownerOf(token)}:${question}:${take}:${blob.size}`),
    storeFingerprintForResuming: true,
    removeFingerprintOnSuccess: true,
    onProgress: (sent, total) => onProgress(total ? Math.floor((sent / total) * 100) : 0),
    // Like the default: client errors other than 409/423 are final, everything else retried.
    onShouldRetry: (err) => {
      const status = err && err.originalResponse ? err.originalResponse.getStatus() : 0;
      const retry = !(status >= 400 && status < 500) || status === 409 || status === 423;
      if (retry && onRetry) onRetry();
      return retry;
    },
    onSuccess: () => onSuccess(),
    onError: (err) => onError(err),
  });
  upload.findPreviousUploads()
    .then((previous) => {
      if (previous.length > 0) upload.resumeFromPreviousUpload(previous[0]);
      upload.start();
    })
    .catch(() => upload.start());
  return upload;
}
