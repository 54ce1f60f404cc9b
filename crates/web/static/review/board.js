// The review board: the candidates ticked in the table go with the share-link form too.
document.getElementById('share-form').addEventListener('submit', function (e) {
  var f = e.target;
  f.querySelectorAll('input[data-copied]').forEach(function (i) { i.remove(); });
  document.querySelectorAll('#bulk input[name=invitation_ids]:checked').forEach(function (c) {
    var i = document.createElement('input'); i.type = 'hidden'; i.name = 'invitation_ids'; i.value = c.value; i.dataset.copied = '1'; f.appendChild(i);
  });
});
