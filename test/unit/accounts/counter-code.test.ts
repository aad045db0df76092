/**
 * The counter code's pure parts against the RFCs' own test vectors
 * (RFC 4226 appendix D for HOTP-SHA-1, RFC 6238 appendix B for the
 * 8-digit SHA-256 TOTP), and properties of the steps, the spoken form, the
 * clerk's input and the QR drawing.
 */
import fc from 'fast-check';
import { encode } from 'uqr';
import { describe, expect, it } from 'vitest';
import {
  acceptedSteps, formatCode, hotp, qrPayload, qrSvg, readClerkInput, secondsToNextStep, stepOf, truncate, validUntil,
} from '../../../worker/accounts/counter-code';

const ascii = (text: string) => new TextEncoder().encode(text);
const hex = (text: string) => Uint8Array.from(text.match(/../g)!, (pair) => parseInt(pair, 16));

describe('HOTP and TOTP', () => {
  it('truncates as RFC 4226 §5.4 shows', () => {
    expect(truncate(hex('1f8698690e02ca16618550ef7f19da8e945b555a'), 6)).toBe('872921');
  });

  it('gives RFC 4226 appendix D codes with HMAC-SHA-1, 6 digits', async () => {
    const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
    const key = ascii('12345678901234567890');
    for (const [counter, code] of expected.entries()) expect(await hotp(key, counter, { hash: 'SHA-1', digits: 6 })).toBe(code);
  });

  it('gives RFC 6238 appendix B codes with HMAC-SHA-256, 8 digits, 30-second steps', async () => {
    const key = ascii('12345678901234567890123456789012');
    const vectors: Array<[number, string]> = [
      [59, '46119246'], [1111111109, '68084774'], [1111111111, '67062674'],
      [1234567890, '91819424'], [2000000000, '90698825'], [20000000000, '77737706'],
    ];
    for (const [seconds, code] of vectors) expect(await hotp(key, stepOf(new Date(seconds * 1000)))).toBe(code);
  });

  it('reads only the four bytes at the offset the last nibble names', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.nat(31), fc.nat(255), (mac, index, value) => {
      const offset = mac[31]! & 0x0f;
      fc.pre(index !== 31 && (index < offset || index > offset + 3));
      const changed = Uint8Array.from(mac);
      changed[index] = value;
      const code = truncate(mac);
      expect(code).toMatch(/^\d{8}$/);
      expect(truncate(changed)).toBe(code);
    }));
  });
});

describe('steps', () => {
  const instant = fc.integer({ min: 0, max: 4_102_444_800_000 }).map((ms) => new Date(ms));

  it('accepts a code during its own step and the next, never after', () => {
    fc.assert(fc.property(instant, (now) => {
      const step = Math.floor(now.getTime() / 30_000);
      expect(acceptedSteps(now)).toEqual([step, step - 1]);
      const until = validUntil(step).getTime();
      expect(until).toBe((step + 2) * 30_000);
      expect(acceptedSteps(new Date(until - 1))).toContain(step);
      expect(acceptedSteps(new Date(until))).not.toContain(step);
      expect(until - now.getTime()).toBeGreaterThan(30_000);
      expect(until - now.getTime()).toBeLessThanOrEqual(60_000);
    }));
  });

  it('reloads the page at the next step, never sooner than a second', () => {
    fc.assert(fc.property(instant, (now) => {
      const seconds = secondsToNextStep(now);
      expect(seconds).toBeGreaterThanOrEqual(1);
      expect(seconds).toBeLessThanOrEqual(30);
      expect(now.getTime() + seconds * 1000).toBeGreaterThanOrEqual((stepOf(now) + 1) * 30_000);
      expect(now.getTime() + (seconds - 1) * 1000).toBeLessThan((stepOf(now) + 1) * 30_000 + 1000);
    }));
  });
});

describe('what the clerk types or scans', () => {
  const code = fc.stringMatching(/^\d{8}$/);

  it('shows the code in two groups of four, and reads it back however it is spaced', () => {
    fc.assert(fc.property(code, fc.constantFrom(' ', '', '-', '.', '  '), (digits, separator) => {
      const spoken = formatCode(digits);
      expect(spoken).toMatch(/^\d{4} \d{4}$/);
      expect(spoken.replace(' ', '')).toBe(digits);
      expect(readClerkInput(` ${digits.slice(0, 4)}${separator}${digits.slice(4)} `)).toEqual({ kind: 'code', code: digits });
    }));
  });

  it('reads a QR payload back into its parts, in either case', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 999_999_999_999 }), code, fc.stringMatching(/^[0-9A-F]{8}$/), (step, digits, handle) => {
      const payload = qrPayload(step, digits, handle);
      expect(payload).toMatch(/^[0-9A-Z-]+$/);
      expect(readClerkInput(payload)).toEqual({ kind: 'qr', step, code: digits, handle });
      expect(readClerkInput(payload.toLowerCase())).toEqual({ kind: 'qr', step, code: digits, handle });
    }));
  });

  it('refuses anything else', () => {
    for (const text of ['', '1234567', '123456789', '1234 567a', 'G1-1-12345678', 'G1-1-1234567-ABCDEF01', 'G2-1-12345678-ABCDEF01', 'G1-1-12345678-GHIJKLMN']) {
      expect(readClerkInput(text), text).toEqual({ kind: 'unreadable' });
    }
    fc.assert(fc.property(fc.string({ maxLength: 40 }), (text) => {
      const read = readClerkInput(text);
      if (read.kind === 'code') expect(text.replace(/[\s.-]/g, '')).toMatch(/^\d{8}$/);
      if (read.kind === 'qr') expect(text.trim().toUpperCase()).toBe(qrPayload(read.step, read.code, read.handle));
    }));
  });
});

describe('the QR drawing', () => {
  /** The dark modules the SVG path paints, from its `M x y h w v1 h-w z` runs. */
  function painted(svg: string, size: number): boolean[][] {
    const grid = Array.from({ length: size }, () => Array<boolean>(size).fill(false));
    const d = /<path d="([^"]*)"/.exec(svg)![1]!;
    for (const [, x, y, w] of d.matchAll(/M(\d+) (\d+)h(\d+)v1h-\3z/g)) {
      for (let i = 0; i < Number(w); i++) grid[Number(y)]![Number(x) + i] = true;
    }
    return grid;
  }

  it('paints exactly the modules of the QR code, with an accessible name', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 999_999_999_999 }), fc.stringMatching(/^\d{8}$/), fc.stringMatching(/^[0-9A-F]{8}$/), (step, digits, handle) => {
      const payload = qrPayload(step, digits, handle);
      const { data, size } = encode(payload, { ecc: 'M', border: 4 });
      const svg = qrSvg(payload, 'QR code « essai » <&>');
      expect(svg).toContain(`viewBox="0 0 ${size} ${size}"`);
      expect(svg).toContain('role="img" aria-label="QR code « essai » &lt;&amp;>"');
      expect(painted(svg, size)).toEqual(data);
    }), { numRuns: 20 });
  });

  it('stays small: version 2 or 3 at medium error correction', () => {
    const payload = qrPayload(stepOf(new Date('2100-01-01T00:00:00Z')), '12345678', 'ABCDEF01');
    expect(encode(payload, { ecc: 'M' }).version).toBeLessThanOrEqual(3);
    expect(qrSvg(payload, 'QR code').length).toBeLessThan(4000);
  });
});
