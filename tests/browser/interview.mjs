// Drives Debian's Chromium (through playwright-core, as a driver only) through the candidate
// pages, for crates/server/tests/browser*.rs. Camera and microphone are Chromium's fake devices.
//
//   node tests/browser/interview.mjs CONFIG      CONFIG: a JSON file, or the JSON itself
//   SHORTLIST_BROWSER_CONFIG=... node tests/browser/interview.mjs
//
// Config (`out` is required, and `url` for an interview):
//   out          where the JSON result is written (always, also on failure)
//   mode         "interview" (default): walk the interview from `url`
//                "visit": open each of `visits` and report status and heading
//   url          the candidate link, http://HOST:PORT/i/TOKEN
//   lang         added as ?lang=… to the first page
//   steps        the steps expected, in order, e.g. ["landing", "device", "practice",
//                "survey:before", "question:q1:video", "question:q2:text",
//                "question:q3:multiple_choice", "finish", "done"]; a mismatch fails the run
//   stopAt       stop (successfully) on arriving at this step, without acting on it
//   answers      { questionId: "text" | ["choiceId", …] }
//   takes        takes to record per video/audio question (default 2)
//   chooseTake   the take submitted (default: the last one)
//   recordMs     how long the first take records before Stop is pressed (default 2000); the
//                last take runs until the question's time limit stops it
//   screenshot   PNG path: the first recorded question, once its takes are uploaded
//   visits       [{ url, status, heading }] for mode "visit" (heading: a substring of <h1>)
//   expectHeadings  { step: "substring of <h1>" } checked on arrival
//   chromium     the browser binary (default: `command -v chromium`)
//   uploadWaitMs how long a take may take to upload (default 60000)
//   phoneCheck   also lay each page out 360px wide and fail if it scrolls sideways
//   noCamera     the page finds no camera: getUserMedia with video fails with NotFoundError and
//                enumerateDevices lists no videoinput (the fake microphone still works). The
//                device check must then fail; result.deviceCheck says what it offered. If it
//                offers "audio only" the run takes it, otherwise the run stops there (ok).
//   timeoutMs    the whole run (default 150000)
//
// SHORTLIST_BROWSER_DEBUG=1 logs the redirect chain and timings of every form submission.
//
// Result: { ok, error, steps, pages, axe, sha256, takes, chosen, patches, visits, receipt,
// consoleErrors, failedRequests, cspViolations }. `sha256`: the take submitted for the first
// recorded question. `takes[question][n]` has sha256/size/type of the Blob the page recorded
// and handed to tus.Upload, and `uploadedSha256` of the bytes its PATCH requests carried
// (assembled by offset). Exit status 0 when ok, 1 when a check failed, 2 on a timeout.

import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const AXE = join(HERE, 'node_modules', 'axe-core', 'axe.min.js');
const WAIT = 20_000;
const AXE_SOURCE = existsSync(AXE) ? readFileSync(AXE, 'utf8') : '';

function readConfig() {
  const raw = process.argv[2] ?? process.env.SHORTLIST_BROWSER_CONFIG;
  if (!raw) throw new Error('usage: node interview.mjs CONFIG.json|JSON (or SHORTLIST_BROWSER_CONFIG)');
  const text = raw.trim().startsWith('{') ? raw : readFileSync(raw, 'utf8');
  return JSON.parse(text);
}

const config = readConfig();
const result = {
  ok: false,
  error: null,
  steps: [],
  pages: [],
  axe: [],
  takes: {},
  chosen: {},
  patches: [],
  visits: [],
  consoleErrors: [],
  failedRequests: [],
  cspViolations: [],
};

function log(...args) {
  process.stderr.write(`[browser ${new Date().toISOString().slice(11, 23)}] ${args.join(' ')}\n`);
}

function writeResult() {
  if (config.out) writeFileSync(config.out, `${JSON.stringify(result, null, 2)}\n`);
}

class CheckFailed extends Error {}
function check(cond, message) {
  if (!cond) throw new CheckFailed(message);
}

function chromiumPath() {
  if (config.chromium) return config.chromium;
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  } catch (_) {
    throw new Error('chromium not found on PATH (scripts/install-test-deps installs it)');
  }
}

