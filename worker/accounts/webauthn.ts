/**
 * @module
 * Passkeys (WebAuthn Level 3), the checks without I/O: the options a
 * browser needs, and what a relying party must verify in its answers.
 * @oslojs/webauthn parses the binary formats (client data, authenticator
 * data, attestation object, COSE keys); WebCrypto checks the signatures
 * (ES256, and RS256 for the authenticators that only offer it).
 *
 * Attestation is `none`: we do not care which make of authenticator holds
 * the key, so the attestation statement is never read. Discoverable
 * credentials only (resident key, user verification required): the
 * passkey says who signs in, no address is typed first.
 *
 * The challenge is checked by the caller (it lives in the database, single
 * use); {@link readClientData} hands it over.
 * See https://www.w3.org/TR/webauthn-3/#sctn-registering-a-new-credential
 * and #sctn-verifying-assertion.
 */
import {
  ClientDataType,
  coseAlgorithmES256,
  coseAlgorithmRS256,
  coseEllipticCurveP256,
  COSEKeyType,
  type COSEPublicKey,
  createAssertionSignatureMessage,
  parseAttestationObject,
  parseAuthenticatorData,
  parseClientDataJSON,
  type AuthenticatorData,
} from '@oslojs/webauthn';
import { encodeBase64url } from '../http/base64url';

/** A challenge is good for five minutes, once. */
export const CHALLENGE_TTL_MS = 5 * 60_000;
/** What the browser may take to finish (the same five minutes). */
const TIMEOUT_MS = CHALLENGE_TTL_MS;
/** The algorithms we verify, in order of preference: ES256, then RS256. */
export const ALGORITHMS = [coseAlgorithmES256, coseAlgorithmRS256] as const;
/** The longest credential id the specification allows. */
export const MAX_CREDENTIAL_ID_BYTES = 1023;
/** RSA keys shorter than this are refused (NIST: 2048 bits at least). */
const MIN_RSA_BITS = 2048;

/** Who we are to the authenticator: the configured site origin and its host name (the rpId). */
export interface RelyingParty {
  /** `SITE_ORIGIN`, exactly as the browser reports it in the client data. */
  origin: string;
  /** The host name of the origin: a passkey works on this host only. */
  id: string;
  name: string;
}

export const relyingParty = (origin: string): RelyingParty => ({ origin, id: new URL(origin).hostname, name: 'Guichet' });

/** Why a check failed: for tests and logs; customers are shown one message per kind of failure. */
export type Refusal =
  | 'malformed'
  | 'wrong_type'
  | 'wrong_origin'
  | 'cross_origin'
  | 'wrong_rp'
  | 'user_not_present'
  | 'user_not_verified'
  | 'no_credential'
  | 'id_mismatch'
  | 'unsupported_key'
  | 'bad_signature'
  | 'counter_not_increasing';

export type Checked<T> = ({ ok: true } & T) | { ok: false; refusal: Refusal };
const refuse = (refusal: Refusal) => ({ ok: false as const, refusal });

/** A verified public key, as stored: a JWK that WebCrypto imports, and its COSE algorithm. */
export interface StoredKey {
  /** JSON of the JWK (`kty` EC P-256, or RSA). */
  publicKey: string;
  algorithm: number;
  signCount: number;
}

/** The options `navigator.credentials.create()` takes, in their JSON form (WebAuthn Level 3 `PublicKeyCredentialCreationOptionsJSON`). */
export function creationOptions(input: {
  rp: RelyingParty;
  challenge: string;
  /** Opaque bytes that name the account on the authenticator (base64url); never an address. */
  userHandle: string;
  /** What the authenticator shows in its list of accounts. */
  userName: string;
  /** The customer's passkeys already registered: the same authenticator is not registered twice. */
  exclude: string[];
}) {
  return {
    challenge: input.challenge,
    rp: { id: input.rp.id, name: input.rp.name },
    user: { id: input.userHandle, name: input.userName, displayName: input.userName },
    pubKeyCredParams: ALGORITHMS.map((alg) => ({ type: 'public-key', alg })),
    timeout: TIMEOUT_MS,
    attestation: 'none',
    authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
    excludeCredentials: input.exclude.map((id) => ({ type: 'public-key', id })),
  };
}

