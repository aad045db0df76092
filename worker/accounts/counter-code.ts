/**
 * @module
 * The rotating counter code, without I/O: 30-second steps, the TOTP-style
 * code of a step (RFC 4226 dynamic truncation, here of HMAC-SHA-256 as
 * RFC 6238 allows), how it is shown ("1234 5678"), the QR code's payload
 * and how a clerk's input is read. The per-account secret and the store
 * live in counter.ts.
 */
import { encode } from 'uqr';

/** A code belongs to one 30-second step… */
export const STEP_MS = 30_000;
/** …and is accepted during that step and the next one: one minute at most. */
export const ACCEPTED_STEPS = 2;
export const CODE_DIGITS = 8;

/** The step of an instant: Unix time in 30-second units (RFC 6238's T). */
export const stepOf = (now: Date) => Math.floor(now.getTime() / STEP_MS);

/** The steps whose codes are accepted now: this one first, then the previous one. */
export const acceptedSteps = (now: Date): number[] => Array.from({ length: ACCEPTED_STEPS }, (_, i) => stepOf(now) - i);

/** Until when a code of `step` is accepted (the end of the next step). */
export const validUntil = (step: number) => new Date((step + ACCEPTED_STEPS) * STEP_MS);

/** Whole seconds until the next step, at least 1: the page's refresh delay. */
export const secondsToNextStep = (now: Date) => Math.max(1, Math.ceil(((stepOf(now) + 1) * STEP_MS - now.getTime()) / 1000));

/** The counter as RFC 4226 hashes it: 8 bytes, big-endian. */
export function counterBytes(counter: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(8);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, Math.floor(counter / 0x1_0000_0000));
  view.setUint32(4, counter >>> 0);
  return bytes;
}

/**
 * RFC 4226 §5.3 dynamic truncation: 31 bits read at the offset the last
 * byte's low nibble names, reduced to `digits` decimal digits.
 */
export function truncate(mac: Uint8Array, digits: number = CODE_DIGITS): string {
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** HOTP (RFC 4226) of a counter under a key; SHA-256 and 8 digits unless told. */
export async function hotp(
  key: Uint8Array<ArrayBuffer>,
  counter: number,
  { hash = 'SHA-256', digits = CODE_DIGITS }: { hash?: 'SHA-1' | 'SHA-256'; digits?: number } = {},
): Promise<string> {
  const hmacKey = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash }, false, ['sign']);
  return truncate(new Uint8Array(await crypto.subtle.sign('HMAC', hmacKey, counterBytes(counter))), digits);
}

/** "12345678" as read aloud: "1234 5678". */
export const formatCode = (code: string) => `${code.slice(0, 4)} ${code.slice(4)}`;

/**
 * The QR code's text: `G1-<step>-<code>-<handle>`. The handle (8 hex
 * digits, derived from the account's secret and the step) tells apart two
 * accounts that show the same code in the same step; it names nobody and
 * changes every step. Upper-case letters, digits and `-` only: the QR's
 * compact alphanumeric mode, and what a keyboard-wedge scanner types
 * reliably.
 */
export const qrPayload = (step: number, code: string, handle: string) => `G1-${step}-${code}-${handle}`;

export type ClerkInput =
  | { kind: 'code'; code: string }
  | { kind: 'qr'; step: number; code: string; handle: string }
  | { kind: 'unreadable' };

const QR_PAYLOAD = /^G1-(\d{1,12})-(\d{8})-([0-9A-F]{8})$/;

/** What the clerk typed or scanned: an 8-digit code (spaces, dots and dashes ignored) or a QR payload. */
export function readClerkInput(text: string): ClerkInput {
  const trimmed = text.trim().toUpperCase();
  const qr = QR_PAYLOAD.exec(trimmed);
  if (qr) return { kind: 'qr', step: Number(qr[1]), code: qr[2]!, handle: qr[3]! };
  const digits = trimmed.replace(/[\s.-]/g, '');
  return new RegExp(`^\\d{${CODE_DIGITS}}$`).test(digits) ? { kind: 'code', code: digits } : { kind: 'unreadable' };
}

/**
 * The QR code as inline SVG, one unit per module, each row's dark runs
 * merged into one path segment (about half the size of uqr's own
 * `renderSVG`, which draws every module). `label` is its accessible name.
 */
export function qrSvg(payload: string, label: string, sizePx = 240): string {
  const { data, size } = encode(payload, { ecc: 'M', border: 4 });
  let path = '';
  data.forEach((row, y) => {
    for (let x = 0; x < size; x++) {
      if (!row[x]) continue;
      const start = x;
      while (x + 1 < size && row[x + 1]) x++;
      path += `M${start} ${y}h${x - start + 1}v1h-${x - start + 1}z`;
    }
  });
  const escaped = label.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" width="${sizePx}" height="${sizePx}" role="img" aria-label="${escaped}" shape-rendering="crispEdges">`
    + `<rect width="${size}" height="${size}" fill="#fff"/><path d="${path}" fill="#000"/></svg>`;
}
