// Drives Debian's Chromium (playwright-core as a driver only) for
// crates/server/tests/browser_upload_xss.rs: a signed-in reviewer opens every URL of a
// candidate's file whose bytes are a page with script, and the pages that show them. No script
// may run: the page's title stays ours and the script's beacons never arrive (the Rust side
// listens for them and counts the organisation's API keys).
//
//   node tests/browser/upload_xss.mjs CONFIG      CONFIG: a JSON file, or the JSON itself
//
// Config: out, base, member {email, password}, fileUrls, pageUrls, controlPayload (the same
// script as a page of the server's origin: it must run, or this check could see nothing),
// chromium (default: `command -v chromium`), timeoutMs.
//
// Result: { ok, error, checks: [..], control, files: [{ url, status, download, title }],
// pages: [{ url, title }] }. Exit status 0 when ok, 1 when a check failed, 2 on a timeout.

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const WAIT = 20_000;
const MARK = 'PWNED';

const raw = process.argv[2];
const config = JSON.parse(raw.trim().startsWith('{') ? raw : readFileSync(raw, 'utf8'));
const result = { ok: false, error: null, checks: [], control: false, files: [], pages: [] };

function writeResult() {
  writeFileSync(config.out, `${JSON.stringify(result, null, 2)}\n`);
}

function check(cond, what) {
  result.checks.push({ what, ok: !!cond });
  if (!cond) throw new Error(`check failed: ${what}`);
}

async function signIn(context, who) {
  const page = await context.newPage();
  await page.goto(`${config.base}/login`);
  await page.fill('#email', who.email);
  await page.fill('#password', who.password);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  return page;
}

/** The title of `page`, or '' when it has no document to ask (a download). */
async function titleOf(page) {
  return page.title().catch(() => '');
}

/** Opens `url` the way a reviewer would (typed, clicked or opened in a new tab). */
async function open(context, url) {
  const page = await context.newPage();
  let download = false;
  const downloaded = page
    .waitForEvent('download', { timeout: WAIT })
    .then(() => { download = true; })
    .catch(() => {});
  let status = null;
  try {
    const r = await page.goto(url, { waitUntil: 'load', timeout: WAIT });
    status = r ? r.status() : null;
  } catch (_) {
    // A download aborts the navigation: the file never becomes a page.
    await downloaded;
  }
  return { page, status, download };
}

async function run(browser) {
  const context = await browser.newContext({ acceptDownloads: true });
  await signIn(context, config.member);

  // The control: the payload as a page of the server's origin runs and says so. Every page of
  // the origin now forbids inline scripts (Content-Security-Policy), so the control's own
  // context is told to ignore that policy; the checks below run without that exemption.
  const controlCtx = await browser.newContext({ bypassCSP: true });
  const control = await controlCtx.newPage();
  await control.goto(`${config.base}/healthz`);
  await control.setContent(config.controlPayload);
  await control.waitForFunction((mark) => document.title === mark, MARK, { timeout: WAIT });
  result.control = true;
  await controlCtx.close();

  for (const url of config.fileUrls) {
    const { page, status, download } = await open(context, url);
    const title = await titleOf(page);
    result.files.push({ url, status, download, title });
    check(title !== MARK, `no script ran when opening ${url}`);
    check(download || status === 200, `the file at ${url} was answered (${status}, download ${download})`);
    await page.close();
  }

  // The pages that show the files (players, download links) load them without running them.
  for (const url of config.pageUrls) {
    const page = await context.newPage();
    const r = await page.goto(url, { waitUntil: 'networkidle', timeout: WAIT });
    check(r && r.status() === 200, `${url} answers 200 (${r && r.status()})`);
    const title = await titleOf(page);
    result.pages.push({ url, title });
    check(title !== MARK, `no script ran on ${url}`);
    await page.close();
  }
}

const browser = await chromium.launch({
  executablePath: config.chromium || execFileSync('sh', ['-c', 'command -v chromium']).toString().trim(),
  args: ['--no-sandbox'],
});
const timer = setTimeout(() => {
  result.error = 'timeout';
  writeResult();
  process.exit(2);
}, config.timeoutMs || 120_000);
try {
  await run(browser);
  result.ok = true;
} catch (e) {
  result.error = String(e && e.stack ? e.stack : e);
} finally {
  clearTimeout(timer);
  writeResult();
  await browser.close();
}
process.exit(result.ok ? 0 : 1);