// ---------------------------------------------------------------- in the page ----
// Runs before any page script. Records what tus-js-client is given and what its XHRs send;
// the production scripts are not changed.
function instrument() {
  const rec = { uploads: [], xhrs: [], csp: [], objectUrls: new Map() };
  Object.defineProperty(window, '__shortlistTest', { value: rec });
  // The Blob behind each object URL: a take's player plays exactly what was recorded.
  const createObjectURL = URL.createObjectURL;
  URL.createObjectURL = function (obj) {
    const url = createObjectURL.call(URL, obj);
    if (obj instanceof Blob) rec.objectUrls.set(url, obj);
    return url;
  };
  document.addEventListener('securitypolicyviolation', (e) => {
    rec.csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile || ''}:${e.lineNumber || ''}`);
  });

  let real;
  Object.defineProperty(window, 'tus', {
    configurable: true,
    enumerable: true,
    get() { return real; },
    set(v) {
      if (!v || !v.Upload || v.__shortlistWrapped) {
        real = v;
        return;
      }
      const Orig = v.Upload;
      function Upload(file, options) {
        rec.uploads.push({ file, metadata: { ...((options && options.metadata) || {}) } });
        return new Orig(file, options);
      }
      Upload.prototype = Orig.prototype;
      Object.setPrototypeOf(Upload, Orig);
      const wrapped = {};
      for (const k of Object.keys(v)) wrapped[k] = v[k];
      wrapped.Upload = Upload;
      wrapped.__shortlistWrapped = true;
      real = wrapped;
    },
  });

  const P = XMLHttpRequest.prototype;
  const open = P.open;
  const setHeader = P.setRequestHeader;
  const send = P.send;
  P.open = function (method, url, ...rest) {
    this.__t = { method: String(method).toUpperCase(), url: new URL(url, location.href).pathname, headers: {} };
    return open.call(this, method, url, ...rest);
  };
  P.setRequestHeader = function (name, value) {
    if (this.__t) this.__t.headers[String(name).toLowerCase()] = String(value);
    return setHeader.call(this, name, value);
  };
  P.send = function (body) {
    const t = this.__t;
    if (t && t.url.startsWith('/uploads')) {
      const entry = {
        method: t.method,
        url: t.url,
        offset: t.headers['upload-offset'] === undefined ? null : Number(t.headers['upload-offset']),
        metadata: t.headers['upload-metadata'] || null,
        size: body && typeof body.size === 'number' ? body.size : 0,
        body: body instanceof Blob ? body : null,
        // Whether the take was still being recorded when this request went out.
        whileRecording: (document.getElementById('recorder') || { dataset: {} }).dataset.state === 'recording',
        uploadLength: t.headers['upload-length'] === undefined ? null : Number(t.headers['upload-length']),
        deferred: t.headers['upload-defer-length'] === '1',
        status: null,
        location: null,
        resultOffset: null,
      };
      rec.xhrs.push(entry);
      this.addEventListener('loadend', () => {
        entry.status = this.status;
        try {
          entry.location = this.getResponseHeader('Location');
          entry.resultOffset = this.getResponseHeader('Upload-Offset');
        } catch (_) { /* not readable */ }
      });
    }
    return send.call(this, body);
  };
}

// Runs before any page script when config.noCamera is set: a machine without a camera
// (Chromium's fake devices always include one).
function noCamera() {
  const md = navigator.mediaDevices;
  if (!md) return;
  const getUserMedia = md.getUserMedia.bind(md);
  const enumerateDevices = md.enumerateDevices.bind(md);
  md.getUserMedia = (constraints) => (constraints && constraints.video
    ? Promise.reject(new DOMException('Requested device not found', 'NotFoundError'))
    : getUserMedia(constraints));
  md.enumerateDevices = async () => (await enumerateDevices()).filter((d) => d.kind !== 'videoinput');
}

// What the page recorded for (question, take) and what its PATCHes carried, as base64.
async function collectTake(question, take) {
  const rec = window.__shortlistTest;
  const b64 = async (blob) => {
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s);
  };
  const ups = rec.uploads.filter((u) => u.metadata.question === question && u.metadata.take === String(take));
  if (ups.length === 0) return null;
  // What the page recorded: the Blob its player plays (the upload itself may have been fed
  // from a stream while recording).
  const player = document.querySelector(`.take[data-take="${take}"] video, .take[data-take="${take}"] audio`);
  const file = (player && rec.objectUrls.get(player.src)) || ups[ups.length - 1].file;
  // The upload's URL: the creation whose metadata names this question and take.
  const decode = (m) => Object.fromEntries((m || '').split(',').map((kv) => {
    const [k, v] = kv.trim().split(' ');
    return [k, v ? atob(v) : ''];
  }));
  const creations = rec.xhrs.filter((x) => x.method === 'POST' && x.location)
    .filter((x) => { const m = decode(x.metadata); return m.question === question && m.take === String(take); });
  const urls = new Set(creations.map((x) => new URL(x.location, location.href).pathname));
  const patches = rec.xhrs.filter((x) => x.method === 'PATCH' && urls.has(x.url));
  const streamed = creations.some((x) => x.deferred);
  // Assemble the bytes the PATCHes sent, by offset (a later PATCH overwrites an earlier one).
  let assembled = null;
  let covered = 0;
  if (patches.length > 0) {
    const out = new Uint8Array(file.size);
    const spans = [];
    for (const p of patches) {
      if (!p.body || p.offset === null) continue;
      out.set(new Uint8Array(await p.body.arrayBuffer()), p.offset);
      spans.push([p.offset, p.offset + p.size]);
    }
    spans.sort((a, b) => a[0] - b[0]);
    for (const [a, b] of spans) if (a <= covered) covered = Math.max(covered, b);
    assembled = await b64(new Blob([out]));
  }
  return {
    type: file.type,
    size: file.size,
    file: await b64(file),
    assembled,
    covered,
    streamed,
    patches: patches.map((p) => ({
      url: p.url, offset: p.offset, size: p.size, status: p.status, resultOffset: p.resultOffset,
      whileRecording: p.whileRecording, uploadLength: p.uploadLength,
    })),
  };
}

// ------------------------------------------------------------------- helpers ----
const sha256 = (b64) => createHash('sha256').update(Buffer.from(b64, 'base64')).digest('hex');

async function runAxe(page, label) {
  // page.addScriptTag would add an inline <script>, which the pages' CSP (script-src 'self')
  // blocks; DevTools evaluation is not subject to the page's CSP, so evaluate the source.
  const has = await page.evaluate(() => typeof window.axe !== 'undefined');
  if (!has) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
    }));
  });
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  result.axe.push({ page: label, url: new URL(page.url()).pathname.replace(/\/i\/[^/]+/, '/i/…'), violations });
  for (const v of violations) {
    log(`axe ${label}: ${v.impact} ${v.id}: ${v.help}`);
    for (const n of v.nodes.slice(0, 5)) log(`    ${n.target} — ${(n.summary || '').replace(/\s+/g, ' ')}`);
  }
  return bad;
}

const axeFailures = [];
const phoneFailures = [];
async function axeCheck(page, label) {
  // Anything the page's own CSP blocked (the driver adds no <script> elements).
  const csp = await page.evaluate(() => (window.__shortlistTest ? window.__shortlistTest.csp.splice(0) : []));
  result.cspViolations.push(...csp.map((v) => `${label}: ${v}`));
  const bad = await runAxe(page, label);
  if (bad.length > 0) axeFailures.push(`${label}: ${bad.map((v) => `${v.impact} ${v.id}`).join(', ')}`);
}

async function heading(page) {
  return (await page.locator('h1').first().textContent({ timeout: WAIT })).trim();
}

/** Clicks `selector` and waits for the navigation it starts; returns the final response. */
async function submit(page, selector) {
  const [resp] = await Promise.all([
    page.waitForNavigation({ timeout: WAIT, waitUntil: 'load' }),
    page.click(selector, { timeout: WAIT }),
  ]);
  const status = resp ? resp.status() : 0;
  if (process.env.SHORTLIST_BROWSER_DEBUG) {
    let chain = [];
    for (let r = resp && resp.request(); r; r = r.redirectedFrom()) chain.push(`${r.method()} ${new URL(r.url()).pathname} ${JSON.stringify(r.timing())}`);
    log(`submit ${selector}: ${chain.join(' <- ')}`);
  }
  if (status !== 200) {
    const text = await page.locator('main').innerText().catch(() => '');
    throw new CheckFailed(`${selector} led to ${status} at ${new URL(page.url()).pathname}: ${text.slice(0, 500)}`);
  }
  return resp;
}

async function waitAttr(page, selector, attr, values, timeout = WAIT) {
  const list = Array.isArray(values) ? values : [values];
  try {
    await page.waitForFunction(
      ([s, a, vs]) => { const el = document.querySelector(s); return !!el && vs.includes(el.getAttribute(a)); },
      [selector, attr, list],
      { timeout, polling: 100 },
    );
  } catch (e) {
    const now = await page.evaluate(([s, a]) => {
      const el = document.querySelector(s);
      return el ? el.getAttribute(a) : '(missing)';
    }, [selector, attr]).catch(() => '?');
    const err = await page.evaluate(() => [...document.querySelectorAll('.alert:not([hidden])')].map((e) => e.textContent.trim()).join(' | ')).catch(() => '');
    throw new CheckFailed(`waiting for ${selector}[${attr}] in ${list.join('|')}: it is "${now}" after ${timeout} ms${err ? `; page says: ${err}` : ''}`);
  }
}

function stepOf(pathname, kind) {
  const m = pathname.match(/^\/i\/[^/]+(\/.*)?$/);
  if (!m) return `other:${pathname}`;
  const rest = m[1] || '';
  if (rest === '' || rest === '/') return 'landing';
  if (rest === '/device') return 'device';
  if (rest === '/practice') return 'practice';
  if (rest.startsWith('/survey/')) return `survey:${rest.slice('/survey/'.length)}`;
  if (rest.startsWith('/q/')) return `question:${rest.slice(3)}:${kind}`;
  if (rest === '/finish') return 'finish';
  if (rest === '/done') return 'done';
  return `other:${rest}`;
}

async function questionKind(page) {
  return page.evaluate(() => {
    const r = document.getElementById('recorder');
    if (r) return r.dataset.kind;
    if (document.getElementById('file-upload')) return 'file_upload';
    if (document.getElementById('answer-text')) return 'text';
    if (document.getElementById('choices')) return 'multiple_choice';
    return 'unknown';
  });
}

// --------------------------------------------------------------------- steps ----
async function landing(page) {
  // The deadline as the page shows it (local-time.js rewrites the server's UTC text).
  const time = page.locator('#deadline time');
  await page.waitForFunction(() => {
    const el = document.querySelector('#deadline time');
    return !el || el.dataset.local !== '';
  }, null, { timeout: WAIT });
  result.deadline = {
    datetime: await time.getAttribute('datetime'),
    text: await time.textContent(),
    utc: await time.getAttribute('title'),
    zone: await time.getAttribute('data-local'),
  };
  await page.check('#consent');
  await submit(page, '#start');
}

/** Without a camera: what the failed check offers, and "audio only" taken when offered.
 * Returns false when the run stops here (no audio-only offer). */
async function deviceWithoutCamera(page) {
  const state = await page.getAttribute('#device-check', 'data-state');
  const offered = await page.isVisible('#device-audio-only');
  result.deviceCheck = {
    state,
    error: (await page.locator('#device-error').textContent()).trim(),
    errorShown: await page.isVisible('#device-error'),
    retryOffered: await page.isVisible('#device-retry'),
    audioOnlyOffered: offered,
    audioOnlyLabel: offered ? (await page.locator('#device-audio-only').textContent()).trim() : null,
  };
  log(`device check without a camera: ${JSON.stringify(result.deviceCheck)}`);
  await axeCheck(page, 'device (no camera)');
  if (!offered) return false;
  await page.click('#device-audio-only');
  await waitAttr(page, '#device-check', 'data-state', ['ok', 'error']);
  check(await page.getAttribute('#device-check', 'data-state') === 'ok',
    `the audio-only check failed: ${await page.locator('#device-error').textContent()}`);
  await page.waitForFunction(() => document.getElementById('device-status').textContent !== '', null, { timeout: WAIT });
  result.deviceCheck.after = {
    status: (await page.locator('#device-status').textContent()).trim(),
    errorShown: await page.isVisible('#device-error'),
    previewShown: await page.locator('#device-preview').isVisible().catch(() => false),
    audioOnly: await page.getAttribute('#device-check', 'data-audio-only'),
    heading: await heading(page),
  };
  return true;
}

async function device(page) {
  await page.click('#device-start');
  await waitAttr(page, '#device-check', 'data-state', ['ok', 'error']);
  if (config.noCamera) {
    if (!await deviceWithoutCamera(page)) return false;
  } else {
    const state = await page.getAttribute('#device-check', 'data-state');
    check(state === 'ok', `device check failed: ${await page.locator('#device-error').textContent()}`);
    check(await page.isHidden('#device-start') && await page.isVisible('#device-preview'),
      'after the check the start button is gone and the camera preview shows');
  }
  // The microphone meter and the measured upload speed.
  await page.waitForFunction(() => document.getElementById('device-check').dataset.speed
    || /\d/.test(document.getElementById('speed-result').textContent), null, { timeout: WAIT });
  result.speedMbps = await page.getAttribute('#device-check', 'data-speed');
  await axeCheck(page, config.noCamera ? 'device (audio only)' : 'device (camera on)');
  await submit(page, '#device-continue');
  return true;
}

async function practice(page) {
  if (await page.locator('#recorder').count()) {
    // Think time 0 starts at once; otherwise start now.
    await waitAttr(page, '#recorder', 'data-state', ['thinking', 'recording', 'error']);
    if (await page.getAttribute('#recorder', 'data-state') === 'thinking') await page.click('#rec-start');
    await waitAttr(page, '#recorder', 'data-state', 'recording');
    await page.waitForTimeout(1200); // the practice take's length
    await page.click('#rec-stop');
    await waitAttr(page, '#recorder', 'data-state', 'stopped');
    await page.waitForSelector('.take[data-take="1"][data-upload-state="local"] video, .take[data-take="1"][data-upload-state="local"] audio', { timeout: WAIT });
    await axeCheck(page, 'practice (after a take)');
  }
  await submit(page, '#practice-continue');
}

async function survey(page) {
  await page.evaluate(() => {
    const form = document.getElementById('survey-form');
    const groups = new Map();
    for (const input of form.querySelectorAll('input')) {
      if (input.type === 'checkbox') input.checked = true;
      if (input.type === 'radio' && !groups.has(input.name)) {
        groups.set(input.name, true);
        input.checked = true;
      }
    }
    for (const ta of form.querySelectorAll('textarea')) ta.value = 'Answered by the browser test';
  });
  await submit(page, '#survey-submit');
}

async function recordTake(page, n, last, limitMs) {
  await waitAttr(page, '#recorder', 'data-state', ['thinking', 'recording', 'error']);
  check(await page.getAttribute('#recorder', 'data-state') !== 'error',
    `recorder error: ${await page.locator('#rec-error').textContent()}`);
  if (!last) {
    // Take 1: skip the think time, record for recordMs, stop by hand.
    if (await page.getAttribute('#recorder', 'data-state') === 'thinking') await page.click('#rec-start');
    await waitAttr(page, '#recorder', 'data-state', 'recording');
    check(await page.isVisible('#rec-stop') && await page.isHidden('#rec-start') && await page.isHidden('#rec-again'),
      'while recording only Stop is offered');
    await page.waitForTimeout(config.recordMs ?? 2000);
    await page.click('#rec-stop');
  } else {
    // The last take: the think-time countdown starts the recording, the time limit stops it.
    await waitAttr(page, '#recorder', 'data-state', 'recording', WAIT);
  }
  await waitAttr(page, '#recorder', 'data-state', 'stopped', limitMs + WAIT);
  await page.waitForSelector(`.take[data-take="${n}"]`, { timeout: WAIT });
}

async function recordedQuestion(page, id, kind, first) {
  const takes = config.takes ?? 2;
  const limitMs = Number(await page.getAttribute('#recorder', 'data-answer')) * 1000;
  const maxTakes = Number(await page.getAttribute('#recorder', 'data-max-takes'));
  check(takes <= maxTakes, `config wants ${takes} takes, the question allows ${maxTakes}`);
  for (let n = 1; n <= takes; n += 1) {
    if (n > 1) {
      await page.waitForSelector('#rec-again:not([hidden])', { timeout: WAIT });
      await page.click('#rec-again');
    }
    await recordTake(page, n, n === takes, limitMs);
  }
  if (takes === maxTakes) {
    check(await page.locator('#rec-again').isHidden(), 'no retake is offered beyond the allowed number');
  }
  const chosen = config.chooseTake ?? takes;
  const deadline = (config.uploadWaitMs ?? 60_000);
  for (let n = 1; n <= takes; n += 1) {
    await waitAttr(page, `.take[data-take="${n}"]`, 'data-upload-state', ['done', 'error'], deadline);
    check(await page.getAttribute(`.take[data-take="${n}"]`, 'data-upload-state') === 'done', `take ${n} upload failed`);
  }
  await waitAttr(page, '#recorder', 'data-uploads', 'idle');
  // Each take plays back in the page (muted, for half a second).
  for (let n = 1; n <= takes; n += 1) {
    // A video question answered with audio only plays in an <audio> element.
    const player = page.locator(`.take[data-take="${n}"] video, .take[data-take="${n}"] audio`);
    result.players = { ...result.players, [`${id}:${n}`]: await player.evaluate((el) => el.tagName.toLowerCase()) };
    const played = await player.evaluate(async (el) => {
      el.muted = true;
      try {
        await el.play();
      } catch (e) {
        return `play() failed: ${e.message}`;
      }
      const t0 = performance.now();
      while (el.currentTime < 0.5 && !el.ended && performance.now() - t0 < 10_000) {
        await new Promise((r) => { setTimeout(r, 50); });
      }
      const at = el.currentTime;
      el.pause();
      el.currentTime = 0;
      return at >= 0.5 || el.ended ? null : `stuck at ${at} s (readyState ${el.readyState}, error ${el.error && el.error.message})`;
    });
    check(played === null, `take ${n} does not play back: ${played}`);
  }
  if (first && config.screenshot) {
    // For the picture: every take showing its first frame (if it comes within 5 s).
    await page.waitForFunction(() => [...document.querySelectorAll('.take video')].every((v) => v.readyState >= 2),
      null, { timeout: 5000 }).catch(() => {});
    await page.screenshot({ path: config.screenshot, fullPage: true });
    log(`screenshot: ${config.screenshot}`);
  }
  await axeCheck(page, `question ${id} (after ${takes} takes)`);

  result.takes[id] = {};
  for (let n = 1; n <= takes; n += 1) {
    const t = await page.evaluate(([q, k]) => window.__collectTake(q, k), [id, n]);
    check(t, `no tus upload was started for take ${n} of ${id}`);
    const entry = {
      type: t.type,
      size: t.size,
      sha256: sha256(t.file),
      uploadedSha256: t.assembled ? sha256(t.assembled) : null,
      coveredBytes: t.covered,
      streamed: t.streamed,
      patches: t.patches,
    };
    result.takes[id][n] = entry;
    result.patches.push(...t.patches.map((p) => ({ question: id, take: n, ...p })));
    check(entry.uploadedSha256 === entry.sha256 && t.covered === t.size,
      `take ${n}: the PATCH bodies (${t.covered} of ${t.size} bytes) differ from the recording`);
    log(`take ${n} of ${id}: ${t.size} bytes ${t.type}, ${t.patches.length} PATCH, sha256 ${entry.sha256}`);
  }
  await page.check(`#take-${chosen}`);
  result.chosen[id] = chosen;
  if (!result.sha256) result.sha256 = result.takes[id][chosen].sha256;
  await submit(page, '#answer-submit');
}

async function question(page, id, kind, firstRecorded) {
  const answer = (config.answers || {})[id];
  if (kind === 'video' || kind === 'audio') {
    await recordedQuestion(page, id, kind, firstRecorded);
  } else if (kind === 'text') {
    await page.fill('#answer-text', typeof answer === 'string' ? answer : 'An answer typed in the browser');
    await submit(page, '#answer-submit');
  } else if (kind === 'multiple_choice') {
    const ids = Array.isArray(answer) ? answer : [];
    if (ids.length === 0) await page.locator('#choices input').first().check();
    for (const c of ids) await page.check(`#choice-${c}`);
    await submit(page, '#answer-submit');
  } else if (kind === 'file_upload') {
    await page.setInputFiles('#file-input', { name: 'cv.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n% uploaded by the browser test\n') });
    await page.click('#file-upload-button');
    await waitAttr(page, '#file-upload', 'data-state', ['done', 'error'], 60_000);
    check(await page.getAttribute('#file-upload', 'data-state') === 'done', 'file upload failed');
    await submit(page, '#answer-submit');
  } else {
    throw new CheckFailed(`question ${id}: unknown kind ${kind}`);
  }
}

