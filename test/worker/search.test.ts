import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoSchedule } from '../../worker/demo/hours';
import { seedSchedules } from '../../worker/hours/store';
import type { ImportedLocation } from '../../worker/imports/open-data';
import { CELL_DEGREES, distanceMeters } from '../../worker/locator/geo';
import { forgetGazetteer } from '../../worker/locator/gazetteer';
import { request } from './http-client';
import { db, demoSample, load } from './seed';

const base = demoSample(3000);
// Points on grid-cell edges and on both sides of the antimeridian.
const edges: ImportedLocation[] = [
  [48.8, 2.3], [48.9, 2.4], [48.800001, 2.399999], [-13.3, 179.999], [-13.3, -179.999], [-13.25, 179.9],
].map(([latitude, longitude], i) => ({ ...base[i], id: `E00000${i}`, latitude, longitude, sourceHash: `edge${i}` }));
const network = [...base, ...edges];

const byDistance = (center: { latitude: number; longitude: number }) => (a: ImportedLocation, b: ImportedLocation) =>
  distanceMeters(center, a) - distanceMeters(center, b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

async function search(query: string) {
  const response = await request(`/api/v1/locations/search?${query}`);
  return { status: response.status, body: (await response.json()) as any };
}

beforeAll(async () => {
  await load(network);
  await seedSchedules(db(), network.map((l) => ({ locationId: l.id, ...demoSchedule(l) })), new Date().toISOString());
  forgetGazetteer();
});

describe('nearest locations', () => {
  it('are exactly what a brute-force great-circle scan gives', async () => {
    const center = fc.oneof(
      fc.constantFrom(...network).chain((l) => fc.record({ latitude: fc.constant(l.latitude), longitude: fc.constant(l.longitude) })),
      fc.record({ latitude: fc.double({ min: 41, max: 51.5, noNaN: true }), longitude: fc.double({ min: -5, max: 9.6, noNaN: true }) }),
      fc.record({ latitude: fc.integer({ min: 410, max: 515 }).map((n) => n * CELL_DEGREES), longitude: fc.integer({ min: -50, max: 96 }).map((n) => n * CELL_DEGREES) }),
      fc.record({ latitude: fc.double({ min: -13.5, max: -13, noNaN: true }), longitude: fc.constantFrom(179.95, -179.95, 180, -180) }),
    );
    await fc.assert(
      fc.asyncProperty(center, fc.integer({ min: 100, max: 50_000 }), fc.integer({ min: 1, max: 50 }), fc.option(fc.constantFrom('banking', 'parcel_pickup', 'cash_machine'), { nil: undefined }),
        async (raw, radius, limit, service) => {
          // As a client would send it: plain decimals.
          const c = { latitude: Number(raw.latitude.toFixed(7)), longitude: Number(raw.longitude.toFixed(7)) };
          const { status, body } = await search(`near=${c.latitude.toFixed(7)},${c.longitude.toFixed(7)}&radius=${radius}&limit=${limit}${service ? `&services=${service}` : ''}`);
          expect(status).toBe(200);
          const expected = network
            .filter((l) => (!service || l.services.includes(service as never)) && distanceMeters(c, l) <= radius)
            .sort(byDistance(c))
            .slice(0, limit)
            .map((l) => l.id);
          expect(body.results.map((r: any) => r.id)).toEqual(expected);
          for (const r of body.results) expect(r.distance_m).toBe(Math.round(distanceMeters(c, network.find((l) => l.id === r.id)!)));
        }),
      { numRuns: 60 },
    );
  });

  it('find points across the antimeridian and on cell edges', async () => {
    const { body } = await search('near=-13.3,180&radius=2000&limit=10');
    expect(body.results.map((r: any) => r.id).sort()).toEqual(['E000003', 'E000004']);
    const edge = await search('near=48.8,2.4&radius=12000&limit=50');
    const c = { latitude: 48.8, longitude: 2.4 };
    const expected = network.filter((l) => distanceMeters(c, l) <= 12000).sort(byDistance(c)).slice(0, 50).map((l) => l.id);
    expect(edge.body.results.map((r: any) => r.id)).toEqual(expected);
    expect(expected).toContain('E000002');
  });

  it('page through every result with the cursor', async () => {
    const c = network[100];
    const ids: string[] = [];
    let cursor = '';
    for (let page = 0; page < 20; page++) {
      const { body } = await search(`near=${c.latitude},${c.longitude}&radius=20000&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      ids.push(...body.results.map((r: any) => r.id));
      if (!body.next_cursor) break;
      cursor = body.next_cursor;
    }
    const expected = network.filter((l) => distanceMeters(c, l) <= 20000).sort(byDistance(c)).map((l) => l.id);
    expect(ids).toEqual(expected);
  });
});

describe('text queries', () => {
  it('resolve a commune however it is typed', async () => {
    const town = network.find((l) => l.commune === 'Saint-Étienne')!;
    for (const q of ['Saint-Étienne', 'saint etienne', 'ST ETIENNE', 'st-étienne']) {
      const { body } = await search(`q=${encodeURIComponent(q)}&limit=3`);
      expect(body.resolution.kind, q).toBe('commune');
      expect(body.resolution.commune.inseeCode, q).toBe(town.inseeCode);
      expect(body.results.length).toBeGreaterThan(0);
    }
  });

  it('say when a postcode covers several communes and offer them', async () => {
    const counts = new Map<string, Set<string>>();
    for (const l of network) counts.set(l.postcode, (counts.get(l.postcode) ?? new Set()).add(l.inseeCode));
    const [postcode, communes] = [...counts.entries()].find(([, s]) => s.size > 1)!;
    const { body } = await search(`q=${postcode}`);
    expect(body.resolution.kind).toBe('postcode');
    expect(body.resolution.communes.map((c: any) => c.inseeCode).sort()).toEqual([...communes].sort());
  });

  it('find an office by id or by name', async () => {
    const office = network.find((l) => l.type === 'post_office' && / /.test(l.name))!;
    const byId = await search(`q=${office.id}`);
    expect(byId.body.resolution).toMatchObject({ kind: 'location', id: office.id });
    expect(byId.body.results[0].id).toBe(office.id);
    const byName = await search(`q=${encodeURIComponent(office.name.toUpperCase())}`);
    expect(byName.body.resolution.kind).toMatch(/names|commune/);
    expect(byName.body.results.map((r: any) => r.id)).toContain(office.id);
  });

  it('explain an unknown place', async () => {
    const { status, body } = await search('q=zzzyyyxxx');
    expect(status).toBe(200);
    expect(body.results).toEqual([]);
    expect(body.explanation).toContain('zzzyyyxxx');
  });
});

describe('opening filters', () => {
  it('keep only locations open at the given time, each with its status', async () => {
    const c = network.find((l) => l.department === '75')!;
    const { body } = await search(`near=${c.latitude},${c.longitude}&radius=20000&limit=20&open_at=2026-12-01T10:00:00%2B01:00&type=post_office`);
    expect(body.results.length).toBeGreaterThan(0);
    for (const r of body.results) expect(r.type).toBe('post_office');
    const now = await search(`near=${c.latitude},${c.longitude}&radius=20000&limit=20&open_now=true`);
    for (const r of now.body.results) expect(r.status.open).toBe(true);
  });

  it('explain an empty answer: closed on a public holiday', async () => {
    const c = network.find((l) => l.department === '75')!;
    const { body } = await search(`near=${c.latitude},${c.longitude}&radius=3000&type=post_office&open_at=2026-12-25T10:00:00%2B01:00`);
    expect(body.results).toEqual([]);
    expect(body.explanation).toMatch(/^Aucun point ouvert au moment demandé dans un rayon de 3 km : \d+ fermés ce jour-là \(Noël\)/);
    const far = await search('near=47,-7&radius=1000');
    expect(far.body.explanation).toMatch(/Aucun point de contact dans un rayon de 1 km\. Le plus proche est à/);
  });
});

describe('bad input', () => {
  it.each([
    ['near=91,2', 'near'],
    ['near=48,181', 'near'],
    ['near=abc', 'near'],
    ['near=48,2&radius=60000', 'radius'],
    ['near=48,2&limit=51', 'limit'],
    ['near=48,2&services=teleport', 'services'],
    ['near=48,2&type=castle', 'type'],
    ['near=48,2&cursor=zz', 'cursor'],
    ['near=48,2&open_now=maybe', 'open_now'],
    ['near=48,2&open_at=tomorrow', 'open_at'],
    ['radius=1000', 'near'],
    ['near=48,2&color=blue', 'color'],
  ])('%s is a 400 naming %s', async (query, field) => {
    const { status, body } = await search(query);
    expect(status).toBe(400);
    expect(body.invalid_params.map((p: any) => p.name)).toContain(field);
  });

  it('bounds the work of the costliest requests', async () => {
    for (const query of [
      'near=48.85,2.35&radius=50000&limit=50&cursor=o950&open_at=2026-12-25T03:00:00%2B01:00',
      'near=90,0&radius=100',
      'near=-90,180&radius=50000',
      'near=48.85,2.35&open_at=0000-01-01T00:00%2B14:00',
      'near=48.85,2.35&open_at=9999-12-31T23:59-12:00',
    ]) {
      const response = await request(`/api/v1/locations/search?${query}`);
      await response.arrayBuffer();
      expect([200, 400], query).toContain(response.status);
    }
    expect((await search('near=48,2&cursor=o1000')).status).toBe(400);
  });

  it('never answers 5xx', async () => {
    const key = fc.constantFrom('near', 'q', 'radius', 'limit', 'cursor', 'services', 'type', 'open_now', 'open_at', 'open_saturday');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(key, fc.string({ maxLength: 30 })), { maxLength: 4 }), async (pairs) => {
        const response = await request(`/api/v1/locations/search?${new URLSearchParams(pairs)}`);
        await response.arrayBuffer();
        expect([200, 400]).toContain(response.status);
      }),
      { numRuns: 100 },
    );
  });
});
