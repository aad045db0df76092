/**
 * @module
 * The carriers' request signature, close to Stripe's webhook scheme:
 *
 *     Guichet-Signature: k=<carrier id>,t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "t.body")>
 *
 * signed over the raw body bytes as sent. A timestamp more than 5 minutes
 * from our clock is refused (stale, or a clock far ahead), and a request's
 * signature is accepted once (the replay record is written in the same
 * batch as its events, see ingest.ts). Pure apart from WebCrypto.
 */
import { hmacSha256, sameToken } from '../http/crypto';

export const SIGNATURE_HEADER = 'guichet-signature';
/** How far a request's timestamp may be from our clock, either way. */
export const SIGNATURE_TOLERANCE_S = 5 * 60;

export interface SignatureParts {
  carrierId: string;
  timestamp: number;
  digest: string;
}

export type Parsed = { ok: true; parts: SignatureParts } | { ok: false; reason: string };

const USAGE = 'en-tête Guichet-Signature attendu : k=<identifiant de l’émetteur>,t=<secondes Unix>,v1=<HMAC-SHA256 hexadécimal de "t.corps">';

export function parseSignatureHeader(header: string | undefined | null): Parsed {
  if (!header) return { ok: false, reason: `signature manquante : ${USAGE}` };
  if (header.length > 300) return { ok: false, reason: `signature trop longue : ${USAGE}` };
  const fields = new Map<string, string>();
  for (const part of header.split(',')) {
    const at = part.indexOf('=');
    if (at < 1) return { ok: false, reason: `signature mal formée : ${USAGE}` };
    const name = part.slice(0, at).trim();
    if (fields.has(name)) return { ok: false, reason: `signature mal formée : le champ ${name} est répété` };
    fields.set(name, part.slice(at + 1).trim());
  }
  const carrierId = fields.get('k');
  const t = fields.get('t');
  const digest = fields.get('v1');
  if (!carrierId || !t || !digest) return { ok: false, reason: `signature incomplète : ${USAGE}` };
  if (!/^\d{1,12}$/.test(t)) return { ok: false, reason: 'signature : t doit être un nombre de secondes Unix' };
  if (!/^[0-9a-f]{64}$/.test(digest)) return { ok: false, reason: 'signature : v1 doit être 64 chiffres hexadécimaux (minuscules)' };
  return { ok: true, parts: { carrierId, timestamp: Number(t), digest } };
}

/** Whether the timestamp is within the tolerance of `now`; the French reason when not. */
export function timestampProblem(timestamp: number, now: Date): string | null {
  const skew = Math.floor(now.getTime() / 1000) - timestamp;
  if (skew > SIGNATURE_TOLERANCE_S) return `requête trop ancienne : signée il y a ${skew} s, 300 s au plus`;
  if (skew < -SIGNATURE_TOLERANCE_S) return `horodatage dans le futur de ${-skew} s : vérifiez l’horloge de l’émetteur (300 s d’écart au plus)`;
  return null;
}

/** The signature of `body` (its bytes as sent; a text is taken as UTF-8) at `timestamp`: HMAC over "t." then the body. */
export async function signBody(secret: string, timestamp: number, body: string | Uint8Array<ArrayBuffer>): Promise<string> {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const prefix = new TextEncoder().encode(`${timestamp}.`);
  const signed = new Uint8Array(prefix.length + bytes.length);
  signed.set(prefix);
  signed.set(bytes, prefix.length);
  return hmacSha256(secret, signed);
}

/** Whether `digest` is the signature of `body` at `timestamp` under `secret` (compared in constant time). */
export async function signatureMatches(secret: string, parts: SignatureParts, body: string | Uint8Array<ArrayBuffer>): Promise<boolean> {
  return sameToken(await signBody(secret, parts.timestamp, body), parts.digest);
}

/** The header a carrier sends (the simulator, the benchmark and the tests sign with this). */
export async function signatureHeader(carrierId: string, secret: string, body: string | Uint8Array<ArrayBuffer>, now = new Date()): Promise<string> {
  const t = Math.floor(now.getTime() / 1000);
  return `k=${carrierId},t=${t},v1=${await signBody(secret, t, body)}`;
}
