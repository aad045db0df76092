/**
 * @module
 * base64url without padding (RFC 4648 §5), the one encoder of the codebase.
 * Decoding is canonical: an input that does not re-encode to itself (padding,
 * a wrong length, or a last character whose unused low bits are set, such as
 * `B` where `A` is meant) is refused, so one value has exactly one spelling.
 */

export function encodeBase64url(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The bytes of a canonical base64url text, or undefined when it is not one. */
export function decodeBase64url(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  let binary: string;
  try {
    binary = atob(base64.padEnd(base64.length + ((4 - (base64.length % 4)) % 4), '='));
  } catch {
    return undefined;
  }
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return encodeBase64url(bytes) === text ? bytes : undefined;
}

export const encodeBase64urlText = (text: string) => encodeBase64url(new TextEncoder().encode(text));
