// Optional: tells the partner page which point the shopper chooses, when they choose it.
(function () {
  var f = document.getElementById('choix');
  if (!f || window.parent === window) return;
  function send() {
    var r = f.querySelector('input[name=guichet_selection]:checked');
    if (r) window.parent.postMessage({ type: 'guichet:selection', token: r.value, id: r.dataset.id, name: r.dataset.name }, f.dataset.parentOrigin);
  }
  f.addEventListener('change', send);
})();
