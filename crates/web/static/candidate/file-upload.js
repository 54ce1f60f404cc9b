// File-upload questions: the chosen file is uploaded with tus (resumable), then the form
// submits its take number. #file-upload[data-state] is idle|uploading|done|error.
import { t, announce, showError, show, tokenOf } from './common.js';
import { uploadTake, refusal } from './upload.js';

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
  // Each upload is a new take, kept as it was sent; the server refuses more than allowed.
  const take = Math.max(0, ...uploaded) + 1;
  if (take > maxTakes) {
    showError(error, t('file_no_more'));
    return;
  }
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
    onError: (err) => {
      root.dataset.state = 'error';
      button.disabled = false;
      const why = refusal(err);
      if (why === 'submitted') uploaded.push(take);
      showError(error, t({ submitted: 'upload_taken', type: 'upload_wrong_type' }[why] || 'upload_failed'));
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
