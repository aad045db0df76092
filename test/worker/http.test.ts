import { request } from './http-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoSample, load } from './seed';
import { bearer, token } from './staff';


describe('HTTP conventions', () => {
  beforeAll(async () => {
    await load(demoSample(30));
  });

  it('answers a conditional GET with 304 when the ETag still matches', async () => {
    const first = await request('/api/v1/locations?limit=5');
    const tag = first.headers.get('etag');
    expect(tag).toBeTruthy();
    expect(first.headers.get('cache-control')).toMatch(/max-age=25/);
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

  it('answers another method with 405 and Allow, on the API, sitemaps and pages alike', async () => {
    const cases: Array<[string, string, string]> = [
      ['DELETE', '/', 'GET, HEAD'],
      ['POST', '/', 'GET, HEAD'],
      ['PUT', '/departements/78', 'GET, HEAD'],
      ['DELETE', '/staff/connexion', 'GET, HEAD, POST'],
      ['POST', '/robots.txt', 'GET, HEAD'],
      ['POST', '/sitemap.xml', 'GET, HEAD'],
      ['DELETE', '/sitemaps/departement-78.xml', 'GET, HEAD'],
      ['DELETE', '/api/openapi.json', 'GET, HEAD'],
      ['POST', '/api/v1/hours/publication', 'GET, HEAD'],
      ['GET', '/api/v1/selections/verify', 'POST'],
      ['DELETE', '/api/v1/locations/D000001/hours/google', 'GET, HEAD'],
      ['POST', '/api/v1/locations/D000001/hours/audit', 'GET, HEAD'],
      ['PUT', '/api/v1/locations/D000001/hours/exceptions/abc', 'DELETE'],
    ];
    for (const [method, path, allow] of cases) {
      const response = await request(path, { method });
      expect(response.status, `${method} ${path}`).toBe(405);
      expect(response.headers.get('allow'), `${method} ${path}`).toBe(allow);
      expect(response.statusText, `${method} ${path}`).toBe('Method Not Allowed');
      expect(((await response.json()) as { type: string }).type).toBe('/api/problems/method-not-allowed');
    }
  });

  it('says in the status line what the status is', async () => {
    for (const [path, status, text] of [['/api/v1/locations?limit=1', 200, 'OK'], ['/api/v1/locations/ZZ9999', 404, 'Not Found'], ['/api/v1/locations?limit=0', 400, 'Bad Request'], ['/api/v1/hours/publication', 401, 'Unauthorized'], ['/api/v1/nothing', 404, 'Not Found']] as const) {
      const response = await request(path);
      expect([response.status, response.statusText], path).toEqual([status, text]);
      await response.arrayBuffer();
    }
  });

  it('refuses unknown query parameters on every API route, with reasons in French', async () => {
    const [location] = demoSample(30);
    const staff = await token('hours', 'network');
    const paths = [
      `/api/v1/locations/${location.id}?limt=5`,
      `/api/v1/locations/${location.id}/hours?limt=5`,
      `/api/v1/locations/${location.id}/hours/google?limt=5`,
      `/api/v1/locations/${location.id}/hours/audit?limt=5`,
      '/api/v1/hours/publication?limt=5',
      '/api/openapi.json?limt=5',
      '/api/v1/locations?limt=5',
      `/api/v1/locations/${location.id}/status?limt=5`,
      '/api/v1/hours/changes?limt=5',
      '/api/v1/locations/search?near=48.85,2.35&limt=5',
    ];
    for (const path of paths) {
      const response = await request(path, { headers: bearer(staff) });
      expect(response.status, path).toBe(400);
      const body = (await response.json()) as any;
      expect(body.type).toBe('/api/problems/invalid-request');
      expect(body.invalid_params, path).toEqual([{ name: 'limt', reason: expect.stringMatching(/^paramètre inconnu/) }]);
    }
  });

  it('authenticates staff routes before it validates their body', async () => {
    const [location] = demoSample(30);
    const garbage = { 'content-type': 'application/json' };
    for (const [method, path] of [['PUT', `/api/v1/locations/${location.id}/hours/weekly`], ['POST', `/api/v1/locations/${location.id}/hours/exceptions`], ['POST', '/api/v1/hours/bulk-exceptions']]) {
      const response = await request(path, { method, headers: garbage, body: '{"nope":1}' });
      expect(response.status, `${method} ${path}`).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      await response.arrayBuffer();
    }
  });

  it('refuses bodies over the documented cap with 413, but takes a national bulk closure', async () => {
    const big = JSON.stringify({ token: 'x'.repeat(64 * 1024) });
    const response = await request('/api/v1/selections/verify', { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sk_whatever' }, body: big });
    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(((await response.json()) as any).type).toBe('/api/problems/payload-too-large');
    // Without a declared length (a stream), the cap holds too.
    const streamed = await request('/api/v1/selections/verify', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: new Blob([big]).stream(), duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    await streamed.arrayBuffer();
    const form = await request('/staff/connexion', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${'x'.repeat(20_000)}` });
    expect(form.status).toBe(413);
    await form.arrayBuffer();
    // 17,000 office ids (every office of the network) fit under the bulk route's cap: refused for want of a token, not for size.
    const ids = Array.from({ length: 17_000 }, (_, i) => `X${String(i).padStart(9, '0')}`);
    const bulk = await request('/api/v1/hours/bulk-exceptions', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ location_ids: ids, exception: { start_date: '2099-01-01', closed: true, reason: 'works' } }),
    });
    expect(bulk.status).toBe(401);
    await bulk.arrayBuffer();
  });
});