/** The options `navigator.credentials.get()` takes: any passkey of this site (discoverable), verified user. */
export function requestOptions(input: { rp: RelyingParty; challenge: string }) {
  return { challenge: input.challenge, rpId: input.rp.id, timeout: TIMEOUT_MS, userVerification: 'required', allowCredentials: [] };
}

/**
 * The client data's checks: the ceremony (`webauthn.create` or
 * `webauthn.get`), the origin (exactly the configured one: never derived
 * from the request), and not from a frame of another site. Answers the
 * challenge (base64url) for the caller to find and spend.
 */
export function readClientData(clientDataJSON: Uint8Array, type: 'create' | 'get', rp: RelyingParty): Checked<{ challenge: string }> {
  let clientData: ReturnType<typeof parseClientDataJSON>;
  try {
    clientData = parseClientDataJSON(clientDataJSON);
  } catch {
    return refuse('malformed');
  }
  if (clientData.type !== (type === 'create' ? ClientDataType.Create : ClientDataType.Get)) return refuse('wrong_type');
  if (clientData.origin !== rp.origin) return refuse('wrong_origin');
  if (clientData.crossOrigin === true) return refuse('cross_origin');
  return { ok: true, challenge: encodeBase64url(clientData.challenge) };
}

/** The authenticator data's checks common to both ceremonies: this site's rpId, a present and verified user. */
function checkFlags(data: AuthenticatorData, rp: RelyingParty): Refusal | undefined {
  if (!data.verifyRelyingPartyIdHash(rp.id)) return 'wrong_rp';
  if (!data.userPresent) return 'user_not_present';
  if (!data.userVerified) return 'user_not_verified';
  return undefined;
}

/**
 * A new passkey's checks (client data included): rpId, user present and
 * verified, a credential whose id is the one the browser reported, and a
 * key we can verify (ES256 on P-256, or RS256 of 2048 bits or more).
 * Answers the key to store.
 */
export async function checkRegistration(
  response: { clientDataJSON: Uint8Array; attestationObject: Uint8Array; credentialId: Uint8Array },
  rp: RelyingParty,
): Promise<Checked<{ challenge: string; credentialId: string; key: StoredKey }>> {
  const client = readClientData(response.clientDataJSON, 'create', rp);
  if (!client.ok) return client;
  let data: AuthenticatorData;
  try {
    data = parseAttestationObject(response.attestationObject).authenticatorData;
  } catch {
    return refuse('malformed');
  }
  const flags = checkFlags(data, rp);
  if (flags) return refuse(flags);
  const credential = data.credential;
  if (!credential) return refuse('no_credential');
  if (credential.id.byteLength > MAX_CREDENTIAL_ID_BYTES || !sameBytes(credential.id, response.credentialId)) return refuse('id_mismatch');
  const jwk = jwkOf(credential.publicKey);
  if (!jwk) return refuse('unsupported_key');
  // A key WebCrypto cannot import would lock the customer out later: refuse it now.
  try {
    await importKey(jwk.algorithm, jwk.jwk);
  } catch {
    return refuse('unsupported_key');
  }
  return {
    ok: true,
    challenge: client.challenge,
    credentialId: encodeBase64url(credential.id),
    key: { publicKey: JSON.stringify(jwk.jwk), algorithm: jwk.algorithm, signCount: data.signatureCounter },
  };
}

/**
 * A sign-in's checks (client data included): rpId, user present and
 * verified, the signature over authenticator data ‖ SHA-256(client data)
 * with the stored key, and the signature counter. Authenticators that keep
 * no counter (synced passkeys) always send 0; one that does must send more
 * than last time, or the key may have been cloned. Answers the new counter.
 */
export async function checkAssertion(
  response: { clientDataJSON: Uint8Array; authenticatorData: Uint8Array; signature: Uint8Array },
  key: StoredKey,
  rp: RelyingParty,
): Promise<Checked<{ challenge: string; signCount: number }>> {
  const client = readClientData(response.clientDataJSON, 'get', rp);
  if (!client.ok) return client;
  let data: AuthenticatorData;
  try {
    data = parseAuthenticatorData(response.authenticatorData);
  } catch {
    return refuse('malformed');
  }
  const flags = checkFlags(data, rp);
  if (flags) return refuse(flags);
  const message = createAssertionSignatureMessage(response.authenticatorData, response.clientDataJSON);
  if (!(await signatureHolds(key, message, response.signature))) return refuse('bad_signature');
  const counter = data.signatureCounter;
  if ((counter !== 0 || key.signCount !== 0) && counter <= key.signCount) return refuse('counter_not_increasing');
  return { ok: true, challenge: client.challenge, signCount: counter };
}

