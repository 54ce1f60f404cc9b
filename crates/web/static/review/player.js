// The interview page: playback speed per player and keyboard shortcuts (k play/pause, j/l
// five seconds back/forward, , and . slower/faster) for the player last used.
(function () {
  document.querySelectorAll('select.speed').forEach(function (s) {
    s.addEventListener('change', function () { var p = document.getElementById(s.dataset.player); if (p) p.playbackRate = parseFloat(s.value); });
  });
  var last = null;
  document.querySelectorAll('video, audio').forEach(function (p) { p.addEventListener('play', function () { last = p; }); p.addEventListener('focus', function () { last = p; }); });
  function setSpeed(p, r) { p.playbackRate = Math.min(3, Math.max(0.5, r)); var s = document.querySelector('select.speed[data-player="' + p.id + '"]'); if (s) s.value = String(p.playbackRate); }
  document.addEventListener('keydown', function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || (e.target.closest && e.target.closest('input, textarea, select'))) return;
    var p = last || document.querySelector('video, audio');
    if (!p) return;
    if (e.key === 'k') { if (p.paused) p.play(); else p.pause(); }
    else if (e.key === 'j') p.currentTime = Math.max(0, p.currentTime - 5);
    else if (e.key === 'l') p.currentTime = p.currentTime + 5;
    else if (e.key === ',') setSpeed(p, p.playbackRate - 0.25);
    else if (e.key === '.') setSpeed(p, p.playbackRate + 0.25);
    else return;
    e.preventDefault();
  });
})();
