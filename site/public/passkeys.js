// Passkeys: "add a passkey" (/compte/cles) and "sign in with a passkey" (/connexion).
// Optional: without WebAuthn the buttons stay hidden and the emailed code works as ever.
(function () {
  var P = window.PublicKeyCredential;
  if (!P || !navigator.credentials) return;
  var state = document.getElementById('cle-etat');
  var api = '/api/v1/account/passkeys';

  function say(text) {
    if (state) state.textContent = text;
  }
  // base64url without padding, both ways (for browsers without the JSON helpers).
  function b64(buffer) {
    var s = '', bytes = new Uint8Array(buffer);
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  function bin(text) {
    return Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), function (c) { return c.charCodeAt(0); });
  }
  function ids(list) {
    return (list || []).map(function (c) { return { type: c.type, id: bin(c.id), transports: c.transports }; });
  }
  function options(o, create) {
    if (create) {
      if (P.parseCreationOptionsFromJSON) return P.parseCreationOptionsFromJSON(o);
      o.user.id = bin(o.user.id);
      o.excludeCredentials = ids(o.excludeCredentials);
    } else {
      if (P.parseRequestOptionsFromJSON) return P.parseRequestOptionsFromJSON(o);
      o.allowCredentials = ids(o.allowCredentials);
    }
    o.challenge = bin(o.challenge);
    return o;
  }
  function answer(c) {
    try {
      if (c.toJSON) return c.toJSON();
    } catch (e) { /* some password managers' credentials cannot: built by hand below */ }
    var r = c.response, out = { id: c.id, rawId: b64(c.rawId), type: c.type, response: { clientDataJSON: b64(r.clientDataJSON) } };
    if (r.attestationObject) out.response.attestationObject = b64(r.attestationObject);
    else {
      out.response.authenticatorData = b64(r.authenticatorData);
      out.response.signature = b64(r.signature);
      out.response.userHandle = r.userHandle ? b64(r.userHandle) : null;
    }
    return out;
  }
  // The server's refusals are problem+json with a French `detail`, shown as is.
  function post(path, body) {
    return fetch(api + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body || {}) })
      .then(function (res) {
        return res.json().then(function (json) {
          if (!res.ok) throw { detail: json.detail || 'Erreur ' + res.status };
          return json;
        });
      });
  }
  function wire(id, path, create, busy) {
    var button = document.getElementById(id);
    if (!button) return;
    button.hidden = false;
    button.addEventListener('click', function () {
      button.disabled = true;
      say(busy);
      post(path + '/options')
        .then(function (o) { return navigator.credentials[create ? 'create' : 'get']({ publicKey: options(o, create) }); })
        .then(function (c) { return post(path, answer(c)); })
        .then(function (done) { location.assign(done.next); })
        .catch(function (e) {
          button.disabled = false;
          say(e.detail ||
            (e.name === 'NotAllowedError' ? 'Opération annulée ou délai dépassé : recommencez.'
              : e.name === 'InvalidStateError' ? 'Cet appareil a déjà une clé d’accès pour ce compte.'
                : 'La clé d’accès n’a pas pu être utilisée. La connexion par code reçu par courriel fonctionne toujours.'));
        });
    });
  }
  wire('cle-ajout', '/registration', true, 'Suivez les instructions de votre appareil…');
  wire('cle-connexion', '/sign-in', false, 'Choisissez votre clé d’accès…');
})();
