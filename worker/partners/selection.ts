/**
 * @module
 * The shopper's choice travels as a signed token (location, services,
 * partner tag, expiry): HMAC-SHA-256 over the payload, so neither the shopper
 * nor anyone else can forge one or change the point; the partner's server
 * checks it with `POST /api/v1/selections/verify` before accepting an order.
 *
 * Tokens are canonical (one spelling per token: a re-encoded signature is
 * refused) and carry no internal id: the partner is named by a tag, an HMAC
 * of its id under the signing key, that only Guichet can compute.
 *
 * The signing key is the `SELECTION_SIGNING_KEY` secret, at least 32 bytes.
 * In production (see `isProduction` in env.ts) it is required: signing and
 * verifying refuse to run without it. Elsewhere, when unset, a random key is
 * generated once and kept in D1, so a fresh local install works.
 */
import { type Database, readOrCreateSetting } from '../database';
import { bindings, isProduction } from '../env';
import { decodeBase64url, encodeBase64url } from '../http/base64url';
import { randomSecret } from '../http/crypto';
import type { Service } from '../locations/catalog';

export interface SelectionPayload {
  /** Location id. */
  l: string;
  /** Services the partner asked for. */
  s: Service[];
  /** Partner tag: not the partner's id, see {@link partnerTag}. */
  p: string;
  /** Expiry, seconds since the epoch. */
  e: number;
}

/** What signs: the configured key, and whether this is production (where it is required). */
export interface SigningConfig {
  key: string | undefined;
  production: boolean;
}

/** The running Worker's signing configuration. */
export const signingConfig = (): SigningConfig => ({ key: bindings().SELECTION_SIGNING_KEY, production: isProduction() });

/** A choice is good for two hours: long enough to check out, short enough not to go stale. */
export const SELECTION_TTL_S = 2 * 3600;
export const MIN_SIGNING_KEY_BYTES = 32;

const encoder = new TextEncoder();

/** Only resolved values are kept across requests: never a promise tied to the request that started it. */
let cachedKey: { secret: string; key: CryptoKey } | undefined;
let storedSecret: string | undefined;

export class SigningKeyMissing extends Error {}

async function signingSecret(db: Database, config: SigningConfig): Promise<string> {
  if (config.key !== undefined && config.key !== '') {
    if (encoder.encode(config.key).byteLength < MIN_SIGNING_KEY_BYTES) {
      throw new SigningKeyMissing(`SELECTION_SIGNING_KEY is too short: at least ${MIN_SIGNING_KEY_BYTES} bytes (e.g. openssl rand -base64 48)`);
    }
    return config.key;
  }
  if (config.production) {
    throw new SigningKeyMissing('SELECTION_SIGNING_KEY is required in production: wrangler secret put SELECTION_SIGNING_KEY (32 bytes or more)');
  }
  storedSecret ??= await readOrCreateSecret(db);
  return storedSecret;
}

const readOrCreateSecret = (db: Database) => readOrCreateSetting(db, 'selection_signing_key', () => randomSecret());

async function hmacKey(db: Database, config: SigningConfig): Promise<CryptoKey> {
  const secret = await signingSecret(db, config);
  if (cachedKey?.secret === secret) return cachedKey.key;
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  cachedKey = { secret, key };
  return key;
}

const hmac = async (key: CryptoKey, text: string) => new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(text)));

/** The partner as a token names it: 128 bits of an HMAC of its id, meaningless outside Guichet. */
async function partnerTag(key: CryptoKey, partnerId: string): Promise<string> {
  return encodeBase64url((await hmac(key, `partner:${partnerId}`)).slice(0, 16));
}

export async function signSelection(
  db: Database,
  config: SigningConfig,
  choice: { l: string; s: Service[]; e: number; partnerId: string },
): Promise<string> {
  const key = await hmacKey(db, config);
  const payload: SelectionPayload = { l: choice.l, s: choice.s, p: await partnerTag(key, choice.partnerId), e: choice.e };
  const body = encodeBase64url(encoder.encode(JSON.stringify(payload)));
  return `${body}.${encodeBase64url(await hmac(key, body))}`;
}

/** One signed choice per point offered to a shopper, all valid {@link SELECTION_TTL_S} from `now`. */
export async function offerSelections(
  db: Database,
  config: SigningConfig,
  offer: { partnerId: string; services: Service[]; locationIds: string[]; now: Date },
): Promise<string[]> {
  const e = Math.floor(offer.now.getTime() / 1000) + SELECTION_TTL_S;
  const tokens: string[] = [];
  for (const l of offer.locationIds) tokens.push(await signSelection(db, config, { l, s: offer.services, partnerId: offer.partnerId, e }));
  return tokens;
}

export type Verification = { ok: true; payload: SelectionPayload } | { ok: false; reason: string };

/** Checks a token's form, signature, expiry and that it was issued to `partnerId`. */
export async function verifySelection(db: Database, config: SigningConfig, token: string, nowS: number, partnerId: string): Promise<Verification> {
  const match = /^([A-Za-z0-9_-]{10,2000})\.([A-Za-z0-9_-]{43})$/.exec(token);
  const body = match && decodeBase64url(match[1]);
  const signature = match && decodeBase64url(match[2]);
  if (!match || !body || !signature) return { ok: false, reason: 'jeton mal formé' };
  const key = await hmacKey(db, config);
  if (!(await crypto.subtle.verify('HMAC', key, signature, encoder.encode(match[1])))) return { ok: false, reason: 'signature invalide' };
  const payload = JSON.parse(new TextDecoder().decode(body)) as SelectionPayload;
  if (payload.p !== (await partnerTag(key, partnerId))) return { ok: false, reason: 'choix émis pour un autre partenaire' };
  if (payload.e < nowS) return { ok: false, reason: 'choix expiré : le client doit choisir à nouveau' };
  return { ok: true, payload };
}
