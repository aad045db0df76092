/**
 * @module
 * The shopper's choice travels as a signed token (location, services,
 * partner, expiry): HMAC-SHA-256 over the payload, so neither the shopper
 * nor anyone else can forge one or change the point; the partner's server
 * checks it with `POST /api/v1/selections/verify` before accepting an order.
 *
 * The signing key is the `SELECTION_SIGNING_KEY` secret when set (set it in
 * production: `wrangler secret put SELECTION_SIGNING_KEY`), else a random
 * key generated once and kept in D1, so a fresh install works.
 */
import { eq } from 'drizzle-orm';
import { settings } from '../../db/schema';
import type { Database } from '../database';
import type { Service } from '../locations/catalog';

export interface SelectionPayload {
  /** Location id. */
  l: string;
  /** Services the partner asked for. */
  s: Service[];
  /** Partner id. */
  p: string;
  /** Expiry, seconds since the epoch. */
  e: number;
}

/** A choice is good for two hours: long enough to check out, short enough not to go stale. */
export const SELECTION_TTL_S = 2 * 3600;

const encoder = new TextEncoder();
const b64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const fromB64url = (text: string) => {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  return Uint8Array.from(atob(base64.padEnd(base64.length + ((4 - (base64.length % 4)) % 4), '=')), (c) => c.charCodeAt(0));
};

let cachedKey: { secret: string; key: Promise<CryptoKey> } | undefined;

let storedSecret: string | undefined;

async function signingSecret(db: Database, configured: string | undefined): Promise<string> {
  if (configured) return configured;
  if (storedSecret) return storedSecret;
  storedSecret = await readOrCreateSecret(db);
  return storedSecret;
}

async function readOrCreateSecret(db: Database): Promise<string> {
  const row = await db.select().from(settings).where(eq(settings.name, 'selection_signing_key')).get();
  if (row) return row.value;
  const generated = b64url(crypto.getRandomValues(new Uint8Array(32)));
  await db.insert(settings).values({ name: 'selection_signing_key', value: generated }).onConflictDoNothing();
  return (await db.select().from(settings).where(eq(settings.name, 'selection_signing_key')).get())!.value;
}

async function hmacKey(db: Database, configured: string | undefined): Promise<CryptoKey> {
  const secret = await signingSecret(db, configured);
  if (cachedKey?.secret !== secret) {
    cachedKey = { secret, key: crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']) };
  }
  return cachedKey.key;
}

export async function signSelection(db: Database, configured: string | undefined, payload: SelectionPayload): Promise<string> {
  const body = b64url(encoder.encode(JSON.stringify(payload)));
  const signature = new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(db, configured), encoder.encode(body)));
  return `${body}.${b64url(signature)}`;
}

export type Verification = { ok: true; payload: SelectionPayload } | { ok: false; reason: string };

export async function verifySelection(db: Database, configured: string | undefined, token: string, nowS: number): Promise<Verification> {
  const match = /^([A-Za-z0-9_-]{10,2000})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return { ok: false, reason: 'jeton mal formé' };
  let valid = false;
  try {
    valid = await crypto.subtle.verify('HMAC', await hmacKey(db, configured), fromB64url(match[2]), encoder.encode(match[1]));
  } catch {
    valid = false;
  }
  if (!valid) return { ok: false, reason: 'signature invalide' };
  const payload = JSON.parse(new TextDecoder().decode(fromB64url(match[1]))) as SelectionPayload;
  if (payload.e < nowS) return { ok: false, reason: 'choix expiré : le client doit choisir à nouveau' };
  return { ok: true, payload };
}
