import { request } from './http-client';
import * as v from 'valibot';
import { beforeAll, describe, expect, it } from 'vitest';
import { LocationPageSchema, LocationSchema } from '../../worker/locations/api-schema';
import type { ImportedLocation } from '../../worker/imports/open-data';
import { findDepartment } from '../../worker/locations/departments';
import { demoSample, load } from './seed';

const sample = demoSample(600);
const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

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
    expect(v.is(LocationPageSchema, body)).toBe(true);
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
    // An overseas partner point: its own time zone, and a parent office.
    const office = sample.find((l) => l.department.startsWith('97') && l.parentId)!;
    const department = findDepartment(office.department)!;
    const { response, body } = await getJson(`/api/v1/locations/${office.id.toLowerCase()}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    const location = v.parse(LocationSchema, body);
    expect(location).toMatchObject({
      id: office.id,
      name: office.name,
      type: office.type,
      parent_id: office.parentId,
      time_zone: department.timeZone,
      services: office.services,
      address: { postcode: office.postcode, commune: office.commune, department: department.code, department_name: department.name },
      coordinates: { latitude: office.latitude, longitude: office.longitude },
      status: 'active',
    });
    expect(location.time_zone).not.toBe('Europe/Paris');
    expect(location.page_url).toMatch(new RegExp(`^/bureaux/[a-z0-9-]+-${office.id.toLowerCase()}$`));
  });
});
