/**
 * The WebAuthn checks, on answers from a software authenticator with real
 * keys: what a relying party must accept, and each thing it must refuse.
 */
import { describe, expect, it } from 'vitest';
import { decodeBase64url, encodeBase64url } from '../../../worker/http/base64url';
import {
  checkAssertion,
  checkRegistration,
  creationOptions,
  derToRaw,
  readClientData,
  relyingParty,
  requestOptions,
  type StoredKey,
} from '../../../worker/accounts/webauthn';
import { type AssertionJSON, AT, bytesOf, type Ceremony, type RegistrationJSON, SoftAuthenticator, UP, UV } from './authenticator';

const rp = relyingParty('https://guichet.example');
const challenge = encodeBase64url(crypto.getRandomValues(new Uint8Array(32)));
const ceremony: Ceremony = { challenge, origin: 'https://guichet.example', rpId: 'guichet.example' };

const registrationOf = (answer: RegistrationJSON) => ({
  clientDataJSON: bytesOf(answer.response.clientDataJSON),
  attestationObject: bytesOf(answer.response.attestationObject),
  credentialId: bytesOf(answer.rawId),
});
const assertionOf = (answer: AssertionJSON) => ({
  clientDataJSON: bytesOf(answer.response.clientDataJSON),
  authenticatorData: bytesOf(answer.response.authenticatorData),
  signature: bytesOf(answer.response.signature),
});

async function registered(options: { algorithm?: 'ES256' | 'RS256'; counts?: boolean } = {}) {
  const authenticator = await SoftAuthenticator.create(options);
  const result = await checkRegistration(registrationOf(await authenticator.register(ceremony)), rp);
  if (!result.ok) throw new Error(`registration refused: ${result.refusal}`);
  return { authenticator, key: result.key, result };
}

describe('relying party', () => {
  it('is the configured origin and its host name, whatever the port', () => {
    expect(relyingParty('http://localhost:8787')).toEqual({ origin: 'http://localhost:8787', id: 'localhost', name: 'Guichet' });
  });

  it('asks for a discoverable, user-verified passkey without attestation, ES256 first', () => {
    const options = creationOptions({ rp, challenge, userHandle: 'dXNlcg', userName: 'a@exemple.fr', exclude: ['AAAA'] });
    expect(options.attestation).toBe('none');
    expect(options.authenticatorSelection).toEqual({ residentKey: 'required', requireResidentKey: true, userVerification: 'required' });
    expect(options.pubKeyCredParams.map((p) => p.alg)).toEqual([-7, -257]);
    expect(options.rp.id).toBe('guichet.example');
    expect(options.excludeCredentials).toEqual([{ type: 'public-key', id: 'AAAA' }]);
    expect(requestOptions({ rp, challenge })).toMatchObject({ rpId: 'guichet.example', allowCredentials: [], userVerification: 'required' });
  });
});