type Jwk = { kty: 'EC'; crv: 'P-256'; x: string; y: string } | { kty: 'RSA'; n: string; e: string };

/** The COSE key as a JWK, when it is one we verify. */
function jwkOf(cose: COSEPublicKey): { jwk: Jwk; algorithm: number } | undefined {
  try {
    const algorithm = cose.algorithm();
    // COSE labels: -1 crv or n, -2 x or e, -3 y (RFC 9053 §7.1, RFC 8230 §4).
    const raw = cose.decoded as Record<string, unknown>;
    if (algorithm === coseAlgorithmES256 && cose.type() === COSEKeyType.EC2 && cose.ec2().curve === coseEllipticCurveP256) {
      return { algorithm, jwk: { kty: 'EC', crv: 'P-256', x: encodeBase64url(raw['-2'] as Uint8Array), y: encodeBase64url(raw['-3'] as Uint8Array) } };
    }
    if (algorithm === coseAlgorithmRS256 && cose.type() === COSEKeyType.RSA && cose.rsa().n.toString(2).length >= MIN_RSA_BITS) {
      return { algorithm, jwk: { kty: 'RSA', n: encodeBase64url(raw['-1'] as Uint8Array), e: encodeBase64url(raw['-2'] as Uint8Array) } };
    }
  } catch {
    // A malformed key is simply not one we verify.
  }
  return undefined;
}

const ES256 = { import: { name: 'ECDSA', namedCurve: 'P-256' }, verify: { name: 'ECDSA', hash: 'SHA-256' } };
const RS256 = { import: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, verify: { name: 'RSASSA-PKCS1-v1_5' } };
const webCryptoOf = (algorithm: number) => (algorithm === coseAlgorithmES256 ? ES256 : algorithm === coseAlgorithmRS256 ? RS256 : undefined);

function importKey(algorithm: number, jwk: Jwk): Promise<CryptoKey> {
  const params = webCryptoOf(algorithm);
  if (!params) throw new Error(`unsupported COSE algorithm ${algorithm}`);
  return crypto.subtle.importKey('jwk', jwk as JsonWebKey, params.import, false, ['verify']);
}

async function signatureHolds(key: StoredKey, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  const params = webCryptoOf(key.algorithm);
  if (!params) return false;
  // WebAuthn's ECDSA signatures are DER; WebCrypto takes r ‖ s.
  const raw = key.algorithm === coseAlgorithmES256 ? derToRaw(signature) : signature;
  if (!raw) return false;
  try {
    const cryptoKey = await importKey(key.algorithm, JSON.parse(key.publicKey) as Jwk);
    return await crypto.subtle.verify(params.verify, cryptoKey, toBuffer(raw), toBuffer(message));
  } catch {
    return false;
  }
}

/**
 * An ECDSA P-256 signature from DER (`SEQUENCE { INTEGER r, INTEGER s }`,
 * RFC 3279) to the 64 bytes r ‖ s WebCrypto verifies; undefined when it
 * is not exactly that.
 */
export function derToRaw(der: Uint8Array, size = 32): Uint8Array | undefined {
  if (der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2) return undefined;
  const out = new Uint8Array(size * 2);
  let at = 2;
  for (const half of [0, 1]) {
    if (der[at] !== 0x02) return undefined;
    const length = der[at + 1]!;
    const start = at + 2;
    if (length === 0 || start + length > der.length) return undefined;
    let value = der.subarray(start, start + length);
    // INTEGERs are signed: a leading zero keeps a high bit positive.
    while (value.length > size && value[0] === 0) value = value.subarray(1);
    if (value.length > size) return undefined;
    out.set(value, half * size + size - value.length);
    at = start + length;
  }
  return at === der.length ? out : undefined;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let diff = 0;
  for (let i = 0; i < a.byteLength; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** WebCrypto wants an ArrayBuffer-backed view (TypeScript's lib says so since 5.7). */
const toBuffer = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(bytes);
