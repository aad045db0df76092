import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoSchedule } from '../../tools/demo/hours';
import { seedSchedules } from '../../worker/hours/store';
import type { ImportedLocation } from '../../tools/imports/open-data';
import { CELL_DEGREES, distanceMeters } from '../../worker/locator/geo';
import { forgetGazetteer } from '../../worker/locator/gazetteer';
import { encodeSearchCursor } from '../../worker/locator/search-request';
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
    // Saint-Étienne is INSEE 42218 in the official geography, whatever code the demo gives it.
    for (const q of ['Saint-Étienne', 'saint etienne', 'ST ETIENNE', 'st-étienne']) {
      const { body } = await search(`q=${encodeURIComponent(q)}&limit=3`);
      expect(body.resolution.kind, q).toBe('commune');
      expect(body.resolution.commune.inseeCode, q).toBe('42218');
      expect(body.resolution.commune.label, q).toMatch(/^Saint-Étienne \(/);
      expect(body.results.length).toBeGreaterThan(0);
    }
  });

  it('say when a postcode covers several communes and offer them', async () => {
    const counts = new Map<string, Map<string, string>>();
    for (const l of network) counts.set(l.postcode, (counts.get(l.postcode) ?? new Map()).set(l.inseeCode, l.commune));
    const [postcode, communes] = [...counts.entries()].find(([, s]) => s.size > 1)!;
    const { body } = await search(`q=${postcode}`);
    expect(body.resolution.kind).toBe('postcode');
    // Each commune of the network with that postcode is offered, under its code or (demo codes are invented) its name.
    const fold = (text: string) => text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
    for (const [code, name] of communes) {
      expect(body.resolution.communes.some((c: any) => c.inseeCode === code || fold(c.label).startsWith(`${fold(name)} (`)), name).toBe(true);
    }
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

/**
 * An evaluator written for these tests, apart from the product's hours
 * engine: Paris wall-clock time read with Intl, weekly rules, declared
 * closures and the national public holidays (lockers stay open on those).
 */
const parisClock = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit', weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
});
const WEEKDAY = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 } as const;

function parisTime(instant: Date): { date: string; weekday: number; minute: number } {
  const part = Object.fromEntries(parisClock.formatToParts(instant).map((p) => [p.type, p.value]));
  return {
    date: `${part.year}-${part.month}-${part.day}`,
    weekday: WEEKDAY[part.weekday as keyof typeof WEEKDAY],
    minute: Number(part.hour) * 60 + Number(part.minute),
  };
}