async function finish(page) {
  if (await page.locator('#missing').count() > 0) {
    throw new CheckFailed(`the finish page lists missing answers: ${await page.locator('#missing').innerText()}`);
  }
  await submit(page, '#complete');
}

async function done(page) {
  await page.waitForSelector('table#receipt', { timeout: WAIT });
  result.receipt = await page.$$eval('table#receipt tbody tr', (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent.trim())));
  result.closingMessage = (await page.locator('#closing-message').textContent()).trim();
  check(result.receipt.length > 0, 'the receipt lists no answers');
}

// ---------------------------------------------------------------------- runs ----
async function walk(page) {
  let url = config.url;
  if (config.lang) url += `${url.includes('?') ? '&' : '?'}lang=${encodeURIComponent(config.lang)}`;
  const resp = await page.goto(url, { waitUntil: 'load', timeout: WAIT });
  check(resp && resp.status() === 200, `GET ${url}: ${resp ? resp.status() : 'no response'}`);
  let firstRecorded = true;
  for (let i = 0; i < 30; i += 1) {
    const pathname = new URL(page.url()).pathname;
    const kind = pathname.includes('/q/') ? await questionKind(page) : '';
    const step = stepOf(pathname, kind);
    const h1 = await heading(page);
    const lang = await page.getAttribute('html', 'lang');
    // Content wider than the window means sideways scrolling (on a phone, too).
    const overflowX = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    let phoneOverflowX = null;
    if (config.phoneCheck) {
      const before = page.viewportSize();
      await page.setViewportSize({ width: 360, height: 740 });
      phoneOverflowX = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      await page.setViewportSize(before);
      if (phoneOverflowX > 0) phoneFailures.push(`${step}: ${phoneOverflowX}px wider than a 360px phone screen`);
    }
    result.steps.push(step);
    result.pages.push({ step, heading: h1, lang, overflowX, phoneOverflowX });
    log(`step ${step}: "${h1}" (${lang})${overflowX > 0 ? `, ${overflowX}px wider than the window` : ''}`);
    const expected = config.steps && config.steps[result.steps.length - 1];
    if (config.steps) check(expected === step, `step ${result.steps.length}: expected ${expected}, got ${step}`);
    const wanted = (config.expectHeadings || {})[step];
    if (wanted) check(h1.includes(wanted), `${step}: heading "${h1}" lacks "${wanted}"`);
    if (config.lang) check(lang === config.lang, `${step}: <html lang="${lang}">, expected ${config.lang}`);
    await axeCheck(page, step);
    if (step === config.stopAt) return;
    if (step === 'landing') await landing(page);
    else if (step === 'device') {
      if (!await device(page)) return;
    }
    else if (step === 'practice') await practice(page);
    else if (step.startsWith('survey:')) await survey(page);
    else if (step.startsWith('question:')) {
      const [, id] = step.split(':');
      const recorded = kind === 'video' || kind === 'audio';
      await question(page, id, kind, recorded && firstRecorded);
      if (recorded) firstRecorded = false;
    } else if (step === 'finish') await finish(page);
    else if (step === 'done') {
      await done(page);
      break;
    } else throw new CheckFailed(`unexpected page ${pathname}`);
  }
  if (config.steps) {
    check(result.steps.length === config.steps.length,
      `visited ${result.steps.join(' → ')}; expected ${config.steps.join(' → ')}`);
  }
}

