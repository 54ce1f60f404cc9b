// Shared helpers of the candidate pages: messages, announcements, small DOM utilities.

let cache = null;

/** The page's messages (the `js.*` keys of the catalogue, without the prefix). */
export function strings() {
  if (!cache) {
    const el = document.getElementById('shortlist-strings');
    try {
      cache = el ? JSON.parse(el.textContent) : {};
    } catch (_) {
      cache = {};
    }
  }
  return cache;
}

/** The message `key` with `{name}` placeholders filled from `args`. */
export function t(key, args = {}) {
  let s = strings()[key] || key;
  for (const [k, v] of Object.entries(args)) s = s.split(`{${k}}`).join(String(v));
  return s;
}

/** Puts `text` into a live region; clearing first makes screen readers repeat equal texts. */
export function announce(el, text) {
  if (!el) return;
  el.textContent = '';
  window.setTimeout(() => { el.textContent = text; }, 50);
}

export function showError(el, text) {
  if (!el) return;
  el.textContent = text;
  el.hidden = !text;
}

export function show(el, visible) {
  if (el) el.hidden = !visible;
}

/** Moves focus to `to` when the element that had it is about to disappear. */
export function keepFocus(from, to) {
  if (from && to && document.activeElement === from) to.focus();
}

export const reducedMotion = window.matchMedia
  && window.matchMedia('(prefers-reduced-motion: reduce)').matches;

/** `/i/{token}` → token. */
export function tokenOf(base) {
  return (base || '').replace(/^\/i\//, '');
}
