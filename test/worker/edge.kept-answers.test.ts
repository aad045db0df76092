/**
 * The edge's answers kept in the isolate (worker/edge/kept-answers.ts), in
 * workerd: each request gets a Response of its own over the same bytes,
 * an entry ends at its time, the bound drops the least recently used, and
 * an answer too large is not kept. Then through the whole edge layer: a
 * repeated public answer is served from memory even once the Cache API
 * has lost its copy.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  ENTRY_OVERHEAD_BYTES, forgetKeptAnswers, keepAnswer, KEPT_ANSWER_MAX_BYTES, KEPT_ANSWERS_MAX_BYTES, keptAnswer, keptAnswersBytes, keptAnswersCount,
  MAX_KEPT_ANSWERS,
} from '../../worker/edge/kept-answers';
import { request } from './http-client';
import { demoSample, load } from './seed';

const answer = (text: string) => new Response(text, { status: 200, headers: { 'content-type': 'application/json', etag: '"1"' } });
const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill).buffer;
/** Bytes gzip cannot shrink: the bound counts gzipped bodies. */
function random(n: number): ArrayBuffer {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65_536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65_536)));
  return out.buffer;
}

afterEach(() => forgetKeptAnswers());

describe('answers kept in the isolate', () => {
  it('gives each request its own Response over the same bytes, with the status and headers kept', async () => {
    const body = new TextEncoder().encode('{"items":[1,2,3]}').buffer;
    await keepAnswer('k', answer('ignored'), body, 10, 1_000);
    const [a, b] = [keptAnswer('k', 1_000)!, keptAnswer('k', 1_001)!];
    expect(await a.text()).toBe('{"items":[1,2,3]}');
    expect(await b.text()).toBe('{"items":[1,2,3]}');
    expect(b.status).toBe(200);
    expect(b.headers.get('etag')).toBe('"1"');
    expect(b.headers.get('content-type')).toBe('application/json');
  });

  it('ends at its time, not a millisecond later', async () => {
    await keepAnswer('k', answer(''), bytes(10), 5, 1_000);
    expect(keptAnswer('k', 5_999)).toBeDefined();
    expect(keptAnswer('k', 6_000)).toBeUndefined();
    expect(keptAnswersBytes()).toBe(0);
  });

  it('keeps a listing-like JSON body gzipped: under an eighth of its size, all counted', async () => {
    const slots = Array.from({ length: 1_000 }, (_, i) => ({ starts_at: new Date(Date.UTC(2026, 11, 1, 8) + i * 900_000).toISOString(), ends_at: new Date(Date.UTC(2026, 11, 1, 8, 15) + i * 900_000).toISOString(), remaining: i % 3 }));
    const json = new TextEncoder().encode(JSON.stringify({ items: slots }));
    await keepAnswer('k', answer(''), json.buffer, 60, 0);
    // Its cost (gzipped body, key, headers and the fixed overhead) is a small part of what is sent.
    expect(keptAnswersBytes()).toBeLessThan(json.byteLength / 8);
    expect(new Uint8Array(await keptAnswer('k', 1)!.arrayBuffer())).toEqual(json);
  });

  it('keeps no more than its bound, dropping the least recently used, and no answer too large', async () => {
    const size = 100 * 1024;
    await keepAnswer('k0', answer(''), random(size), 60, 0);
    const each = keptAnswersBytes();
    const room = Math.floor(KEPT_ANSWERS_MAX_BYTES / each);
    await keepAnswer('k1', answer(''), random(size), 60, 0);
    // Used again: k0 is now more recent than k1.
    expect(keptAnswer('k0', 1)).toBeDefined();
    for (let i = 2; i <= room; i++) await keepAnswer(`k${i}`, answer(''), random(size), 60, 2);
    // One more than there is room for: only the least recently used went.
    expect(keptAnswersBytes()).toBeLessThanOrEqual(KEPT_ANSWERS_MAX_BYTES);
    expect(keptAnswer('k1', 3)).toBeUndefined();
    expect(keptAnswer('k0', 3)).toBeDefined();
    expect(keptAnswer(`k${room}`, 3)).toBeDefined();
    // Too large once gzipped: not kept; as large but compressible: kept.
    await keepAnswer('huge', answer(''), random(KEPT_ANSWER_MAX_BYTES + 1024), 60, 4);
    expect(keptAnswer('huge', 5)).toBeUndefined();
    await keepAnswer('compressible', answer(''), bytes(KEPT_ANSWER_MAX_BYTES * 4), 60, 4);
    expect(keptAnswer('compressible', 5)).toBeDefined();
  });

  it('a flood of distinct addresses stays within the bounds: entries counted with their keys, headers and overhead', async () => {
    const headers = new Headers({ 'content-type': 'text/plain', 'content-security-policy': "default-src 'self'; ".repeat(20) });
    for (let i = 0; i < MAX_KEPT_ANSWERS + 500; i++) {
      await keepAnswer(`https://guichet.example/.edge/build/robots.txt?n=${i}`, new Response('', { headers }), bytes(90), 86_400, i);
      expect(keptAnswersCount()).toBeLessThanOrEqual(MAX_KEPT_ANSWERS);
    }
    expect(keptAnswersBytes()).toBeLessThanOrEqual(KEPT_ANSWERS_MAX_BYTES);
    // Each counts more than its gzipped body: at least the fixed overhead and the key.
    expect(keptAnswersBytes() / keptAnswersCount()).toBeGreaterThan(ENTRY_OVERHEAD_BYTES + 100);
    // The most recent is there, the first are gone.
    expect(keptAnswer(`https://guichet.example/.edge/build/robots.txt?n=${MAX_KEPT_ANSWERS + 499}`, MAX_KEPT_ANSWERS + 500)).toBeDefined();
    expect(keptAnswer('https://guichet.example/.edge/build/robots.txt?n=0', MAX_KEPT_ANSWERS + 500)).toBeUndefined();
  }, 60_000);

  it('drops expired entries as new ones come, without waiting for their own key', async () => {
    for (let i = 0; i < 5; i++) await keepAnswer(`short${i}`, answer(''), bytes(10), 1, 0);
    await keepAnswer('long', answer(''), bytes(10), 60, 0);
    expect(keptAnswersCount()).toBe(6);
    await keepAnswer('later', answer(''), bytes(10), 60, 2_000);
    expect(keptAnswersCount()).toBe(2);
  });

  it('replacing an entry counts its bytes once', async () => {
    await keepAnswer('k', answer(''), random(1000), 60, 0);
    const first = keptAnswersBytes();
    await keepAnswer('k', answer(''), random(300), 60, 1);
    expect(keptAnswersBytes()).toBeLessThan(first);
    expect(keptAnswersBytes()).toBeGreaterThanOrEqual(300);
  });
});

describe('through the edge layer', () => {
  it('serves a repeated public answer from the isolate’s copy, and from the Cache API’s once the isolate forgot it', async () => {
    await load(demoSample(50));
    const path = '/api/v1/locations?limit=2';
    const timing = (response: Response) => response.headers.get('server-timing') ?? '';
    const first = await request(path);
    const body = await first.text();
    expect(timing(first)).toContain('edge;desc=miss');
    // The copies are stored after the answer (waitUntil): wait until the next request finds one.
    let again = await request(path);
    for (let i = 0; i < 20 && !timing(again).includes('edge;desc=hit'); i++) {
      await again.arrayBuffer();
      await new Promise((resolve) => setTimeout(resolve, 50));
      again = await request(path);
    }
    expect(timing(again)).toContain('edge-copy;desc=isolate');
    expect(await again.text()).toBe(body);
    forgetKeptAnswers();
    const fromCache = await request(path);
    expect(timing(fromCache)).toContain('edge;desc=hit');
    expect(timing(fromCache)).toContain('edge-copy;desc=cache');
    expect(await fromCache.text()).toBe(body);
  });
});
