/**
 * The cron's fold of recorded arrivals into the stored counts, on a real
 * D1, fed over HTTP: the histogram read back (read.ts) equals counts made
 * here from the posted instants with Intl alone (weekday and quarter in the
 * office's zone); a second fold changes nothing; concurrent folds count
 * each arrival once; a small `maxEvents` goes on at the next call; the
 * sweeps remove what is old and folded, and nothing else.
 */
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { foldVisits, FOLD_CURSOR_SETTING, REPLAY_KEPT_MS } from '../../worker/affluence/fold';
import { type AffluenceCounts, encodeCounts, emptyCounts, PERIODS_KEPT, periodAt } from '../../worker/affluence/histogram';
import { officeAffluence, usualCounts } from '../../worker/affluence/read';
import { request } from './http-client';
import { db, demoSample, load } from './seed';
import { bearer, token } from './staff';

type Office = { id: string; timeZone: string };
let offices: Office[] = [];
let clerk: Record<string, string>;
let serial = 0;

const MIN = 60_000;
const DAY = 86_400_000;

/** A plain LCG: the instants differ between runs of a test only by `now`. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => (state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0) / 2 ** 32;
}

/** Weekday (Monday 0), quarter and local day number of an instant in a zone, read by Intl only. */
function localSlot(ms: number, zone: string) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {
    timeZone: zone, weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(ms).map((p) => [p.type, p.value]));
  const weekday = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(parts.weekday!);
  return {
    cell: weekday * 96 + Number(parts.hour) * 4 + Math.floor(Number(parts.minute) / 15),
    day: Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day)) / DAY,
  };
}

function expectedCounts(arrivals: number[], zone: string): { arrivals: number[]; observedDays: number[] } {
  const cells = new Array<number>(7 * 96).fill(0);
  const days = new Set<number>();
  for (const at of arrivals) {
    const { cell, day } = localSlot(at, zone);
    cells[cell]! += 1;
    days.add(day);
  }
  return { arrivals: cells, observedDays: [...days].sort((a, b) => a - b) };
}

const plain = (counts: AffluenceCounts | null) => counts && { arrivals: [...counts.arrivals], observedDays: [...counts.observedDays] };

/**
 * Posts a day of tickets at an office over HTTP: `n` arrivals at instants
 * within the last 23 hours (a few seconds apart at least), most of them called, some served.
 * Returns the arrival instants (ms, as posted at second precision).
 */
async function postDay(office: Office, n: number, seed: number): Promise<number[]> {
  const next = random(seed);
  const now = Date.now();
  const arrivals: number[] = [];
  const events: { ticket: string; kind: string; at: string }[] = [];
  for (let i = 0; i < n; i++) {
    const at = Math.floor((now - 23 * 3_600_000 + next() * 22 * 3_600_000) / 1000) * 1000;
    const ticket = `F${(++serial).toString(36)}`;
    arrivals.push(at);
    events.push({ ticket, kind: 'arrival', at: new Date(at).toISOString() });
    // A ticket's events share its local day: none follows an arrival after 23:00 local.
    const lateEvening = localSlot(at, office.timeZone).cell % 96 >= 23 * 4;
    if (lateEvening) continue;
    if (next() < 0.8) events.push({ ticket, kind: 'called', at: new Date(at + 5 * MIN).toISOString() });
    if (next() < 0.5) events.push({ ticket, kind: 'served', at: new Date(at + 20 * MIN).toISOString() });
  }
  for (let i = 0; i < events.length; i += 500) {
    const response = await request(`/api/v1/offices/${office.id}/visits`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...clerk }, body: JSON.stringify({ events: events.slice(i, i + 500) }),
    });
    expect(response.status).toBe(201);
  }
  return arrivals;
}

/** Folds until nothing is left; the arrivals counted. */
async function drain(): Promise<number> {
  let total = 0;
  for (;;) {
    const run = await foldVisits(db(), new Date());
    total += run.folded;
    if (!run.more) return total;
  }
}

/** Offices for one test: one in Paris and one overseas, never used by another test. */
const officesFor = (() => {
  let used = 0;
  return () => {
    const paris = offices.filter((o) => o.timeZone === 'Europe/Paris')[used]!;
    const overseas = offices.filter((o) => o.timeZone !== 'Europe/Paris')[used]!;
    used++;
    return [paris, overseas] as const;
  };
})();

beforeAll(async () => {
  const rows = demoSample(300);
  await load(rows);
  offices = rows.filter((r) => r.type === 'post_office').map((r) => ({ id: r.id, timeZone: r.timeZone }));
  clerk = bearer(await token('counter', 'network'));
  await drain();
});

