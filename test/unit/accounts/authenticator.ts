/**
 * A software WebAuthn authenticator for tests (Node and workerd alike):
 * real keys (WebCrypto), real CBOR and DER, the byte layouts of the
 * specification written out here independently of the code under test.
 * Every field can be bent to build the answers a relying party must refuse.
 */
import { encodeBase64url } from '../../../worker/http/base64url';

/** Authenticator data flags (WebAuthn §6.1): user present, user verified, attested credential data. */
export const UP = 0x01;
export const UV = 0x04;
export const AT = 0x40;

type Cbor = number | string | Uint8Array | CborMap | { [key: string]: Cbor };
interface CborMap extends Map<number | string, Cbor> {}

function head(major: number, n: number): number[] {
  if (n < 24) return [(major << 5) | n];
  if (n < 0x100) return [(major << 5) | 24, n];
  if (n < 0x10000) return [(major << 5) | 25, n >> 8, n & 0xff];
  return [(major << 5) | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

/** The CBOR subset WebAuthn uses: integers, byte and text strings, maps. */
export function cbor(value: Cbor): Uint8Array {
  const out: number[] = [];
  const put = (v: Cbor) => {
    if (typeof v === 'number') out.push(...(v >= 0 ? head(0, v) : head(1, -1 - v)));
    else if (typeof v === 'string') {
      const bytes = new TextEncoder().encode(v);
      out.push(...head(3, bytes.length), ...bytes);
    } else if (v instanceof Uint8Array) out.push(...head(2, v.length), ...v);
    else {
      const entries = v instanceof Map ? [...v.entries()] : Object.entries(v);
      out.push(...head(5, entries.length));
      for (const [key, item] of entries) {
        put(key);
        put(item);
      }
    }
  };
  put(value);
  return Uint8Array.from(out);
}

const fromBase64url = (text: string) => Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
};
const sha256 = async (bytes: Uint8Array) => new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(bytes)));
const u32 = (n: number) => Uint8Array.of((n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);

/** r ‖ s (WebCrypto's ECDSA output) as the DER SEQUENCE WebAuthn authenticators send. */
export function rawToDer(raw: Uint8Array): Uint8Array {
  const integer = (bytes: Uint8Array) => {
    let i = 0;
    while (i < bytes.length - 1 && bytes[i] === 0) i++;
    const trimmed = bytes.subarray(i);
    const value = trimmed[0]! & 0x80 ? concat(Uint8Array.of(0), trimmed) : trimmed;
    return concat(Uint8Array.of(0x02, value.length), value);
  };
  const body = concat(integer(raw.subarray(0, raw.length / 2)), integer(raw.subarray(raw.length / 2)));
  return concat(Uint8Array.of(0x30, body.length), body);
}

export interface Ceremony {
  challenge: string;
  origin: string;
  rpId: string;
  /** Defaults: `webauthn.create` for a registration, `webauthn.get` for a sign-in. */
  type?: string;
  crossOrigin?: boolean;
  /** Defaults to UP | UV (plus AT on registration). */
  flags?: number;
}

export interface RegistrationJSON {
  id: string;
  rawId: string;
  type: 'public-key';
  response: { clientDataJSON: string; attestationObject: string; transports: string[] };
  clientExtensionResults: Record<string, never>;
}

export interface AssertionJSON {
  id: string;
  rawId: string;
  type: 'public-key';
  response: { clientDataJSON: string; authenticatorData: string; signature: string; userHandle: string | null };
  clientExtensionResults: Record<string, never>;
}

export class SoftAuthenticator {
  /** The signature counter; 0 stays 0 (as synced passkeys do) unless `counts` is set. */
  counter = 0;
  userHandle: string | null = null;

  private constructor(
    readonly algorithm: 'ES256' | 'RS256',
    readonly credentialId: Uint8Array,
    private readonly keys: CryptoKeyPair,
    private readonly counts: boolean,
  ) {}

  static async create(options: { algorithm?: 'ES256' | 'RS256'; counts?: boolean } = {}): Promise<SoftAuthenticator> {
    const algorithm = options.algorithm ?? 'ES256';
    const keys = (await (algorithm === 'ES256'
      ? crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])
      : crypto.subtle.generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: Uint8Array.of(1, 0, 1), hash: 'SHA-256' }, true, ['sign', 'verify']))) as CryptoKeyPair;
    return new SoftAuthenticator(algorithm, crypto.getRandomValues(new Uint8Array(16)), keys, options.counts ?? false);
  }

  get id(): string {
    return encodeBase64url(this.credentialId);
  }

  /** The public key as COSE (RFC 9053 / RFC 8230 labels). */
  async coseKey(): Promise<Uint8Array> {
    const jwk = await crypto.subtle.exportKey('jwk', this.keys.publicKey);
    if (this.algorithm === 'ES256') {
      return cbor(new Map<number, Cbor>([[1, 2], [3, -7], [-1, 1], [-2, fromBase64url(jwk.x!)], [-3, fromBase64url(jwk.y!)]]));
    }
    return cbor(new Map<number, Cbor>([[1, 3], [3, -257], [-1, fromBase64url(jwk.n!)], [-2, fromBase64url(jwk.e!)]]));
  }

  private clientData(ceremony: Ceremony, type: string): Uint8Array {
    return new TextEncoder().encode(JSON.stringify({
      type: ceremony.type ?? type,
      challenge: ceremony.challenge,
      origin: ceremony.origin,
      crossOrigin: ceremony.crossOrigin ?? false,
    }));
  }

  /** `navigator.credentials.create()`'s answer, as `toJSON()` gives it. */
  async register(ceremony: Ceremony, userHandle?: string): Promise<RegistrationJSON> {
    this.userHandle = userHandle ?? null;
    const clientDataJSON = this.clientData(ceremony, 'webauthn.create');
    const attested = concat(new Uint8Array(16), Uint8Array.of(this.credentialId.length >> 8, this.credentialId.length & 0xff), this.credentialId, await this.coseKey());
    const authData = concat(await sha256(new TextEncoder().encode(ceremony.rpId)), Uint8Array.of(ceremony.flags ?? (UP | UV | AT)), u32(this.counter), attested);
    const attestationObject = cbor({ fmt: 'none', attStmt: {}, authData });
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: { clientDataJSON: encodeBase64url(clientDataJSON), attestationObject: encodeBase64url(attestationObject), transports: ['internal'] },
      clientExtensionResults: {},
    };
  }

  /** `navigator.credentials.get()`'s answer, as `toJSON()` gives it. */
  async assert(ceremony: Ceremony): Promise<AssertionJSON> {
    if (this.counts) this.counter++;
    const clientDataJSON = this.clientData(ceremony, 'webauthn.get');
    const authenticatorData = concat(await sha256(new TextEncoder().encode(ceremony.rpId)), Uint8Array.of(ceremony.flags ?? (UP | UV)), u32(this.counter));
    const message = concat(authenticatorData, await sha256(clientDataJSON));
    const signed = new Uint8Array(await crypto.subtle.sign(
      this.algorithm === 'ES256' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5' },
      this.keys.privateKey,
      message,
    ));
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: {
        clientDataJSON: encodeBase64url(clientDataJSON),
        authenticatorData: encodeBase64url(authenticatorData),
        signature: encodeBase64url(this.algorithm === 'ES256' ? rawToDer(signed) : signed),
        userHandle: this.userHandle,
      },
      clientExtensionResults: {},
    };
  }
}

/** Decodes a base64url field of an answer (tests bend the bytes, then encode again). */
export const bytesOf = fromBase64url;
