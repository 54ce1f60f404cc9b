// Device check: camera preview, microphone level, measured upload speed, help on failure.
import { t, announce, showError, show, keepFocus, tokenOf } from './common.js';
import {
  supported, openStream, explain, levelMeter, stopStream, audioOnlyChosen, chooseAudioOnly, cameraTrouble,
} from './media.js';
import { ownerOf } from './upload.js';

const root = document.getElementById('device-check');
const owner = ownerOf(tokenOf(root.dataset.base));
const fallback = root.dataset.audioFallback === 'true';
let camera = root.dataset.camera === 'true' && !(fallback && audioOnlyChosen(owner));
const audioBtn = document.getElementById('device-audio-only');
const startBtn = document.getElementById('device-start');
const retryBtn = document.getElementById('device-retry');
const preview = document.getElementById('device-preview');
const meter = document.getElementById('mic-level');
const micStatus = document.getElementById('mic-status');
const status = document.getElementById('device-status');
const error = document.getElementById('device-error');
const speed = document.getElementById('speed-result');
const continueBtn = document.getElementById('device-continue');

let stream = null;
let stopMeter = () => {};
let heard = false;
retryBtn.textContent = t('retry');

async function measureSpeed() {
  speed.textContent = t('speed_measuring');
  const body = new Uint8Array(256 * 1024);
  const started = performance.now();
  try {
    const resp = await fetch(root.dataset.speedtest, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/octet-stream' },
      credentials: 'same-origin',
      cache: 'no-store',
    });
    if (!resp.ok) throw new Error(String(resp.status));
    const secs = Math.max((performance.now() - started) / 1000, 0.001);
    const mbps = (body.length * 8) / secs / 1e6;
    const shown = mbps >= 10 ? Math.round(mbps) : mbps.toFixed(1);
    speed.textContent = t(mbps < 1 ? 'speed_slow' : 'speed_result', { mbps: shown });
    root.dataset.speed = mbps.toFixed(2);
  } catch (_) {
    speed.textContent = t('speed_failed');
  }
}

async function check() {
  showError(error, '');
  show(retryBtn, false);
  if (!supported()) {
    showError(error, t('unsupported'));
    root.dataset.state = 'error';
    return;
  }
  root.dataset.state = 'checking';
  try {
    stream = await openStream(camera);
  } catch (err) {
    const key = explain(err, camera);
    let text = t(key, { error: err && err.message ? err.message : String(err) });
    const offerAudio = camera && cameraTrouble(key);
    if (offerAudio && !fallback) text = `${text} ${t('camera_required')}`;
    showError(error, text);
    show(audioBtn, offerAudio && fallback);
    show(retryBtn, true);
    keepFocus(startBtn, retryBtn);
    show(startBtn, false);
    root.dataset.state = 'error';
    return;
  }
  keepFocus(startBtn, continueBtn);
  keepFocus(retryBtn, continueBtn);
  keepFocus(audioBtn, continueBtn);
  show(startBtn, false);
  show(audioBtn, false);
  if (preview && camera) {
    preview.srcObject = stream;
    show(preview, true);
  }
  stopMeter = levelMeter(stream, (level) => {
    meter.value = level;
    meter.textContent = String(level);
    meter.setAttribute('aria-valuetext', t('level_value', { p: level }));
    if (level > 8 && !heard) {
      heard = true;
      micStatus.textContent = t('level_ok');
      announce(status, t('level_ok'));
    }
  });
  micStatus.textContent = t('level_silent');
  announce(status, t(camera ? 'device_ok' : 'device_ok_audio'));
  root.dataset.state = 'ok';
  measureSpeed();
}

startBtn.addEventListener('click', check);
retryBtn.addEventListener('click', check);
audioBtn.addEventListener('click', () => {
  chooseAudioOnly(owner);
  camera = false;
  root.dataset.audioOnly = 'true';
  // The heading promised a camera check; from here on only the microphone is checked.
  const heading = document.querySelector('h1');
  if (heading) heading.textContent = t('title_audio');
  announce(status, t('audio_only_on'));
  check();
});
window.addEventListener('pagehide', () => {
  stopMeter();
  stopStream(stream);
});
