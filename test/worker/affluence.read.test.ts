/**
 * `GET /api/v1/offices/{id}/affluence` on a real D1: the usual levels of
 * counts built here from arrivals written out by hand (expected means and
 * levels computed by hand from them), the live level from raw arrivals of
 * the last 15 minutes, the hidden quarters, the cache policy, and the
 * 400/404/405. Then the demo visits (tools/demo/visits.ts) read back
 * through the same door: arrivals only while the office is open, a
 * Saturday-morning peak, a lunchtime dip, and a second seed that changes
 * nothing.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { addArrivals, emptyCounts, encodeCounts, periodAt } from '../../worker/affluence/histogram';
import { compileSchedule, spansOn } from '../../worker/hours/engine';
import { addDays, DAY_MS, instantAt, localParts } from '../../worker/hours/zoned-time';
import { demoSchedule } from '../../tools/demo/hours';
import { DEMO_VISIT_SOURCE, liveSample, seedDemoVisits } from '../../tools/demo/visits';
import type { ImportedLocation } from '../../tools/imports/open-data';
import { request } from './http-client';
import { db, demoSample, load } from './seed';

const ZONE = 'Europe/Paris';
let network: ImportedLocation[];
let offices: ImportedLocation[];

beforeAll(async () => {
  network = demoSample(600);
  await load(network);
  offices = network.filter((l) => l.type === 'post_office' && l.timeZone === ZONE);
});

type Answer = {
  office_id: string; time_zone: string; min_observations: number;
  weekdays: Array<{ weekday: number; name: string; observed_days: number; slots: Array<{ time: string; level: number | null; mean: number | null }> }>;
  live: { at: string; level: number | null; usual: number | null; arrivals: number } | null;
};

async function affluenceOf(id: string): Promise<{ response: Response; body: Answer }> {
  const response = await request(`/api/v1/offices/${id}/affluence`);
  return { response, body: (await response.json()) as Answer };
}

async function storeCounts(officeId: string, arrivals: number[]) {
  const counts = addArrivals(emptyCounts(), arrivals, ZONE);
  await db().$client.prepare('insert into affluence_counts (location_id, period, counts, updated_at) values (?, ?, ?, ?)')
    .bind(officeId, periodAt(Date.now(), ZONE), encodeCounts(counts), Date.now()).run();
}

async function storeArrivals(officeId: string, instants: number[]) {
  const d1 = db().$client;
  await d1.batch(instants.map((at, i) => d1.prepare(
    `insert into visit_events (location_id, service_date, ticket, kind, at, source, received_at) values (?, ?, ?, 'arrival', ?, 'qms_test', ?)`,
  ).bind(officeId, localParts(at, ZONE).date, `T${i}-${at}`, at, Date.now())));
}

describe('an office’s affluence, from counts written out by hand', () => {
  it('answers per weekday the visible window, levels against the day’s peak, hidden quarters as null, and the live level', async () => {
    const office = offices[0]!;
    const today = localParts(Date.now(), ZONE).date;
    // Each of the 84 days before today: 3 arrivals at 09:00, 6 at 10:00, 1 at 10:30; 1 at 11:00 on 5 of them only.
    const arrivals: number[] = [];
    for (let back = 1; back <= 84; back++) {
      const date = addDays(today, -back);
      arrivals.push(...[0, 1, 2].map((s) => instantAt(date, '09:00', ZONE).getTime() + s * 60_000));
      arrivals.push(...[0, 1, 2, 3, 4, 5].map((s) => instantAt(date, '10:00', ZONE).getTime() + s * 60_000));
      arrivals.push(instantAt(date, '10:30', ZONE).getTime() + 60_000);
      if (back <= 5) arrivals.push(instantAt(date, '11:00', ZONE).getTime());
    }
    await storeCounts(office.id, arrivals);
    // Live: 4 arrivals in the last 15 minutes count; 2 twenty minutes ago do not.
    const now = Date.now();
    await storeArrivals(office.id, [now - 60_000, now - 120_000, now - 5 * 60_000, now - 14 * 60_000, now - 20 * 60_000, now - 21 * 60_000]);

    const before = localParts(Date.now(), ZONE);
    const { response, body } = await affluenceOf(office.id.toLowerCase());
    const after = localParts(Date.now(), ZONE);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=30, stale-while-revalidate=30');
    expect(body.office_id).toBe(office.id);
    expect(body.min_observations).toBe(10);
    expect(body.weekdays.map((d) => d.weekday)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    for (const day of body.weekdays) {
      // 84 days = 12 of each weekday. 09:00: 36/12 = 3; 10:00: 6 (the peak); 10:30: 1 → 17; 11:00: at most 1 arrival, hidden.
      expect(day.observed_days).toBe(12);
      expect(day.slots).toEqual([
        { time: '09:00', level: 50, mean: 3 },
        { time: '09:15', level: null, mean: null },
        { time: '09:30', level: null, mean: null },
        { time: '09:45', level: null, mean: null },
        { time: '10:00', level: 100, mean: 6 },
        { time: '10:15', level: null, mean: null },
        { time: '10:30', level: 17, mean: 1 },
      ]);
    }
    // 4 arrivals against a peak mean of 6: 67. The usual level is the current quarter's.
    const usualAt = (minutes: number) => ({ 540: 50, 600: 100, 630: 17 } as Record<number, number>)[minutes - (minutes % 15)] ?? null;
    expect(body.live).toMatchObject({ level: 67, arrivals: 4 });
    expect([usualAt(before.minutes), usualAt(after.minutes)]).toContain(body.live!.usual);
    expect(Math.abs(Date.parse(body.live!.at) - now)).toBeLessThan(10_000);
  });

  it('answers empty days and no live level where nothing was ever counted', async () => {
    const { response, body } = await affluenceOf(offices[1]!.id);
    expect(response.status).toBe(200);
    expect(body.weekdays.every((d) => d.slots.length === 0 && d.observed_days === 0)).toBe(true);
    expect(body.live).toBeNull();
  });

  it('refuses an unknown office (404), a malformed id (400) and other methods (405), in French problem+json', async () => {
    const unknown = await request('/api/v1/offices/ZZ999999/affluence');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');
    expect(((await unknown.json()) as { detail: string }).detail).toContain('ZZ999999');
    const malformed = await request('/api/v1/offices/pas-un-id!/affluence');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { invalid_params: Array<{ name: string }> }).invalid_params[0]!.name).toBe('id');
    const post = await request(`/api/v1/offices/${offices[0]!.id}/affluence`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe('the demo visits', () => {
  it('shows only open quarters, a Saturday-morning peak and a lunchtime dip, and a second seed changes nothing', async () => {
    const now = new Date();
    const first = await seedDemoVisits(db(), network, now);
    expect(first.skipped).toBe(false);
    const postOffices = network.filter((l) => l.type === 'post_office');
    expect(first.offices).toBe(postOffices.length);
    const rows = await db().$client.prepare('select count(*) as n from affluence_counts').first<{ n: number }>();
    const again = await seedDemoVisits(db(), network, now);
    expect(again.skipped).toBe(true);
    expect(await db().$client.prepare('select count(*) as n from affluence_counts').first<{ n: number }>()).toEqual(rows);
    const live = await db().$client.prepare('select count(*) as n from visit_events where source = ?').bind(DEMO_VISIT_SOURCE).first<{ n: number }>();
    expect(live!.n).toBe(first.liveArrivals);
    expect(again.liveArrivals).toBe(first.liveArrivals);
    expect(first.liveOffices).toBe(liveSample(postOffices).length);

    let saturdayPeaks = 0;
    let openSaturdays = 0;
    let dips = 0;
    let withLunch = 0;
    // (The first two were given hand-made counts above.)
    const checked = offices.slice(2, 42);
    for (const office of checked) {
      const { body } = await affluenceOf(office.id);
      const compiled = compileSchedule(demoSchedule(office, localParts(now, ZONE).date));
      // Open quarters per weekday, over the last 26 weeks, from the schedule itself.
      const open = [1, 2, 3, 4, 5, 6, 7].map(() => new Set<string>());
      const todayNumber = Date.parse(localParts(now, ZONE).date) / DAY_MS;
      for (let day = todayNumber - 182; day < todayNumber; day++) {
        const weekday = ((((day + 3) % 7) + 7) % 7) + 1; // 1970-01-01 was a Thursday
        for (const span of spansOn(compiled, day)) {
          for (let m = span.opens; m + 15 <= span.closes; m += 15) open[weekday - 1]!.add(`${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`);
        }
      }
      for (const day of body.weekdays) {
        for (const slot of day.slots) if (slot.level !== null) expect(open[day.weekday - 1]!.has(slot.time), `${office.id} ${day.name} ${slot.time}`).toBe(true);
      }
      const peakMean = (weekday: number) => Math.max(0, ...body.weekdays[weekday - 1]!.slots.map((s) => s.mean ?? 0));
      if (peakMean(6) > 0) {
        openSaturdays++;
        if (peakMean(6) > Math.max(...[1, 2, 3, 4, 5].map(peakMean))) saturdayPeaks++;
      }
      // Offices open through lunch: 12:30–13:30 below the late morning.
      const tuesday = body.weekdays[1]!.slots;
      const mean = (from: string, to: string) => {
        const values = tuesday.filter((s) => s.time >= from && s.time < to && s.mean !== null).map((s) => s.mean!);
        return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
      };
      const lunch = mean('12:30', '13:30');
      const morning = mean('10:00', '11:30');
      if (lunch !== null && morning !== null) {
        withLunch++;
        if (lunch < morning) dips++;
      }
    }
    // Random draws: most offices, not necessarily every one.
    expect(openSaturdays).toBeGreaterThan(checked.length / 2);
    expect(saturdayPeaks / openSaturdays).toBeGreaterThan(0.85);
    expect(withLunch).toBeGreaterThan(0);
    expect(dips / withLunch).toBeGreaterThan(0.8);
  });
});
