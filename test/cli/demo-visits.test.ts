/**
 * The demo visits at full demo size, as `npm start` seeds them
 * (scripts/seed-demo.ts calls `seedDemoVisits` last): into a freshly
 * migrated local D1, every post office of the full demo network gets the
 * counts of the previous and current periods, within the seed's time
 * budget; a second start writes no count and adds no live arrival; and the
 * stored blobs read back as counts whose arrivals fall on the observed
 * days' weekdays only. Expected numbers come from the generator's network
 * and the demo schedules, not from the seeding code.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../scripts/local-db';
import { demoSchedule } from '../../tools/demo/hours';
import { DEMO_SEED, DEMO_SIZE, generateDemoNetwork } from '../../tools/demo/network';
import { seedDemoVisits } from '../../tools/demo/visits';
import { decodeCounts, PERIOD_DAYS, periodOfDay, QUARTERS_PER_DAY } from '../../worker/affluence/histogram';
import { compileSchedule, spansOn } from '../../worker/hours/engine';
import { DAY_MS, localParts } from '../../worker/hours/zoned-time';

const state = mkdtempSync(join(tmpdir(), 'guichet-demo-visits-'));
afterAll(() => rmSync(state, { recursive: true, force: true }));

describe('demo visits at full demo size', () => {
  it('seeds every post office’s counts within 20 s, then a second start writes nothing', async () => {
    const migrate = spawnSync('npm', ['run', '--silent', 'db:migrate'], { env: { ...process.env, GUICHET_STATE: state, WRANGLER_SEND_METRICS: 'false', CI: 'true' }, encoding: 'utf8' });
    expect(migrate.status, migrate.stderr).toBe(0);
    const network = generateDemoNetwork(DEMO_SEED, DEMO_SIZE);
    const postOffices = network.filter((l) => l.type === 'post_office');
    const now = new Date();
    const { db, close } = await openDatabase({ persistTo: state });
    try {
      const first = await seedDemoVisits(db, network, now);
      expect(first.offices).toBe(postOffices.length);
      // The seed's whole budget is about 10 s more than without visits; 20 s here, on a shared machine.
      expect(first.ms).toBeLessThan(20_000);
      const rows = await db.$client.prepare('select count(*) as n, count(distinct location_id) as offices from affluence_counts').first<{ n: number; offices: number }>();
      // Each post office: the previous period, and the current one unless today is its first day.
      const expectedRows = postOffices.reduce((n, l) => {
        const today = Date.parse(localParts(now, l.timeZone).date) / DAY_MS;
        return n + (today % PERIOD_DAYS === 0 ? 1 : 2);
      }, 0);
      expect(rows).toEqual({ n: expectedRows, offices: postOffices.length });
      const events = await db.$client.prepare('select count(*) as n from visit_events').first<{ n: number }>();

      const second = await seedDemoVisits(db, network, now);
      expect(second.skipped).toBe(true);
      expect(second.countRows).toBe(0);
      expect(await db.$client.prepare('select count(*) as n, count(distinct location_id) as offices from affluence_counts').first()).toEqual(rows);
      expect(await db.$client.prepare('select count(*) as n from visit_events').first<{ n: number }>()).toEqual(events);

      // A sample of offices: the observed days are exactly the days the schedule opens, and no arrival on a weekday never open.
      for (const office of postOffices.filter((_, i) => i % 500 === 0)) {
        const today = Date.parse(localParts(now, office.timeZone).date) / DAY_MS;
        const previous = periodOfDay(today) - 1;
        const row = await db.$client.prepare('select counts from affluence_counts where location_id = ? and period = ?').bind(office.id, previous)
          .first<{ counts: number[] | ArrayBuffer }>();
        const counts = decodeCounts(row!.counts instanceof ArrayBuffer ? new Uint8Array(row!.counts) : Uint8Array.from(row!.counts));
        const compiled = compileSchedule(demoSchedule(office, localParts(now, office.timeZone).date));
        const openDays: number[] = [];
        for (let day = previous * PERIOD_DAYS; day < (previous + 1) * PERIOD_DAYS; day++) if (spansOn(compiled, day).length > 0) openDays.push(day);
        expect([...counts.observedDays], office.id).toEqual(openDays);
        const openWeekdays = new Set(openDays.map((d) => ((((d + 3) % 7) + 7) % 7) + 1));
        for (let w = 1; w <= 7; w++) {
          const total = counts.arrivals.slice((w - 1) * QUARTERS_PER_DAY, w * QUARTERS_PER_DAY).reduce((a, b) => a + b, 0);
          if (!openWeekdays.has(w)) expect(total, `${office.id} weekday ${w}`).toBe(0);
          else expect(total, `${office.id} weekday ${w}`).toBeGreaterThan(0);
        }
      }
    } finally {
      await close();
    }
  });
});
