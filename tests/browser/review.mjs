// Drives Debian's Chromium (playwright-core as a driver only) through the review pages, for
// crates/server/tests/review_browser.rs. axe-core is evaluated in every page checked.
//
//   node tests/browser/review.mjs CONFIG      CONFIG: a JSON file, or the JSON itself
//
// Config: out, base, inv, member {email, password}, stranger {email, password}, reviewUrl,
// shareUrl, hiddenText (prompt and answer that must never reach the guest), hiddenIds,
// expiredUrl, revokedUrl, chromium (default: `command -v chromium`), timeoutMs.
//
// Result: { ok, error, checks: [..], axe: [..], average, guestEvaluateStatus, shareRequests,
// consoleErrors }. Exit status 0 when ok, 1 when a check failed, 2 on a timeout.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const AXE = join(HERE, 'node_modules', 'axe-core', 'axe.min.js');
const AXE_SOURCE = existsSync(AXE) ? readFileSync(AXE, 'utf8') : '';
const WAIT = 20_000;

const raw = process.argv[2];
const config = JSON.parse(raw.trim().startsWith('{') ? raw : readFileSync(raw, 'utf8'));
const result = { ok: false, error: null, checks: [], axe: [], shareRequests: [], consoleErrors: [] };

function writeResult() {
  writeFileSync(config.out, `${JSON.stringify(result, null, 2)}\n`);
}

function check(cond, what) {
  result.checks.push({ what, ok: !!cond });
  if (!cond) throw new Error(`check failed: ${what}`);
}

async function axeCheck(page, label) {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  });
  result.axe.push({ page: label, violations });
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  check(bad.length === 0, `axe on ${label}: ${bad.map((v) => `${v.impact} ${v.id} ${v.nodes.join(',')}`).join('; ')}`);
}

async function signIn(context, who) {
  const page = await context.newPage();
  await page.goto(`${config.base}/login`);
  await page.fill('#email', who.email);
  await page.fill('#password', who.password);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  return page;
}

async function run(browser) {
  // 1. An account user evaluates and sees the team average afterwards.
  const memberCtx = await browser.newContext();
  const page = await signIn(memberCtx, config.member);
  page.on('console', (m) => { if (m.type() === 'error') result.consoleErrors.push(m.text()); });
  let resp = await page.goto(`${config.base}/interviews/${config.inv}`);
  check(resp.status() === 200, 'member opens the interview');
  check(await page.locator('#team-hidden').isVisible(), 'the team is hidden before one evaluates');
  await axeCheck(page, 'interview (member)');
  // Speed control and keyboard shortcuts on the player.
  await page.selectOption('select.speed[data-player="player-q1"]', '1.5');
  check((await page.evaluate(() => document.getElementById('player-q1').playbackRate)) === 1.5, 'speed menu sets the rate');
  await page.locator('h1').click();
  await page.keyboard.press('.');
  check((await page.evaluate(() => document.getElementById('player-q1').playbackRate)) === 1.75, 'the . key speeds up');
  await page.selectOption('#rating_q1', '4');
  await page.fill('#note_q1', 'Clear and structured');
  await page.selectOption('#criterion_comm', '4');
  await page.fill('#comment', 'Good candidate');
  await page.check('input[name=decision][value=advance]');
  await Promise.all([page.waitForNavigation(), page.click('#evaluation button[type=submit]')]);
  await page.locator('#team-average').waitFor({ timeout: WAIT });
  result.average = (await page.locator('#team-average').textContent()).trim();
  check(await page.locator('#others').isVisible(), 'the others\' evaluations show after one\'s own');
  await axeCheck(page, 'interview after evaluating');

  // 2. The read-only interview URL: answers, no evaluation controls; the API refuses the key.
  const guestCtx = await browser.newContext();
  const guest = await guestCtx.newPage();
  resp = await guest.goto(config.reviewUrl);
  check(resp.status() === 200, 'the interview URL opens without an account');
  check(await guest.locator('#read-only').isVisible(), 'it says it is read-only');
  check((await guest.locator('.text-answer').count()) > 0, 'answers are shown');
  check((await guest.locator('#evaluation, select[name^=rating_], textarea[name^=note_], input[name=decision]').count()) === 0, 'no evaluation controls');
  await axeCheck(guest, 'interview (read-only)');
  const key = config.reviewUrl.split('/').pop();
  result.guestEvaluateStatus = await guest.evaluate(async ({ inv, key }) => {
    const r = await fetch(`/api/v1/invitations/${inv}/evaluations?key=${key}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-review-key': key },
      body: JSON.stringify({ ratings: [{ question_id: 'q1', rating: 1 }], decision: 'reject' }),
    });
    return r.status;
  }, { inv: config.inv, key });
  check(result.guestEvaluateStatus === 401, `a direct evaluation with only the key is refused (${result.guestEvaluateStatus})`);

  // 3. A share link with a hidden question: absent from the page and every request it makes.
  const shareCtx = await browser.newContext();
  const share = await shareCtx.newPage();
  const bodies = [];
  share.on('request', (r) => result.shareRequests.push(r.url().replace(/\/s\/[^/]+/, '/s/…')));
  share.on('response', async (r) => {
    try { bodies.push(await r.text()); } catch { /* media and redirects have no text */ }
  });
  resp = await share.goto(config.shareUrl);
  check(resp.status() === 200, 'the share link opens');
  check(resp.headers()['referrer-policy'] === 'no-referrer' && /noindex/.test(resp.headers()['x-robots-tag'] || ''), 'capability headers');
  await axeCheck(share, 'share list');
  await Promise.all([share.waitForNavigation(), share.locator('#candidates a').first().click()]);
  await share.waitForLoadState('networkidle');
  await axeCheck(share, 'shared candidate');
  const html = await share.content();
  for (const h of config.hiddenText) {
    check(!html.includes(h), `hidden "${h}" is not on the page`);
    check(!bodies.some((b) => b.includes(h)), `hidden "${h}" is in no response`);
  }
  for (const q of config.hiddenIds) {
    check((await share.locator(`[data-question="${q}"]`).count()) === 0, `hidden question ${q} has no section`);
    check(!result.shareRequests.some((u) => u.includes(`/takes/${q}/`)), `no request for hidden question ${q}`);
  }
  check(result.shareRequests.some((u) => u.includes('/takes/q1/')), 'the visible answer\'s media was requested');

  // 4. Expired and revoked links are gone (410), with a page that says so.
  for (const [url, word] of [[config.expiredUrl, 'expired'], [config.revokedUrl, 'revoked']]) {
    const p = await shareCtx.newPage();
    const r = await p.goto(url);
    check(r.status() === 410, `${word} link → 410 (${r.status()})`);
    check((await p.locator('h1').textContent()).toLowerCase().includes(word), `the page says ${word}`);
    await axeCheck(p, `${word} link`);
  }

  // 5. A reviewer of another organisation gets 404.
  const strangerCtx = await browser.newContext();
  const stranger = await signIn(strangerCtx, config.stranger);
  for (const url of [`${config.base}/interviews/${config.inv}`, config.reviewUrl]) {
    const r = await stranger.goto(url);
    check(r.status() === 404, `another organisation gets 404 (${r.status()})`);
  }
}

const browser = await chromium.launch({
  executablePath: config.chromium || execFileSync('sh', ['-c', 'command -v chromium']).toString().trim(),
  args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required'],
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
