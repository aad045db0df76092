/**
 * @module
 * Random secrets and digests, written once for every capability that keeps
 * a secret as its digest (staff tokens and sessions, partner keys).
 */
import { encodeBase64url } from './base64url';

const toHex = (buffer: ArrayBuffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');

/** The SHA-256 digest of a text (UTF-8), in hex. */
export async function sha256(text: string): Promise<string> {
  return toHex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

/** `bytes` random bytes, base64url: a value nobody can guess (256 bits by default). */
export function randomSecret(bytes = 32): string {
  return encodeBase64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** A new secret: 32 random bytes after a prefix, so leaked ones are easy to recognise and scan for. */
export function newSecret(prefix: string): string {
  return prefix + randomSecret();
}

/** Compares two texts without leaking, through timing, how much of them matched. */
export function sameToken(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** HMAC-SHA-256 of a text (UTF-8) or of bytes as they are, under a secret, in hex. */
export async function hmacSha256(secret: string, data: string | Uint8Array<ArrayBuffer>): Promise<string> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return toHex(await crypto.subtle.sign('HMAC', key, typeof data === 'string' ? new TextEncoder().encode(data) : data));
}
