/**
 * Dates and instants over HTTP: impossible ones get a 400 naming the field
 * everywhere one is taken, status answers are cached like other hours
 * answers, and "open on public holidays" is a property of the schedule.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { addDays, localParts } from '../../worker/hours/zoned-time';
import { request } from './http-client';
import { demoSample, load } from './seed';
import { bearer, token } from './staff';

const sample = demoSample(200);
const office = sample.find((l) => l.type === 'post_office' && l.timeZone === 'Europe/Paris')!;
const json = { 'content-type': 'application/json' };

async function readHours(id: string) {
  const response = await request(`/api/v1/locations/${id}/hours`);
  return { etag: response.headers.get('etag')!, body: (await response.json()) as any };
}

async function invalidParams(response: Response) {
  expect(response.status).toBe(400);
  expect(response.headers.get('content-type')).toContain('application/problem+json');
  return ((await response.json()) as any).invalid_params as Array<{ name: string; reason: string }>;
}

let editor: string;
beforeAll(async () => {
  await load(sample);
  editor = await token('hours', 'network');
});

describe('impossible instants and dates get a 400 naming the field', () => {
  it.each([
    ['2026-02-30T10:00:00Z', 'date impossible : 2026-02-30 n’existe pas'],
    ['2026-04-31T10:00:00%2B02:00', 'date impossible : 2026-04-31 n’existe pas'],
    ['2026-11-24T10:00:00%2B14:30', 'décalage horaire hors de ±14:00 : +14:30'],
    ['2026-11-24T10:00:00-15:00', 'décalage horaire hors de ±14:00 : -15:00'],
    ['2201-01-01T10:00:00Z', 'année hors de 1970–2200 : 2201-01-01'],
    ['1969-12-31T10:00:00Z', 'année hors de 1970–2200 : 1969-12-31'],
  ])('status?at=%s', async (at, reason) => {
    expect(await invalidParams(await request(`/api/v1/locations/${office.id}/status?at=${at}`))).toEqual([{ name: 'at', reason }]);
  });

  it.each([
    ['2026-02-30T10:00:00Z', 'date impossible : 2026-02-30 n’existe pas'],
    ['2026-11-24T10:00:00%2B15:00', 'décalage horaire hors de ±14:00 : +15:00'],
    ['2300-01-01T10:00:00Z', 'année hors de 1970–2200 : 2300-01-01'],
  ])('the locator’s open_at=%s', async (at, reason) => {
    const params = await invalidParams(await request(`/api/v1/locations/search?near=48.8566,2.3522&open_at=${at}`));
    expect(params).toContainEqual({ name: 'open_at', reason });
  });

  it.each([
    [{ start_date: '2099-02-30', closed: true, reason: 'works' }, 'start_date', 'date impossible : 2099-02-30 n’existe pas'],
    [{ start_date: '2099-04-01', end_date: '2099-04-31', closed: true, reason: 'works' }, 'end_date', 'date impossible : 2099-04-31 n’existe pas'],
    [{ start_date: '2099-04-01', end_date: '2201-01-01', closed: true, reason: 'works' }, 'end_date', 'année hors de 1970–2200 : 2201-01-01'],
  ])('an exception %j', async (body, name, reason) => {
    const { etag } = await readHours(office.id);
    const response = await request(`/api/v1/locations/${office.id}/hours/exceptions`, {
      method: 'POST', headers: { ...json, ...bearer(editor), 'if-match': etag }, body: JSON.stringify(body),
    });
    expect(await invalidParams(response)).toEqual([{ name, reason }]);
  });

  it('a bulk exception', async () => {
    const response = await request('/api/v1/hours/bulk-exceptions', {
      method: 'POST', headers: { ...json, ...bearer(editor) },
      body: JSON.stringify({ location_ids: [office.id], exception: { start_date: '2099-06-31', closed: true, reason: 'works' } }),
    });
    expect((await invalidParams(response)).map((p) => p.reason)).toContain('date impossible : 2099-06-31 n’existe pas');
  });

  it('a possible instant is read exactly, with its offset', async () => {
    const response = await request(`/api/v1/locations/${office.id}/status?at=2026-11-24T10:00:00.250%2B14:00`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as any).at).toBe('2026-11-23T20:00:00.250Z');
  });
});

describe('status answers are cached like every other hours answer', () => {
  it('for now and for a given instant: 25 s, plus 25 s stale', async () => {
    for (const query of ['', '?at=2026-11-24T10:00:00Z', '?at=2031-01-01T00:00:00%2B01:00']) {
      const response = await request(`/api/v1/locations/${office.id}/status${query}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control'), query).toBe('public, max-age=25, stale-while-revalidate=25');
    }
  });
});

describe('open on public holidays', () => {
  const holiday = () => {
    // The next 1 January or 25 December ahead (local Paris date), a holiday in every département.
    const today = localParts(new Date(), 'Europe/Paris').date;
    const year = Number(today.slice(0, 4));
    return [`${year}-12-25`, `${year + 1}-01-01`].find((d) => d > addDays(today, 1))!;
  };
  const allWeek = ['mo', 'tu', 'we', 'th', 'fr', 'sa', 'su'].map((day) => ({ day, opens: '08:00', closes: '20:00' }));
  const put = async (body: unknown) => {
    const { etag } = await readHours(office.id);
    return request(`/api/v1/locations/${office.id}/hours/weekly`, { method: 'PUT', headers: { ...json, ...bearer(editor), 'if-match': etag }, body: JSON.stringify(body) });
  };
  const openAtNoon = async (date: string) => ((await (await request(`/api/v1/locations/${office.id}/status?at=${date}T12:00:00%2B01:00`)).json()) as any);

  it('is off by default, set by the weekly body, kept when the body leaves it out, and decides holidays', async () => {
    expect((await readHours(office.id)).body.open_on_holidays).toBe(false);
    const date = holiday();

    expect((await put({ rules: allWeek })).status).toBe(200);
    expect(await openAtNoon(date)).toMatchObject({ open: false, reason: { kind: 'public_holiday' } });

    const opened = await put({ rules: allWeek, open_on_holidays: true });
    expect(opened.status).toBe(200);
    expect(((await opened.json()) as any).open_on_holidays).toBe(true);
    expect(await openAtNoon(date)).toMatchObject({ open: true });

    // A body without the flag leaves it as it is.
    expect((await put({ rules: allWeek })).status).toBe(200);
    expect((await readHours(office.id)).body.open_on_holidays).toBe(true);
    expect(await openAtNoon(date)).toMatchObject({ open: true });

    expect((await put({ rules: allWeek, open_on_holidays: false })).status).toBe(200);
    expect(await openAtNoon(date)).toMatchObject({ open: false, reason: { kind: 'public_holiday' } });
  });

  it('refuses a flag that is not a boolean', async () => {
    expect((await invalidParams(await put({ rules: allWeek, open_on_holidays: 'yes' }))).map((p) => p.name)).toEqual(['open_on_holidays']);
  });
});
