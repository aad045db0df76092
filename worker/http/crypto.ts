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
