// Camera and microphone: permission, recorder formats, a microphone level meter.

const VIDEO_TYPES = [
  'video/webm;codecs=vp9,opus',
  'video/webm;codecs=vp8,opus',
  'video/webm',
  'video/mp4;codecs=avc1,mp4a',
  'video/mp4',
];
const AUDIO_TYPES = ['audio/webm;codecs=opus', 'audio/webm', 'audio/mp4', 'audio/ogg;codecs=opus'];

export function supported() {
  return !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.MediaRecorder);
}

/** The first container/codec this browser records (WebM in Chromium/Firefox, MP4 in Safari). */
export function pickType(video) {
  const list = video ? VIDEO_TYPES : AUDIO_TYPES;
  for (const type of list) {
    if (typeof MediaRecorder.isTypeSupported !== 'function' || MediaRecorder.isTypeSupported(type)) return type;
  }
  return '';
}

/** File name extension for a recorded type. */
export function extension(type) {
  if (type.startsWith('video/mp4')) return 'mp4';
  if (type.startsWith('audio/mp4')) return 'm4a';
  if (type.startsWith('audio/ogg')) return 'ogg';
  return 'webm';
}

export function openStream(video) {
  const constraints = {
    audio: { echoCancellation: true, noiseSuppression: true },
    video: video ? { width: { ideal: 1280 }, height: { ideal: 720 }, facingMode: 'user' } : false,
  };
  return navigator.mediaDevices.getUserMedia(constraints);
}

/** The message key that explains a getUserMedia failure. */
export function explain(err, video) {
  const name = err && err.name;
  if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') return 'denied';
  if (name === 'NotFoundError' || name === 'DevicesNotFoundError' || name === 'OverconstrainedError') {
    return video ? 'no_camera' : 'no_mic';
  }
  return 'device_error';
}

/** Calls `onLevel(0..100)` about ten times a second until the returned function is called. */
export function levelMeter(stream, onLevel) {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx || stream.getAudioTracks().length === 0) return () => {};
  const ctx = new Ctx();
  const source = ctx.createMediaStreamSource(stream);
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 1024;
  source.connect(analyser);
  const data = new Uint8Array(analyser.fftSize);
  const timer = window.setInterval(() => {
    analyser.getByteTimeDomainData(data);
    let sum = 0;
    for (const v of data) sum += ((v - 128) / 128) ** 2;
    const rms = Math.sqrt(sum / data.length);
    onLevel(Math.min(100, Math.round(rms * 300)));
  }, 100);
  if (ctx.state === 'suspended') ctx.resume().catch(() => {});
  return () => {
    window.clearInterval(timer);
    source.disconnect();
    ctx.close().catch(() => {});
  };
}

export function stopStream(stream) {
  if (stream) stream.getTracks().forEach((tr) => tr.stop());
}

// The candidate chose to answer without a camera (allowed by the template). Kept per interview
// on this device, so the question pages record audio too.
const audioKey = (owner) => `shortlist:audio-only:${owner}`;

export function audioOnlyChosen(owner) {
  try {
    return window.localStorage.getItem(audioKey(owner)) === '1';
  } catch (_) {
    return false;
  }
}

export function chooseAudioOnly(owner) {
  try {
    window.localStorage.setItem(audioKey(owner), '1');
  } catch (_) { /* storage blocked: this page still records audio */ }
}

/** Whether a getUserMedia failure is about the camera (so audio alone might work). */
export function cameraTrouble(key) {
  return key === 'denied' || key === 'no_camera' || key === 'device_error';
}