describe('foldVisits', () => {
  it('stores counts equal to Intl’s, per office in its own zone, folding arrivals only', async () => {
    const [paris, overseas] = officesFor();
    const posted = { [paris.id]: await postDay(paris, 180, 1), [overseas.id]: await postDay(overseas, 120, 2) };
    const run = await foldVisits(db(), new Date());
    expect(run).toMatchObject({ folded: 300, offices: 2, more: false });
    for (const office of [paris, overseas]) {
      expect(plain(await usualCounts(db(), office, new Date()))).toEqual(expectedCounts(posted[office.id]!, office.timeZone));
    }
    // The live level reads the same arrivals: those of the last 15 minutes.
    const now = Date.now();
    const recent = posted[paris.id]!.filter((at) => at > now - 15 * MIN && at <= now).length;
    const affluence = await officeAffluence(db(), paris, new Date(now));
    expect(affluence.live?.arrivals).toBe(recent);
  });

  it('changes nothing when run again', async () => {
    const [paris, overseas] = officesFor();
    await postDay(paris, 50, 3);
    await postDay(overseas, 50, 4);
    expect((await foldVisits(db(), new Date())).folded).toBe(100);
    const blobs = async () => db().all<{ location_id: string; period: number; counts: ArrayBuffer }>(
      sql`select location_id, period, hex(counts) as counts from affluence_counts order by location_id, period`,
    );
    const before = await blobs();
    const cursor = await db().all<{ value: string }>(sql`select value from settings where name = ${FOLD_CURSOR_SETTING}`);
    const again = await foldVisits(db(), new Date());
    expect(again).toMatchObject({ folded: 0, offices: 0, more: false, cursor: Number(cursor[0]!.value.split('|')[0]) });
    expect(await blobs()).toEqual(before);
  });

  it('counts each arrival once when folds run concurrently', async () => {
    const [paris, overseas] = officesFor();
    const posted = { [paris.id]: await postDay(paris, 150, 5), [overseas.id]: await postDay(overseas, 90, 6) };
    for (let round = 0; round < 3; round++) {
      const runs = await Promise.all([foldVisits(db(), new Date()), foldVisits(db(), new Date()), foldVisits(db(), new Date(), { maxEvents: 60 })]);
      const later = await drain();
      expect(runs.reduce((sum, r) => sum + r.folded, 0) + later).toBe(round === 0 ? 240 : 0);
    }
    for (const office of [paris, overseas]) {
      expect(plain(await usualCounts(db(), office, new Date()))).toEqual(expectedCounts(posted[office.id]!, office.timeZone));
    }
  });

  it('goes on at the next call when the backlog is larger than maxEvents', async () => {
    const [paris, overseas] = officesFor();
    const posted = { [paris.id]: await postDay(paris, 25, 7), [overseas.id]: await postDay(overseas, 5, 8) };
    const runs = [];
    for (let i = 0; i < 4; i++) runs.push(await foldVisits(db(), new Date(), { maxEvents: 10 }));
    expect(runs.map((r) => [r.folded, r.more])).toEqual([[10, true], [10, true], [10, true], [0, false]]);
    expect(runs[1]!.cursor).toBeGreaterThan(runs[0]!.cursor);
    for (const office of [paris, overseas]) {
      expect(plain(await usualCounts(db(), office, new Date()))).toEqual(expectedCounts(posted[office.id]!, office.timeZone));
    }
  });

  it('rewrites at most maxOffices counts per run (memory), the rest at the next call', async () => {
    const [paris, overseas] = officesFor();
    // Posted one office after the other: Paris's arrivals come first in seq order.
    const posted = { [paris.id]: await postDay(paris, 12, 10), [overseas.id]: await postDay(overseas, 7, 11) };
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await foldVisits(db(), new Date(), { maxOffices: 1 }));
    expect(runs.map((r) => [r.folded, r.offices, r.more])).toEqual([[12, 1, true], [7, 1, false], [0, 0, false]]);
    for (const office of [paris, overseas]) {
      expect(plain(await usualCounts(db(), office, new Date()))).toEqual(expectedCounts(posted[office.id]!, office.timeZone));
    }
  });

  it('sweeps old folded events, old replay records and unread periods, and nothing else', async () => {
    const [paris] = officesFor();
    const now = Date.now();
    const old = now - 40 * DAY;
    const d1 = db().$client;
    const insertEvent = (ticket: string, kind: string, at: number) => d1.prepare(
      `insert into visit_events (location_id, service_date, ticket, kind, at, source, received_at) values (?1, '2026-01-01', ?2, ?3, ?4, 'test', ?4)`,
    ).bind(paris.id, ticket, kind, at).run();
    await insertEvent('OLD1', 'arrival', old);
    // An old event after the last arrival (the same ticket served): the fold moves its cursor to the arrival only, so the
    // served event's seq is past it, and it stays until a later fold passes it.
    await insertEvent('OLD1', 'served', old + MIN);
    await drain();
    await d1.batch([
      d1.prepare('insert into visit_requests (digest, received_at) values (?1, ?2), (?3, ?4)').bind('old-request', now - REPLAY_KEPT_MS - MIN, 'new-request', now - REPLAY_KEPT_MS + MIN),
      d1.prepare('insert into affluence_counts (location_id, period, counts, updated_at) values (?1, ?2, ?3, 0), (?1, ?4, ?3, 0)')
        .bind(paris.id, periodAt(now, 'Europe/Paris') - PERIODS_KEPT - 1, encodeCounts(emptyCounts()), periodAt(now, 'Europe/Paris') - PERIODS_KEPT + 1),
    ]);
    await foldVisits(db(), new Date(now));
    const tickets = async () => (await db().all<{ ticket: string }>(sql`select ticket from visit_events where ticket like 'OLD%' order by ticket`)).map((r) => r.ticket);
    expect(await tickets()).toEqual(['OLD1']);
    expect((await db().all<{ kind: string }>(sql`select kind from visit_events where ticket = 'OLD1'`)).map((r) => r.kind)).toEqual(['served']);
    expect((await db().all<{ digest: string }>(sql`select digest from visit_requests where digest like '%-request'`)).map((r) => r.digest)).toEqual(['new-request']);
    const periods = (await db().all<{ period: number }>(sql`select period from affluence_counts where location_id = ${paris.id}`)).map((r) => r.period);
    expect(periods).toContain(periodAt(now, 'Europe/Paris') - PERIODS_KEPT + 1);
    expect(periods).not.toContain(periodAt(now, 'Europe/Paris') - PERIODS_KEPT - 1);
    // A new arrival moves the cursor past OLD2: the next fold sweeps it.
    await postDay(paris, 1, 9);
    await foldVisits(db(), new Date());
    expect(await tickets()).toEqual([]);
  });
});
