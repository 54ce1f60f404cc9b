// Records an answer (or the practice question) with MediaRecorder: think-time countdown,
// recording that stops at the time limit, takes the candidate plays back and chooses from.
// Each take is uploaded with tus while it is recorded (chunks of about a second); when it stops
// it is also kept in IndexedDB until the server has it, and uploaded whole from there should
// the streamed upload fail or the page be reloaded.
//
// Signals for people and tests: #recorder[data-state] is idle|thinking|recording|stopped|error;
// each .take[data-upload-state] is pending|uploading|done|error|local (practice);
// #recorder[data-uploads] is busy|idle. Status changes are announced in #rec-status.
import { t, announce, showError, show, keepFocus, tokenOf } from './common.js';
import {
  supported, openStream, explain, pickType, extension, stopStream, audioOnlyChosen, chooseAudioOnly, cameraTrouble,
} from './media.js';
import { saveTake, loadTakes, forgetQuestion } from './takes.js';
import { uploadTake, streamTake, ownerOf, refusal } from './upload.js';

const root = document.getElementById('recorder');
const d = root.dataset;
const practice = d.mode === 'practice';
const fallback = d.audioFallback === 'true';
const think = Number(d.think) || 0;
const limit = Number(d.answer) || 0;
const maxTakes = Number(d.maxTakes) || 0; // 0: as many as the candidate likes (practice)
const token = tokenOf(d.base);
const owner = ownerOf(token);
const question = d.question;
const serverTakes = (d.uploaded || '').split(',').filter(Boolean).map(Number);
// A video question is answered with audio when the candidate chose so (template permitting).
let video = d.kind === 'video' && !(fallback && audioOnlyChosen(owner));

const live = document.getElementById('rec-live');
const timer = document.getElementById('rec-timer');
const status = document.getElementById('rec-status');
const error = document.getElementById('rec-error');
const startBtn = document.getElementById('rec-start');
const stopBtn = document.getElementById('rec-stop');
const againBtn = document.getElementById('rec-again');
const audioBtn = document.getElementById('rec-audio-only');
const list = document.getElementById('rec-takes');
const form = document.getElementById('answer-form');

let stream = null;
let recorder = null;
let chunks = [];
let tick = null;
let timeUp = false;
let streaming = null; // the take being recorded: { take, type, stream, state: streaming|done|failed }
const takes = new Map(); // take number → { row, state, blob }

const setState = (s) => { root.dataset.state = s; };
const takesUsed = () => Math.max(0, ...serverTakes, ...takes.keys());
const canRecordMore = () => maxTakes === 0 || takesUsed() < maxTakes;

function clearTimer() {
  if (tick) window.clearInterval(tick);
  tick = null;
}

function countdown(seconds, render, done) {
  let left = seconds;
  render(left);
  tick = window.setInterval(() => {
    left -= 1;
    if (left <= 0) {
      clearTimer();
      done();
    } else {
      render(left);
    }
  }, 1000);
}

function updateBusy() {
  const busy = [...takes.values()].some((e) => e.state === 'pending' || e.state === 'uploading');
  root.dataset.uploads = busy ? 'busy' : 'idle';
}

function setUploadState(take, state, percent = 0) {
  const entry = takes.get(take);
  if (!entry) return;
  entry.state = state;
  entry.row.dataset.uploadState = state;
  const text = { uploading: t('uploading', { p: percent }), done: t('uploaded'), error: t('upload_failed') }[state] || '';
  entry.row.querySelector('.upload-status').textContent = text;
  show(entry.row.querySelector('.retry'), state === 'error');
  updateBusy();
}

function createRow(take) {
  const row = document.createElement('div');
  row.className = 'take';
  row.dataset.take = String(take);
  if (practice) {
    const label = document.createElement('p');
    label.className = 'take-label';
    label.textContent = t('take', { n: take });
    row.append(label);
  } else {
    const input = document.createElement('input');
    input.type = 'radio';
    input.name = 'take';
    input.id = `take-${take}`;
    input.value = String(take);
    const label = document.createElement('label');
    label.htmlFor = input.id;
    label.textContent = t('take', { n: take });
    row.append(input, ' ', label);
  }
  list.append(row);
  return row;
}

function decorate(row, take) {
  if (!row.querySelector('.upload-status')) {
    const span = document.createElement('span');
    span.className = 'upload-status';
    span.id = `take-${take}-status`;
    const retry = document.createElement('button');
    retry.type = 'button';
    retry.className = 'secondary retry';
    retry.textContent = t('retry_upload');
    retry.hidden = true;
    retry.addEventListener('click', () => startUpload(take));
    row.append(' ', span, retry);
    const input = row.querySelector('input');
    if (input) input.setAttribute('aria-describedby', span.id);
  }
}