async function visit(page) {
  for (const v of config.visits || []) {
    const resp = await page.goto(v.url, { waitUntil: 'load', timeout: WAIT });
    const status = resp ? resp.status() : 0;
    const h1 = await heading(page);
    const lang = await page.getAttribute('html', 'lang');
    const detail = (await page.locator('#problem-detail').textContent().catch(() => '') || '').trim();
    const label = `visit ${new URL(v.url).pathname.replace(/\/i\/[^/]+/, '/i/…')} (${status})`;
    result.visits.push({ url: v.url, status, heading: h1, lang, detail });
    log(`${label}: "${h1}"`);
    await axeCheck(page, label);
    if (v.status !== undefined) check(status === v.status, `${v.url}: status ${status}, expected ${v.status}`);
    if (v.heading) check(h1.includes(v.heading), `${v.url}: heading "${h1}" lacks "${v.heading}"`);
  }
}

async function main() {
  const profile = mkdtempSync(join(tmpdir(), 'shortlist-chromium-'));
  let context = null;
  const timer = setTimeout(() => {
    result.error = `timed out after ${config.timeoutMs ?? 150_000} ms (steps so far: ${result.steps.join(' → ')})`;
    log(result.error);
    writeResult();
    process.exit(2);
  }, config.timeoutMs ?? 150_000);
  try {
    check(existsSync(AXE), `${AXE} is missing: run scripts/install-test-deps`);
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath(),
      headless: false, // --headless=new is in args
      args: [
        '--headless=new',
        '--no-sandbox',
        '--disable-gpu',
        '--use-fake-device-for-media-stream',
        '--use-fake-ui-for-media-stream',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--mute-audio',
        '--hide-scrollbars',
        '--autoplay-policy=no-user-gesture-required',
      ],
      viewport: { width: 1000, height: 900 },
      locale: 'en-US',
      ...(config.timeZone ? { timezoneId: config.timeZone } : {}),
      timeout: 30_000,
    });
    await context.addInitScript(instrument);
    if (config.noCamera) await context.addInitScript(noCamera);
    await context.addInitScript(`window.__collectTake = ${collectTake.toString()};`);
    const page = context.pages()[0] || await context.newPage();
    page.setDefaultTimeout(WAIT);
    page.on('pageerror', (e) => result.consoleErrors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') result.consoleErrors.push(m.text()); });
    page.on('response', (r) => {
      if (r.status() >= 400) result.failedRequests.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname.replace(/\/i\/[^/]+/, '/i/…')}`);
    });
    page.on('requestfailed', (r) => {
      const where = r.url().startsWith('blob:') ? 'blob:…' : new URL(r.url()).pathname;
      result.failedRequests.push(`failed ${r.method()} ${where} ${r.failure() ? r.failure().errorText : ''}`);
    });
    if ((config.mode || 'interview') === 'visit') await visit(page);
    else await walk(page);
    check(result.cspViolations.length === 0, `the pages' CSP blocked something: ${result.cspViolations.join('; ')}`);
    const uncaught = result.consoleErrors.filter((e) => e.startsWith('pageerror:'));
    check(uncaught.length === 0, `uncaught errors in the page: ${uncaught.join('; ')}`);
    check(phoneFailures.length === 0, `pages scroll sideways on a phone: ${phoneFailures.join('; ')}`);
    check(axeFailures.length === 0, `axe found serious or critical violations: ${axeFailures.join(' / ')}`);
    result.ok = true;
  } catch (e) {
    result.error = e instanceof CheckFailed ? e.message : (e && e.stack) || String(e);
    log(`FAILED: ${result.error}`);
  } finally {
    clearTimeout(timer);
    if (context) await context.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
    writeResult();
  }
  process.exit(result.ok ? 0 : 1);
}

main();