const shiftDate = (date: string, days: number) => new Date(Date.parse(`${date}T12:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/** French national public holidays of a year (metropolitan, outside Alsace-Moselle). */
function nationalHolidays(year: number): Set<string> {
  // Easter Sunday, Meeus/Jones/Butcher.
  const a = year % 19, b = Math.floor(year / 100), c = year % 100, d = Math.floor(b / 4), e = b % 4;
  const f = Math.floor((b + 8) / 25), g = Math.floor((b - f + 1) / 3), h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4), k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7, m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31), day = ((h + l - 7 * m + 114) % 31) + 1;
  const easter = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  return new Set([
    ...['01-01', '05-01', '05-08', '07-14', '08-15', '11-01', '11-11', '12-25'].map((md) => `${year}-${md}`),
    shiftDate(easter, 1), shiftDate(easter, 39), shiftDate(easter, 50),
  ]);
}

const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const seeded = new Map(network.map((l) => [l.id, { location: l, schedule: demoSchedule(l) }]));

function closedOn(id: string, date: string): boolean {
  const { location, schedule } = seeded.get(id)!;
  if (schedule.exceptions.some((e) => e.closed && e.startDate <= date && (e.endDate === null || date <= e.endDate))) return true;
  return location.type !== 'parcel_locker' && nationalHolidays(Number(date.slice(0, 4))).has(date);
}

/** Whether a Paris location is open at `instant`, by the test's own reading of its seeded hours. */
function openAt(id: string, instant: Date): boolean {
  const { date, weekday, minute } = parisTime(instant);
  const yesterday = weekday === 1 ? 7 : weekday - 1;
  const { schedule } = seeded.get(id)!;
  return schedule.weekly.some((r) =>
    (r.day === weekday && !closedOn(id, date) && toMinutes(r.opens) <= minute && minute < toMinutes(r.closes)) ||
    (r.day === yesterday && !closedOn(id, shiftDate(date, -1)) && minute + 1440 < toMinutes(r.closes)));
}

/** Whether a Paris location has opening hours on the coming Saturday (today if it is one). */
function opensNextSaturday(id: string, now: Date): boolean {
  const { date, weekday } = parisTime(now);
  const saturday = shiftDate(date, (6 - weekday + 7) % 7);
  return !closedOn(id, saturday) && seeded.get(id)!.schedule.weekly.some((r) => r.day === 6);
}

const paris = network.filter((l) => l.timeZone === 'Europe/Paris' && l.department === '75');
const around = (c: ImportedLocation, radius: number) => network.filter((l) => distanceMeters(c, l) <= radius).sort(byDistance(c));

describe('opening filters, against an evaluation of the seeded hours', () => {
  it('open_at keeps exactly the locations open at that instant, nearest first', async () => {
    expect(paris.length).toBeGreaterThan(10);
    // A weekday morning, the lunch break, a Saturday noon, a Sunday, a public holiday, a night.
    const instants = ['2026-12-01T10:00:00+01:00', '2026-12-01T12:45:00+01:00', '2026-12-05T12:15:00+01:00',
      '2026-12-06T11:00:00+01:00', '2026-12-25T10:00:00+01:00', '2026-12-02T03:00:00+01:00'];
    for (const [n, at] of instants.entries()) {
      const c = paris[(n * 13) % paris.length];
      const { status, body } = await search(`near=${c.latitude},${c.longitude}&radius=8000&limit=50&open_at=${encodeURIComponent(at)}`);
      expect(status).toBe(200);
      const instant = new Date(at);
      const expected = around(c, 8000).filter((l) => openAt(l.id, instant)).slice(0, 50).map((l) => l.id);
      expect(body.results.map((r: any) => r.id), at).toEqual(expected);
      for (const r of body.results) expect(openAt(r.id, instant), `${r.id} at ${at}`).toBe(true);
    }
  });

  it('open_now drops nothing that a brute-force scan keeps', async () => {
    for (const c of [paris[0], paris[Math.floor(paris.length / 2)]]) {
      const before = new Date();
      const { body } = await search(`near=${c.latitude},${c.longitude}&radius=10000&limit=50&open_now=true`);
      const after = new Date();
      const ids: string[] = body.results.map((r: any) => r.id);
      // A location whose state changed during the request may go either way.
      const steady = around(c, 10000).filter((l) => openAt(l.id, before) === openAt(l.id, after));
      for (const id of ids) expect(openAt(id, before) || openAt(id, after), id).toBe(true);
      const kept = steady.filter((l) => openAt(l.id, before)).slice(0, ids.length || 50).map((l) => l.id);
      expect(ids.filter((id) => kept.includes(id))).toEqual(kept);
      if (!body.next_cursor) expect(ids.length).toBe(steady.filter((l) => openAt(l.id, before)).length + ids.filter((id) => !steady.some((l) => l.id === id)).length);
    }
  });

  it('open_saturday keeps exactly the locations with hours on the coming Saturday', async () => {
    const c = paris[3 % paris.length];
    const now = new Date();
    const { body } = await search(`near=${c.latitude},${c.longitude}&radius=10000&limit=50&open_saturday=true`);
    const all = around(c, 10000);
    const expected = all.filter((l) => opensNextSaturday(l.id, now)).slice(0, 50).map((l) => l.id);
    // The filter must bite: some nearby locations have no Saturday hours.
    expect(all.some((l) => !opensNextSaturday(l.id, now))).toBe(true);
    expect(body.results.map((r: any) => r.id)).toEqual(expected);
  });

  it('services is any of, services_all is all of', async () => {
    const c = paris[5 % paris.length];
    for (const pair of [['cash_machine', 'cash_withdrawal'], ['banking', 'cash_machine'], ['parcel_drop', 'money_transfer']] as const) {
      const nearby = around(c, 15000);
      const anyOf = nearby.filter((l) => pair.some((s) => l.services.includes(s))).slice(0, 50).map((l) => l.id);
      const allOf = nearby.filter((l) => pair.every((s) => l.services.includes(s))).slice(0, 50).map((l) => l.id);
      expect(anyOf, `${pair} must tell any from all here`).not.toEqual(allOf);
      const any = await search(`near=${c.latitude},${c.longitude}&radius=15000&limit=50&services=${pair.join(',')}`);
      const every = await search(`near=${c.latitude},${c.longitude}&radius=15000&limit=50&services_all=${pair.join(',')}`);
      expect(any.body.results.map((r: any) => r.id), `services=${pair}`).toEqual(anyOf);
      expect(every.body.results.map((r: any) => r.id), `services_all=${pair}`).toEqual(allOf);
    }
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

  it('takes only its own cursors, spelled as it spells them (400 naming cursor, not 5xx)', async () => {
    const ours = encodeSearchCursor(7);
    expect(ours).not.toMatch(/7/);
    expect((await search(`near=48,2&cursor=${ours}`)).status).toBe(200);
    const encode = (text: string) => btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    for (const other of [
      'o7', // the clear offsets of old
      `${ours}=`, // padded
      ours.slice(0, -1), // truncated
      encode('{"offset": 7}'), encode('{"offset":7.0}'), encode('{"offset":"7"}'), encode('{"offset":-7}'), encode('{"offset":7,"x":1}'), encode('[7]'), encode('null'),
    ]) {
      const { status, body } = await search(`near=48,2&cursor=${encodeURIComponent(other)}`);
      expect(status, other).toBe(400);
      expect(body.invalid_params.map((p: { name: string }) => p.name)).toEqual(['cursor']);
    }
  });

  it('bounds the work of the costliest requests', async () => {
    for (const query of [
      `near=48.85,2.35&radius=50000&limit=50&cursor=${encodeSearchCursor(950)}&open_at=2026-12-25T03:00:00%2B01:00`,
      `near=48.85,2.35&radius=50000&limit=50&cursor=${encodeSearchCursor(150)}&open_at=2026-12-25T03:00:00%2B01:00`,
      'near=90,0&radius=100',
      'near=-90,180&radius=50000',
      'near=48.85,2.35&open_at=0000-01-01T00:00%2B14:00',
      'near=48.85,2.35&open_at=9999-12-31T23:59-12:00',
    ]) {
      const response = await request(`/api/v1/locations/search?${query}`);
      await response.arrayBuffer();
      expect([200, 400], query).toContain(response.status);
    }
    expect((await search(`near=48,2&cursor=${encodeSearchCursor(1000)}`)).status).toBe(400);
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
