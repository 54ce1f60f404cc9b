// File-upload questions: the chosen file is uploaded with tus (resumable), then the form
// submits its take number. #file-upload[data-state] is idle|uploading|done|error.
import { t, announce, showError, show, tokenOf } from './common.js';
import { uploadTake } from './upload.js';

const root = document.getElementById('file-upload');
const d = root.dataset;
const token = tokenOf(d.base);
const maxTakes = Number(d.maxTakes) || 1;
const uploaded = (d.uploaded || '').split(',').filter(Boolean).map(Number);
const input = document.getElementById('file-input');
const button = document.getElementById('file-upload-button');
const progress = document.getElementById('file-progress');
const status = document.getElementById('file-status');
const error = document.getElementById('file-error');
const takeField = document.getElementById('file-take');
const form = document.getElementById('answer-form');

if (takeField.value) root.dataset.state = 'done';

button.addEventListener('click', () => {
  showError(error, '');
  const file = input.files && input.files[0];
  if (!file) {
    showError(error, t('file_choose'));
    input.focus();
    return;
  }
  const take = Math.min(Math.max(0, ...uploaded) + 1, maxTakes);
  root.dataset.state = 'uploading';
  button.disabled = true;
  show(progress, true);
  uploadTake({
    blob: file,
    token,
    question: d.question,
    take,
    filetype: file.type || 'application/octet-stream',
    filename: file.name,
    onProgress: (p) => {
      progress.value = p;
      status.textContent = t('uploading', { p });
    },
    onSuccess: () => {
      uploaded.push(take);
      takeField.value = String(take);
      root.dataset.state = 'done';
      button.disabled = false;
      announce(status, t('file_ready'));
    },
    onError: () => {
      root.dataset.state = 'error';
      button.disabled = false;
      showError(error, t('upload_failed'));
    },
    onRetry: () => { status.textContent = t('upload_retrying'); },
  });
});

form.addEventListener('submit', (e) => {
  if (e.submitter && e.submitter.name === 'skip') return;
  if (!takeField.value) {
    e.preventDefault();
    showError(error, t(root.dataset.state === 'uploading' ? 'wait_upload' : 'file_choose'));
  }
});