describe('registration', () => {
  it('accepts an ES256 passkey and answers its key, id and the challenge to spend', async () => {
    const authenticator = await SoftAuthenticator.create();
    const result = await checkRegistration(registrationOf(await authenticator.register(ceremony)), rp);
    expect(result).toMatchObject({ ok: true, challenge, credentialId: authenticator.id, key: { algorithm: -7, signCount: 0 } });
    if (result.ok) expect(JSON.parse(result.key.publicKey)).toMatchObject({ kty: 'EC', crv: 'P-256' });
  });

  it('accepts an RS256 passkey', async () => {
    const { key } = await registered({ algorithm: 'RS256' });
    expect(key.algorithm).toBe(-257);
    expect(JSON.parse(key.publicKey)).toMatchObject({ kty: 'RSA', e: 'AQAB' });
  });

  it('refuses a wrong ceremony, origin, frame, rpId, missing presence or verification', async () => {
    const authenticator = await SoftAuthenticator.create();
    const refusal = async (bent: Partial<Ceremony>) => {
      const result = await checkRegistration(registrationOf(await authenticator.register({ ...ceremony, ...bent })), rp);
      return result.ok ? 'accepted' : result.refusal;
    };
    expect(await refusal({ type: 'webauthn.get' })).toBe('wrong_type');
    expect(await refusal({ origin: 'https://guichet.example.evil.test' })).toBe('wrong_origin');
    expect(await refusal({ origin: 'http://guichet.example' })).toBe('wrong_origin');
    expect(await refusal({ crossOrigin: true })).toBe('cross_origin');
    expect(await refusal({ rpId: 'evil.test' })).toBe('wrong_rp');
    expect(await refusal({ flags: UV | AT })).toBe('user_not_present');
    expect(await refusal({ flags: UP | AT })).toBe('user_not_verified');
    expect(await refusal({ flags: UP | UV })).toBe('no_credential');
  });

  it('refuses a credential id other than the one the authenticator attested', async () => {
    const authenticator = await SoftAuthenticator.create();
    const answer = registrationOf(await authenticator.register(ceremony));
    const result = await checkRegistration({ ...answer, credentialId: crypto.getRandomValues(new Uint8Array(16)) }, rp);
    expect(result).toEqual({ ok: false, refusal: 'id_mismatch' });
  });

  it('refuses garbage', async () => {
    const garbage = new TextEncoder().encode('not cbor at all');
    expect(await checkRegistration({ clientDataJSON: garbage, attestationObject: garbage, credentialId: garbage }, rp)).toEqual({ ok: false, refusal: 'malformed' });
  });
});

describe('sign-in', () => {
  it('accepts a signature by the registered key (ES256 and RS256)', async () => {
    for (const algorithm of ['ES256', 'RS256'] as const) {
      const { authenticator, key } = await registered({ algorithm });
      expect(await checkAssertion(assertionOf(await authenticator.assert(ceremony)), key, rp)).toEqual({ ok: true, challenge, signCount: 0 });
    }
  });

  it('refuses a tampered signature, a tampered authenticator data, another key', async () => {
    const { authenticator, key } = await registered();
    const answer = assertionOf(await authenticator.assert(ceremony));
    const signature = answer.signature.slice();
    signature[signature.length - 1]! ^= 0x01;
    expect(await checkAssertion({ ...answer, signature }, key, rp)).toEqual({ ok: false, refusal: 'bad_signature' });
    // The counter byte changed after signing: the signature no longer covers what is sent.
    const authenticatorData = answer.authenticatorData.slice();
    authenticatorData[36]! ^= 0x01;
    expect(await checkAssertion({ ...answer, authenticatorData }, key, rp)).toEqual({ ok: false, refusal: 'bad_signature' });
    const { key: otherKey } = await registered();
    expect(await checkAssertion(answer, otherKey, rp)).toEqual({ ok: false, refusal: 'bad_signature' });
  });

  it('refuses a tampered client data (the signature covers its digest)', async () => {
    const { authenticator, key } = await registered();
    const answer = assertionOf(await authenticator.assert(ceremony));
    const other = new TextEncoder().encode(new TextDecoder().decode(answer.clientDataJSON).replace(challenge, encodeBase64url(new Uint8Array(32))));
    expect(await checkAssertion({ ...answer, clientDataJSON: other }, key, rp)).toEqual({ ok: false, refusal: 'bad_signature' });
  });

  it('refuses a wrong origin, rpId, ceremony, frame, missing verification', async () => {
    const { authenticator, key } = await registered();
    const refusal = async (bent: Partial<Ceremony>) => {
      const result = await checkAssertion(assertionOf(await authenticator.assert({ ...ceremony, ...bent })), key, rp);
      return result.ok ? 'accepted' : result.refusal;
    };
    expect(await refusal({ origin: 'https://evil.test' })).toBe('wrong_origin');
    expect(await refusal({ rpId: 'evil.test' })).toBe('wrong_rp');
    expect(await refusal({ type: 'webauthn.create' })).toBe('wrong_type');
    expect(await refusal({ crossOrigin: true })).toBe('cross_origin');
    expect(await refusal({ flags: UP })).toBe('user_not_verified');
    expect(await refusal({ flags: UV })).toBe('user_not_present');
  });

  it('follows a counting authenticator, and refuses a counter that does not increase (a cloned key)', async () => {
    const { authenticator, key } = await registered({ counts: true });
    expect(await checkAssertion(assertionOf(await authenticator.assert(ceremony)), key, rp)).toEqual({ ok: true, challenge, signCount: 1 });
    const afterFirst: StoredKey = { ...key, signCount: 1 };
    expect(await checkAssertion(assertionOf(await authenticator.assert(ceremony)), afterFirst, rp)).toEqual({ ok: true, challenge, signCount: 2 });
    // A copy of the key that signed once more elsewhere: the server has seen 2, this one sends 2 again, then 0.
    const afterSecond: StoredKey = { ...key, signCount: 2 };
    authenticator.counter = 1;
    expect(await checkAssertion(assertionOf(await authenticator.assert(ceremony)), afterSecond, rp)).toEqual({ ok: false, refusal: 'counter_not_increasing' });
    const silent = await SoftAuthenticator.create();
    const silentKey = await checkRegistration(registrationOf(await silent.register(ceremony)), rp);
    if (!silentKey.ok) throw new Error(silentKey.refusal);
    expect(await checkAssertion(assertionOf(await silent.assert(ceremony)), { ...silentKey.key, signCount: 2 }, rp)).toEqual({ ok: false, refusal: 'counter_not_increasing' });
  });

  it('admits counters that stay at 0 (synced passkeys keep none)', async () => {
    const { authenticator, key } = await registered();
    for (let i = 0; i < 2; i++) expect((await checkAssertion(assertionOf(await authenticator.assert(ceremony)), key, rp)).ok).toBe(true);
  });
});

