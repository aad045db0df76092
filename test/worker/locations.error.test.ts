import { request } from './http-client';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoSample, load } from './seed';

async function problem(path: string) {
  const response = await request(path);
  const body = (await response.json()) as any;
  return { status: response.status, type: response.headers.get('content-type'), body };
}

describe('bad input on /api/v1/locations', () => {
  beforeAll(async () => {
    await load(demoSample(50));
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=201', 'limit'],
    ['limit=ten', 'limit'],
    ['type=bureau', 'type'],
    ['type=post_office,,nope', 'type'],
    ['service=teleportation', 'service'],
    ['postcode=7850', 'postcode'],
    ['department=99', 'department'],
    ['status=gone', 'status'],
    ['cursor=not-a-cursor', 'cursor'],
    ['cursor=eyJhZnRlciI6MX0', 'cursor'],
    ['limt=5', 'limt'],
    [`type=${'post_office,'.repeat(100)}`, 'type'],
  ])('%s is a 400 naming %s', async (query, field) => {
    const { status, type, body } = await problem(`/api/v1/locations?${query}`);
    expect(status).toBe(400);
    expect(type).toContain('application/problem+json');
    expect(body.type).toBe('/api/problems/invalid-request');
    expect(body.status).toBe(400);
    expect(body.invalid_params.map((p: { name: string }) => p.name)).toContain(field);
  });

  it('refuses a cursor spelled another way than ours (400, not 5xx)', async () => {
    // base64url of {"after":"A"}: its last character has four unused bits,
    // so `R` (bits set) decodes to the same bytes as `Q` but is not our spelling.
    const ours = 'eyJhZnRlciI6IkEifQ';
    expect((await problem(`/api/v1/locations?cursor=${ours}`)).status).toBe(200);
    for (const other of ['eyJhZnRlciI6IkEifR', `${ours}==`, `${ours}A`]) {
      const { status, body } = await problem(`/api/v1/locations?cursor=${other}`);
      expect(status, other).toBe(400);
      expect(body.invalid_params.map((p: { name: string }) => p.name)).toEqual(['cursor']);
    }
  });

  it('names every invalid field at once', async () => {
    const { body } = await problem('/api/v1/locations?limit=-1&type=x&postcode=1');
    expect(body.invalid_params.map((p: { name: string }) => p.name).sort()).toEqual(['limit', 'postcode', 'type']);
  });

  it('accepts repeated codes once each (each code is a bound parameter, D1 allows 100)', async () => {
    const response = await request(`/api/v1/locations?service=${'stamps,'.repeat(80)}&type=${'post_office,'.repeat(80)}`);
    expect(response.status).toBe(200);
  });

  it('answers 405 with Allow for other methods', async () => {
    for (const path of ['/api/v1/locations', '/api/v1/locations/15015A']) {
      const response = await request(path, { method: 'DELETE' });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, HEAD');
      expect(((await response.json()) as { type: string }).type).toBe('/api/problems/method-not-allowed');
    }
  });

  it('answers 404 for an unknown id and 400 for a malformed one', async () => {
    const missing = await problem('/api/v1/locations/ZZ9999');
    expect(missing.status).toBe(404);
    expect(missing.body.type).toBe('/api/problems/not-found');
    const malformed = await problem(`/api/v1/locations/${encodeURIComponent('15015A;drop')}`);
    expect(malformed.status).toBe(400);
    expect(malformed.body.invalid_params[0].name).toBe('id');
  });

  it('answers 404 problem for unknown API paths', async () => {
    const { status, body } = await problem('/api/v2/anything');
    expect(status).toBe(404);
    expect(body.type).toBe('/api/problems/not-found');
  });

  it('never answers 5xx, whatever the query string', async () => {
    const key = fc.constantFrom('type', 'service', 'postcode', 'department', 'status', 'limit', 'cursor', 'other');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(key, fc.string({ unit: 'binary', maxLength: 40 })), { maxLength: 5 }), async (pairs) => {
        const query = new URLSearchParams(pairs).toString();
        const response = await request(`/api/v1/locations?${query}`);
        await response.arrayBuffer();
        expect([200, 400]).toContain(response.status);
      }),
      { numRuns: 150 },
    );
  });

  it('never answers 5xx for arbitrary ids', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }), async (id) => {
        const response = await request(`/api/v1/locations/${encodeURIComponent(id)}`);
        await response.arrayBuffer();
        expect([200, 400, 404]).toContain(response.status);
      }),
      { numRuns: 150 },
    );
  });
});
