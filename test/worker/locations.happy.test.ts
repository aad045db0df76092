import { request } from './http-client';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ImportedLocation } from '../../tools/imports/open-data';
import { demoSample, load } from './seed';

const sample = demoSample(600);
const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The documented fields of a location (docs/api.md), written out rather than taken from the product's schema. */
const LOCATION_FIELDS = [
  'address', 'closed_at', 'coordinates', 'id', 'name', 'official_name', 'page_url', 'parent_id', 'phone',
  'services', 'status', 'step_free_access', 'time_zone', 'type', 'type_label', 'updated_at',
];
const ADDRESS_FIELDS = ['commune', 'complement', 'country', 'department', 'department_name', 'insee_code', 'lieu_dit', 'line', 'postcode'];

async function getJson(path: string) {
  const response = await request(path);
  return { response, body: (await response.json()) as any };
}

/** Follows next_cursor to the end and returns every id seen, in order. */
async function walk(query: string, limit: number): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const sep = query ? '&' : '';
    const { response, body } = await getJson(
      `/api/v1/locations?${query}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
    );
    expect(response.status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(['data', 'next_cursor']);
    for (const location of body.data) {
      expect(Object.keys(location).sort()).toEqual(LOCATION_FIELDS);
      expect(Object.keys(location.address).sort()).toEqual(ADDRESS_FIELDS);
    }
    ids.push(...body.data.map((l: { id: string }) => l.id));
    cursor = body.next_cursor;
  } while (cursor);
  return ids;
}

const expectedIds = (keep: (l: ImportedLocation) => boolean) => sample.filter(keep).sort(byId).map((l) => l.id);

describe('GET /api/v1/locations', () => {
  beforeAll(async () => {
    await load(sample);
  });

  it('pages through every location exactly once, in id order', async () => {
    expect(await walk('', 37)).toEqual(expectedIds(() => true));
  });

  it('filters by type, département, postcode and services like a scan of the data', async () => {
    const withPostcode = sample.find((l) => l.type === 'post_office')!;
    const cases: Array<[string, (l: ImportedLocation) => boolean]> = [
      ['type=parcel_locker', (l) => l.type === 'parcel_locker'],
      ['type=post_office,partner_relay', (l) => l.type === 'post_office' || l.type === 'partner_relay'],
      ['department=974', (l) => l.department === '974'],
      ['department=2a', (l) => l.department === '2A'],
      [`postcode=${withPostcode.postcode}`, (l) => l.postcode === withPostcode.postcode],
      ['service=banking,cash_machine', (l) => l.services.includes('banking') && l.services.includes('cash_machine')],
      ['service=parcel_pickup&type=parcel_shop&department=59', (l) => l.type === 'parcel_shop' && l.department === '59'],
    ];
    for (const [query, keep] of cases) {
      const expected = expectedIds(keep);
      expect(expected.length, query).toBeGreaterThan(0);
      expect(await walk(query, 50), query).toEqual(expected);
    }
  });

  it('answers an empty page, not an error, when nothing matches', async () => {
    const { response, body } = await getJson('/api/v1/locations?postcode=00000');
    expect(response.status).toBe(200);
    expect(body).toEqual({ data: [], next_cursor: null });
  });
});

describe('GET /api/v1/locations/{id}', () => {
  beforeAll(async () => {
    await load(sample);
  });

  it('returns the stored location in the documented shape', async () => {
    // An overseas partner point (Martinique): its own time zone, and a parent office.
    const office = sample.find((l) => l.id === 'D000589')!;
    expect(office).toMatchObject({ department: '972', type: 'parcel_locker', parentId: 'D000587' });
    const { response, body } = await getJson(`/api/v1/locations/${office.id.toLowerCase()}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(body).toEqual({
      id: 'D000589',
      name: office.name,
      official_name: office.sourceName,
      type: 'parcel_locker',
      type_label: 'Consigne à colis',
      parent_id: 'D000587',
      address: {
        line: office.addressLine,
        complement: office.addressComplement,
        lieu_dit: office.lieuDit,
        postcode: office.postcode,
        commune: office.commune,
        insee_code: office.inseeCode,
        department: '972',
        department_name: 'Martinique',
        country: 'FR',
      },
      coordinates: { latitude: office.latitude, longitude: office.longitude, precision: office.geocodePrecision },
      phone: office.phone,
      time_zone: 'America/Martinique',
      services: office.services,
      step_free_access: office.stepFreeAccess,
      status: 'active',
      closed_at: null,
      updated_at: '2026-11-20T10:00:00Z',
      // Name "Consigne Luac-sur-Mer Victor Hugo" already holds its commune: not repeated.
      page_url: '/bureaux/consigne-luac-sur-mer-victor-hugo-d000589',
    });
  });
});