describe('client data', () => {
  it('answers the challenge as sent, for the caller to spend', () => {
    const json = new TextEncoder().encode(JSON.stringify({ type: 'webauthn.get', challenge, origin: rp.origin }));
    expect(readClientData(json, 'get', rp)).toEqual({ ok: true, challenge });
    expect(readClientData(json, 'create', rp)).toEqual({ ok: false, refusal: 'wrong_type' });
    expect(readClientData(new TextEncoder().encode('{'), 'get', rp)).toEqual({ ok: false, refusal: 'malformed' });
  });
});

describe('DER signatures', () => {
  it('become r ‖ s, with the sign byte dropped and short integers padded', () => {
    const r = new Uint8Array(32).fill(0x80);
    const s = Uint8Array.of(...new Array(31).fill(0), 0x05);
    // SEQUENCE { INTEGER 00 80…80 (33 bytes), INTEGER 05 }
    const der = Uint8Array.of(0x30, 2 + 33 + 2 + 1, 0x02, 33, 0x00, ...r, 0x02, 1, 0x05);
    expect(derToRaw(der)).toEqual(Uint8Array.of(...r, ...s));
  });

  it('refuse anything else', () => {
    expect(derToRaw(decodeBase64url('MAYCAQECAQ')!)).toBeUndefined(); // truncated
    expect(derToRaw(Uint8Array.of(0x31, 6, 0x02, 1, 1, 0x02, 1, 1))).toBeUndefined(); // not a SEQUENCE
    expect(derToRaw(Uint8Array.of(0x30, 7, 0x02, 1, 1, 0x02, 1, 1, 0))).toBeUndefined(); // trailing byte
    expect(derToRaw(Uint8Array.of(0x30, 38, 0x02, 33, 1, ...new Array(32).fill(1), 0x02, 1, 1))).toBeUndefined(); // r too long
  });
});
