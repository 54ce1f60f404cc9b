// Shows each <time data-local> in the candidate's own time zone and the page's language. The
// server wrote the time in UTC; that text stays (as a tooltip) and is all there is without
// scripts or Intl.
const lang = document.documentElement.lang || undefined;
const options = {
  weekday: 'long', year: 'numeric', month: 'long', day: 'numeric',
  hour: '2-digit', minute: '2-digit', timeZoneName: 'short',
};

for (const el of document.querySelectorAll('time[data-local]')) {
  const at = new Date(el.dateTime);
  if (Number.isNaN(at.getTime()) || typeof Intl === 'undefined') continue;
  try {
    const local = new Intl.DateTimeFormat(lang, options).format(at);
    el.title = el.textContent;
    el.textContent = local;
    el.dataset.local = Intl.DateTimeFormat().resolvedOptions().timeZone || 'local';
  } catch (_) {
    // An engine without these options keeps the UTC text.
  }
}
