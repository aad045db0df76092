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
  forgetKeptAnswers, keepAnswer, KEPT_ANSWER_MAX_BYTES, KEPT_ANSWERS_MAX_BYTES, keptAnswer, keptAnswersBytes,
} from '../../worker/edge/kept-answers';
import { request } from './http-client';
import { demoSample, load } from './seed';

const answer = (text: string) => new Response(text, { status: 200, headers: { 'content-type': 'application/json', etag: '"1"' } });
const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill).buffer;

afterEach(() => forgetKeptAnswers());

describe('answers kept in the isolate', () => {
  it('gives each request its own Response over the same bytes, with the status and headers kept', async () => {
    const body = new TextEncoder().encode('{"items":[1,2,3]}').buffer;
    keepAnswer('k', answer('ignored'), body, 10, 1_000);
    const [a, b] = [keptAnswer('k', 1_000)!, keptAnswer('k', 1_001)!];
    expect(await a.text()).toBe('{"items":[1,2,3]}');
    expect(await b.text()).toBe('{"items":[1,2,3]}');
    expect(b.status).toBe(200);
    expect(b.headers.get('etag')).toBe('"1"');
    expect(b.headers.get('content-type')).toBe('application/json');
  });

  it('ends at its time, not a millisecond later', () => {
    keepAnswer('k', answer(''), bytes(10), 5, 1_000);
    expect(keptAnswer('k', 5_999)).toBeDefined();
    expect(keptAnswer('k', 6_000)).toBeUndefined();
    expect(keptAnswersBytes()).toBe(0);
  });

  it('keeps no more than its bound, dropping the least recently used, and no answer too large', () => {
    const size = 200 * 1024;
    const fits = Math.floor(KEPT_ANSWERS_MAX_BYTES / size);
    for (let i = 0; i < fits; i++) keepAnswer(`k${i}`, answer(''), bytes(size), 60, 0);
    expect(keptAnswersBytes()).toBe(fits * size);
    // Used again: k0 is now the most recent; k1 the least.
    expect(keptAnswer('k0', 1)).toBeDefined();
    keepAnswer('new', answer(''), bytes(size), 60, 2);
    expect(keptAnswersBytes()).toBeLessThanOrEqual(KEPT_ANSWERS_MAX_BYTES);
    expect(keptAnswer('k1', 3)).toBeUndefined();
    expect(keptAnswer('k0', 3)).toBeDefined();
    expect(keptAnswer('new', 3)).toBeDefined();
    keepAnswer('huge', answer(''), bytes(KEPT_ANSWER_MAX_BYTES + 1), 60, 4);
    expect(keptAnswer('huge', 5)).toBeUndefined();
  });

  it('replacing an entry counts its bytes once', () => {
    keepAnswer('k', answer(''), bytes(1000), 60, 0);
    keepAnswer('k', answer(''), bytes(300), 60, 1);
    expect(keptAnswersBytes()).toBe(300);
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
