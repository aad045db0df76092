// "Utiliser ma position": fills the hidden near field and submits. Optional: the form works without it.
(function () {
  var b = document.getElementById('ma-position');
  if (!b || !navigator.geolocation) return;
  b.hidden = false;
  b.addEventListener('click', function () {
    var s = document.getElementById('position-etat');
    s.textContent = 'Recherche de votre position…';
    navigator.geolocation.getCurrentPosition(function (p) {
      var f = b.form;
      f.near.value = p.coords.latitude.toFixed(5) + ',' + p.coords.longitude.toFixed(5);
      f.q.value = '';
      f.submit();
    }, function () {
      s.textContent = 'Position indisponible : saisissez une commune ou un code postal.';
    }, { timeout: 10000, maximumAge: 60000 });
  });
})();
