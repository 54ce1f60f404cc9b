// Uploads a take or a file with tus (vendored tus-js-client, loaded as window.tus). A
// fingerprint per interview, question, take and size lets a reload resume the same upload.
// A recording is streamed while it is made (creation-defer-length): its length is sent with
// the last PATCH, once the recorder has stopped.

export const ENDPOINT = '/uploads';
const RETRY_DELAYS = [0, 1000, 3000, 5000, 10000, 20000];
// About one second of recording per PATCH at common bitrates, so little is left to send when
// the candidate stops.
const STREAM_CHUNK = 256 * 1024;

/** A short, non-secret name for the interview (the full token never goes into storage). */
export function ownerOf(token) {
  return token.slice(0, 12);
}

function statusOf(err) {
  return err && err.originalResponse ? err.originalResponse.getStatus() : 0;
}

function methodOf(err) {
  return err && err.originalRequest ? err.originalRequest.getMethod() : '';
}

/**
 * Why the server refused an upload for good, or null: 'submitted' (that take is already
 * submitted and is kept as it is) or 'type' (the file is not of an accepted type).
 */
export function refusal(err) {
  const status = statusOf(err);
  if (status === 409 && methodOf(err) === 'POST') return 'submitted';
  if (status === 415) return 'type';
  return null;
}

// Like the default: client errors other than 409/423 are final, everything else retried. A
// 409 to a creation is final too: it says the take is already submitted, not that an offset
// moved.
function shouldRetry(onRetry) {
  return (err) => {
    const status = statusOf(err);
    const retry = (!(status >= 400 && status < 500) || status === 409 || status === 423) && !refusal(err);
    if (retry && onRetry) onRetry();
    return retry;
  };
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
    retryDelays: RETRY_DELAYS,
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
    onShouldRetry: shouldRetry(onRetry),
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

/**
 * Starts uploading a recording while it is made. Returns { push(blob), end() } (push each
 * MediaRecorder chunk, end when it stops), or null when tus-js-client or streams are missing.
 * tus-js-client keeps the bytes from the last acknowledged offset, so a lost connection resumes
 * where the server stopped. Nothing is stored for resuming after a reload: the page keeps the
 * finished take and uploads it again if this upload does not finish.
 */
export function streamTake({ token, question, take, filetype, filename, onProgress, onSuccess, onError, onRetry }) {
  if (!window.tus || !window.tus.Upload || typeof ReadableStream === 'undefined') return null;
  let controller = null;
  const stream = new ReadableStream({ start(c) { controller = c; } });
  const upload = new window.tus.Upload(stream.getReader(), {
    endpoint: ENDPOINT,
    uploadLengthDeferred: true,
    chunkSize: STREAM_CHUNK,
    retryDelays: RETRY_DELAYS,
    headers: { 'X-Shortlist-Candidate-Token': token },
    metadata: { token, question, take: String(take), filetype, filename },
    storeFingerprintForResuming: false,
    onProgress: (sent) => onProgress(sent),
    onShouldRetry: shouldRetry(onRetry),
    onSuccess: () => onSuccess(),
    onError: (err) => onError(err),
  });
  upload.start();
  // After the upload has ended (failed, or aborted), the stream is closed: nothing to feed.
  const quietly = (f) => { try { f(); } catch (_) { /* the upload is over */ } };
  return {
    push: (blob) => quietly(() => controller.enqueue(blob)),
    end: () => quietly(() => controller.close()),
  };
}