function addTake(take, blob, state) {
  let entry = takes.get(take);
  if (!entry) {
    const row = list.querySelector(`.take[data-take="${take}"]`) || createRow(take);
    decorate(row, take);
    entry = { row, state, blob: null };
    takes.set(take, entry);
  }
  if (blob && !entry.blob) {
    entry.blob = blob;
    const player = document.createElement(video ? 'video' : 'audio');
    player.controls = true;
    player.preload = 'metadata';
    player.setAttribute('playsinline', '');
    player.setAttribute('aria-label', t('play_take', { n: take }));
    player.src = URL.createObjectURL(blob);
    entry.row.append(player);
  }
  setUploadState(take, state);
  return entry;
}

function startUpload(take) {
  const entry = takes.get(take);
  if (!entry || !entry.blob) return;
  const type = (entry.blob.type || (video ? 'video/webm' : 'audio/webm')).split(';')[0];
  setUploadState(take, 'uploading', 0);
  uploadTake({
    blob: entry.blob,
    token,
    question,
    take,
    filetype: type,
    filename: `take-${take}.${extension(type)}`,
    onProgress: (p) => setUploadState(take, 'uploading', p),
    onSuccess: () => {
      setUploadState(take, 'done');
      announce(status, `${t('take', { n: take })}: ${t('uploaded')}`);
    },
    onError: (err) => {
      // The server already has this take (its streamed upload finished after all): done.
      if (refusal(err) === 'submitted') {
        setUploadState(take, 'done');
        announce(status, `${t('take', { n: take })}: ${t('uploaded')}`);
        return;
      }
      setUploadState(take, 'error');
      announce(status, t(refusal(err) === 'type' ? 'upload_wrong_type' : 'upload_failed'));
    },
    onRetry: () => {
      entry.row.querySelector('.upload-status').textContent = t('upload_retrying');
    },
  });
}

// Streams the take being recorded. Its outcome lands on the take's row once there is one.
function startStreaming(take, type) {
  const current = { take, type, state: 'streaming', stream: null };
  const base = type.split(';')[0];
  current.stream = streamTake({
    token,
    question,
    take,
    filetype: base,
    filename: `take-${take}.${extension(base)}`,
    onProgress: (sent) => {
      const entry = takes.get(take);
      if (entry && entry.blob && entry.state === 'uploading') {
        setUploadState(take, 'uploading', Math.min(99, Math.floor((sent / Math.max(1, entry.blob.size)) * 100)));
      }
    },
    onSuccess: () => {
      current.state = 'done';
      if (takes.has(take)) {
        setUploadState(take, 'done');
        announce(status, `${t('take', { n: take })}: ${t('uploaded')}`);
      }
    },
    onError: () => {
      current.state = 'failed';
      // Once the take is complete, send it whole (a new upload of the same take).
      if (takes.get(take) && takes.get(take).blob) startUpload(take);
    },
    onRetry: () => {
      const entry = takes.get(take);
      if (entry) entry.row.querySelector('.upload-status').textContent = t('upload_retrying');
    },
  });
  if (!current.stream) current.state = 'failed';
  return current;
}

function beginThink() {
  showError(error, '');
  show(againBtn, false);
  if (think <= 0) {
    startRecording();
    return;
  }
  setState('thinking');
  startBtn.textContent = t('start_now');
  show(startBtn, true);
  keepFocus(againBtn, startBtn);
  announce(status, t('think', { s: think }));
  countdown(think, (s) => {
    timer.textContent = t('think', { s });
    if (s === 10 && think > 15) announce(status, t('think', { s }));
  }, startRecording);
}

function startRecording() {
  clearTimer();
  const type = pickType(video);
  try {
    recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
  } catch (err) {
    showError(error, t('device_error', { error: err.message }));
    setState('error');
    return;
  }
  chunks = [];
  timeUp = false;
  streaming = practice ? null : startStreaming(takesUsed() + 1, recorder.mimeType || type || (video ? 'video/webm' : 'audio/webm'));
  recorder.ondataavailable = (e) => {
    if (!e.data || !e.data.size) return;
    chunks.push(e.data);
    if (streaming && streaming.stream) streaming.stream.push(e.data);
  };
  recorder.onstop = finished;
  recorder.start(1000);
  setState('recording');
  show(stopBtn, true);
  keepFocus(startBtn, stopBtn);
  keepFocus(againBtn, stopBtn);
  show(startBtn, false);
  show(againBtn, false);
  announce(status, t('recording_started'));
  if (limit > 0) {
    countdown(limit, (s) => {
      timer.textContent = t('recording', { s });
      if (s === 10 && limit > 20) announce(status, t('recording', { s }));
    }, () => {
      timeUp = true;
      stopRecording();
    });
  }
}

