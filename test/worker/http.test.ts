import { request } from './http-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoSample, load } from './seed';


describe('HTTP conventions', () => {
  beforeAll(async () => {
    await load(demoSample(30));
  });

  it('answers a conditional GET with 304 when the ETag still matches', async () => {
    const first = await request('/api/v1/locations?limit=5');
    const tag = first.headers.get('etag');
    expect(tag).toBeTruthy();
    expect(first.headers.get('cache-control')).toMatch(/max-age=30/);
    await first.arrayBuffer();
    const second = await request('/api/v1/locations?limit=5', { headers: { 'if-none-match': tag! } });
    expect(second.status).toBe(304);
    expect(await second.text()).toBe('');
    const other = await request('/api/v1/locations?limit=6', { headers: { 'if-none-match': tag! } });
    expect(other.status).toBe(200);
  });

  it('sends strict security headers', async () => {
    const response = await request('/api/v1/locations?limit=1');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    expect(response.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
  });

  it('serves an OpenAPI 3.1 document generated from the validation schemas', async () => {
    const response = await request('/api/openapi.json');
    expect(response.status).toBe(200);
    const doc = (await response.json()) as any;
    expect(doc.openapi).toBe('3.1.0');
    const list = doc.paths['/api/v1/locations'].get;
    const params = Object.fromEntries(list.parameters.map((p: any) => [p.name, p]));
    expect(Object.keys(params).sort()).toEqual(['cursor', 'department', 'limit', 'postcode', 'service', 'status', 'type']);
    expect(JSON.stringify(params.type.schema)).toContain('parcel_locker');
    expect(doc.paths['/api/v1/locations/{id}'].get.responses['404']).toBeDefined();
  });
});