function stopRecording() {
  clearTimer();
  if (recorder && recorder.state !== 'inactive') recorder.stop();
}

function finished() {
  const type = recorder.mimeType || pickType(video) || (video ? 'video/webm' : 'audio/webm');
  const blob = new Blob(chunks, { type });
  chunks = [];
  timer.textContent = '';
  const streamed = streaming;
  streaming = null;
  if (streamed && streamed.stream) streamed.stream.end();
  const take = streamed ? streamed.take : takesUsed() + 1;
  let state = 'local';
  if (streamed) state = { done: 'done', streaming: 'uploading' }[streamed.state] || 'pending';
  const entry = addTake(take, blob, state);
  const input = entry.row.querySelector('input');
  if (input) input.checked = true;
  setState('stopped');
  const more = canRecordMore();
  show(againBtn, more);
  keepFocus(stopBtn, input || entry.row.querySelector('video, audio'));
  show(stopBtn, false);
  let next;
  if (practice) next = t('practice_done');
  else if (more) next = t('takes_left', { n: maxTakes - takesUsed() });
  else next = t('no_takes_left');
  announce(status, `${timeUp ? t('time_up') : t('stopped')} ${next}`);
  if (practice) return;
  // Kept until the server has it; sent whole only if streaming it failed.
  saveTake(owner, question, take, blob).catch(() => {}).then(() => {
    if (streamed.state === 'failed' && takes.get(take).state === 'pending') startUpload(take);
  });
}

async function init() {
  showError(error, '');
  if (!supported()) {
    showError(error, t('unsupported'));
    setState('error');
    return;
  }
  try {
    stream = await openStream(video);
  } catch (err) {
    const key = explain(err, video);
    let text = t(key, { error: err && err.message ? err.message : String(err) });
    const offerAudio = video && cameraTrouble(key);
    if (offerAudio && !fallback) text = `${text} ${t('camera_required')}`;
    showError(error, text);
    show(audioBtn, offerAudio && fallback);
    startBtn.textContent = t('retry');
    show(startBtn, true);
    setState('error');
    return;
  }
  show(audioBtn, false);
  if (live) {
    live.srcObject = video ? stream : null;
    show(live, video);
  }
  if (!practice) {
    for (const r of await loadTakes(owner, question)) {
      if (maxTakes && r.take > maxTakes) continue;
      const onServer = serverTakes.includes(r.take);
      addTake(r.take, r.blob, onServer ? 'done' : 'pending');
      if (!onServer) startUpload(r.take);
    }
    for (const n of serverTakes) if (!takes.has(n)) addTake(n, null, 'done');
  }
  if (takesUsed() === 0) {
    beginThink();
  } else {
    setState('stopped');
    show(startBtn, false);
    show(againBtn, canRecordMore());
    announce(status, canRecordMore() ? t('takes_left', { n: maxTakes - takesUsed() }) : t('no_takes_left'));
  }
}

startBtn.addEventListener('click', () => {
  if (root.dataset.state === 'error') init();
  else startRecording();
});
stopBtn.addEventListener('click', stopRecording);
audioBtn.addEventListener('click', () => {
  chooseAudioOnly(owner);
  video = false;
  announce(status, t('audio_only_on'));
  init();
});
againBtn.addEventListener('click', beginThink);
window.addEventListener('pagehide', () => stopStream(stream));

if (form) {
  let confirmed = false;
  form.addEventListener('submit', (e) => {
    if (confirmed || (e.submitter && e.submitter.name === 'skip')) return;
    e.preventDefault();
    const chosen = form.querySelector('input[name="take"]:checked');
    if (!chosen) {
      showError(error, t('choose_take'));
      return;
    }
    const entry = takes.get(Number(chosen.value));
    if (entry && entry.state !== 'done') {
      showError(error, t('wait_upload'));
      return;
    }
    confirmed = true;
    stopStream(stream);
    forgetQuestion(owner, question).finally(() => form.submit());
  });
}

init();
