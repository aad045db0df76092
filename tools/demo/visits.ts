/**
 * @module
 * Demo visits: so that `npm start` shows affluence bars and a live level at
 * once, every demo post office gets the arrival counts (histogram.ts's
 * `AffluenceCounts`) of the previous period and of the current one so far,
 * and a sample of offices (Paris's post offices, 300 at most) gets raw
 * arrivals of the last hour in `visit_events`.
 *
 * The patterns: arrivals only while the office is open (its demo schedule,
 * holidays and exceptions included), a busier morning than afternoon, a
 * lunchtime dip, a small after-work bump, Monday morning busier, a
 * Saturday-morning peak (the week's busiest quarters), each office scaled
 * by its own size (log-normal: a rural office sees a handful per quarter,
 * a city one dozens).
 *
 * The counts are what `addArrivals` would make of such visits, built per
 * cell rather than per visit: each open day of a weekday draws a Poisson
 * number of arrivals in each open quarter, and a sum of independent
 * Poisson draws is one Poisson draw of the summed mean. So a cell holds
 * Poisson(open days of that weekday and quarter × the quarter's rate), and
 * the observed days are the open days of the period up to yesterday
 * (today's arrivals come raw, through the fold).
 *
 * Deterministic: seeded by office, period and (live sample) minute. A
 * marker makes the counts a one-time write; the live sample is refreshed
 * at every start (same minute, same tickets: a duplicate changes nothing).
 */
import { emptyCounts, encodeCounts, PERIOD_DAYS, periodOfDay, QUARTERS_PER_DAY, type AffluenceCounts } from '../../worker/affluence/histogram';
import type { Database } from '../../worker/database';
import { compileSchedule, type CompiledSchedule, spansOn } from '../../worker/hours/engine';
import type { Schedule } from '../../worker/hours/model';
import { DAY_MS, weekdayOfDay, zoneClock } from '../../worker/hours/zoned-time';
import type { ImportedLocation } from '../imports/open-data';
import { demoSchedule } from './hours';
import { type Random, seededRandom } from './random';

export const DEMO_VISITS_SEED = 20261124;
/** Offices whose last hour of arrivals is seeded raw, so their live level shows at once. */
export const LIVE_SAMPLE_SIZE = 300;
export const LIVE_SAMPLE_DEPARTMENT = '75';
/** The `source` of seeded visit events (a queue-management feed's id is `qms_…`). */
export const DEMO_VISIT_SOURCE = 'qms_demo';
const MARKER = 'demo_visits';
const QUARTER_MINUTES = 15;

/** FNV-1a of a text, for per-office seeds. */
function hashOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

const bump = (minutes: number, centre: number, width: number) => Math.exp(-(((minutes - centre) / width) ** 2));

/**
 * The shape of a day: expected arrivals in the quarter starting at local
 * `minutes` on ISO `weekday`, for an office of size 1 (about 1 at a
 * weekday's late-morning peak).
 */
export function visitShape(weekday: number, minutes: number): number {
  const mid = minutes + QUARTER_MINUTES / 2;
  let rate = 0.45 + 0.55 * bump(mid, 10 * 60 + 45, 80) + 0.3 * bump(mid, 17 * 60 + 15, 50);
  if (mid >= 12 * 60 && mid < 14 * 60) rate *= 0.55; // lunchtime: people are at lunch, not at the counter
  if (weekday === 1 && mid < 12 * 60) rate *= 1.3; // Monday morning: the weekend's parcels and letters
  if (weekday === 5) rate *= 1.05;
  if (weekday === 6) rate *= mid < 13 * 60 ? 1.2 + 0.7 * bump(mid, 10 * 60 + 30, 75) : 0.8; // the week's peak: Saturday morning
  if (weekday === 7) rate *= 0.7;
  return rate;
}

/** An office's size: a log-normal factor, median 5 arrivals per peak quarter. */
export function officeScale(id: string): number {
  const random = seededRandom(hashOf(`${DEMO_VISITS_SEED}:${id}`));
  return Math.min(30, Math.max(1.2, 5 * Math.exp(0.6 * random.gaussian())));
}

/** A Poisson draw: Knuth's product method below 30, a rounded normal above (close enough there). */
export function poisson(random: Random, mean: number): number {
  if (mean <= 0) return 0;
  if (mean >= 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * random.gaussian()));
  const limit = Math.exp(-mean);
  let k = 0;
  let product = random.next();
  while (product > limit) {
    k++;
    product *= random.next();
  }
  return k;
}

/** The quarters (0–95) of local day `day` during which the office is open from start to end. */
function openQuarters(compiled: CompiledSchedule, day: number): number[] {
  const quarters: number[] = [];
  for (const span of spansOn(compiled, day)) {
    const first = Math.ceil(span.opens / QUARTER_MINUTES);
    const end = Math.min(QUARTERS_PER_DAY, Math.floor(span.closes / QUARTER_MINUTES));
    for (let q = first; q < end; q++) quarters.push(q);
  }
  return quarters;
}

/**
 * The demo counts of an office for `period`, over its local days before
 * `untilDay` (exclusive): null when it had no open day then.
 */
export function demoPeriodCounts(id: string, schedule: Schedule, period: number, untilDay: number): AffluenceCounts | null {
  const compiled = compileSchedule(schedule);
  const from = period * PERIOD_DAYS;
  const to = Math.min(from + PERIOD_DAYS, untilDay);
  // How many open days each weekday × quarter cell had: the Poisson means' multipliers.
  const openDays = new Uint16Array(7 * QUARTERS_PER_DAY);
  const observed: number[] = [];
  for (let day = from; day < to; day++) {
    const quarters = openQuarters(compiled, day);
    if (quarters.length === 0) continue;
    observed.push(day);
    const base = (weekdayOfDay(day) - 1) * QUARTERS_PER_DAY;
    for (const q of quarters) openDays[base + q]! += 1;
  }
  if (observed.length === 0) return null;
  const scale = officeScale(id);
  const random = seededRandom(hashOf(`${DEMO_VISITS_SEED}:${id}:${period}`));
  const counts = emptyCounts();
  for (let cell = 0; cell < openDays.length; cell++) {
    if (openDays[cell] === 0) continue;
    const weekday = Math.floor(cell / QUARTERS_PER_DAY) + 1;
    const minutes = (cell % QUARTERS_PER_DAY) * QUARTER_MINUTES;
    // (An open day without a single arrival would not be observed; at 1.2 × 0.25 arrivals per quarter at least over 3 hours or more, its odds are below e⁻³.)
    counts.arrivals[cell] = poisson(random, openDays[cell]! * scale * visitShape(weekday, minutes));
  }
  return { arrivals: counts.arrivals, observedDays: Int32Array.from(observed) };
}

export interface DemoArrival {
  locationId: string;
  serviceDate: string;
  ticket: string;
  at: number;
}

/**
 * The arrivals of `location` in the hour before `now` (minute by minute,
 * while it is open): the usual rate times a mood of the day and hour, from
 * a quiet 0.3 to a busy 1.5, so some offices read calm and others busy.
 * A minute's arrivals depend only on the office and that minute.
 */
export function demoLiveArrivals(location: { id: string; timeZone: string }, schedule: Schedule, now: Date): DemoArrival[] {
  const compiled = compileSchedule(schedule);
  const clock = zoneClock(location.timeZone);
  const scale = officeScale(location.id);
  const arrivals: DemoArrival[] = [];
  const lastMinute = Math.floor(now.getTime() / 60_000);
  for (let minute = lastMinute - 59; minute <= lastMinute; minute++) {
    const at = minute * 60_000;
    const wall = at + clock.offset(at);
    const day = Math.floor(wall / DAY_MS);
    const minutes = Math.floor((wall - day * DAY_MS) / 60_000);
    if (!spansOn(compiled, day).some((s) => s.opens <= minutes && minutes < s.closes)) continue;
    const hour = Math.floor(minutes / 60);
    const mood = 0.3 + 1.2 * seededRandom(hashOf(`${DEMO_VISITS_SEED}:${location.id}:${day}:${hour}`)).next();
    const random = seededRandom(hashOf(`${DEMO_VISITS_SEED}:${location.id}:${minute}`));
    const count = poisson(random, (scale * mood * visitShape(weekdayOfDay(day), minutes - (minutes % QUARTER_MINUTES))) / QUARTER_MINUTES);
    const date = new Date(day * DAY_MS).toISOString().slice(0, 10);
    for (let k = 0; k < count; k++) {
      // Not after `now`: the live window is (now − 15 min, now].
      const second = Math.min(random.int(60) * 1000, now.getTime() - at);
      arrivals.push({ locationId: location.id, serviceDate: date, ticket: `D${String(minutes).padStart(4, '0')}-${k + 1}`, at: at + second });
    }
  }
  return arrivals;
}

/** The post offices of the live sample: the first LIVE_SAMPLE_SIZE Paris post offices, by id. */
export function liveSample<T extends Pick<ImportedLocation, 'id' | 'type' | 'department'>>(network: readonly T[]): T[] {
  return network.filter((l) => l.type === 'post_office' && l.department === LIVE_SAMPLE_DEPARTMENT)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).slice(0, LIVE_SAMPLE_SIZE);
}

export interface DemoVisitsReport {
  offices: number;
  /** Counts rows written (0 when the marker said they were there). */
  countRows: number;
  skipped: boolean;
  liveOffices: number;
  liveArrivals: number;
  ms: number;
}

const localDay = (at: number, timeZone: string) => Math.floor((at + zoneClock(timeZone).offset(at)) / DAY_MS);
const ROWS_PER_STATEMENT = 150;

/**
 * Seeds the demo visits over `network` at `now`: the counts once (the
 * marker, written last, names the seed and the first day's period, so a
 * run stopped half-way is completed and a later period starts afresh),
 * every insert skipping what is there; then the live sample's last hour.
 */
export async function seedDemoVisits(db: Database, network: readonly ImportedLocation[], now: Date): Promise<DemoVisitsReport> {
  const started = performance.now();
  const d1 = db.$client;
  const offices = network.filter((l) => l.type === 'post_office');
  const at = now.getTime();
  const today = (l: ImportedLocation) => localDay(at, l.timeZone);
  const schedules = new Map(offices.map((l) => [l.id, demoSchedule(l, new Date(today(l) * DAY_MS).toISOString().slice(0, 10))]));
  const markerValue = `seed ${DEMO_VISITS_SEED} offices ${offices.length} period ${periodOfDay(localDay(at, 'Europe/Paris'))}`;
  const marker = await d1.prepare('select value from settings where name = ?').bind(MARKER).first<{ value: string }>();
  let countRows = 0;
  const skipped = marker?.value === markerValue;
  if (!skipped) {
    // Rows go as hex in one JSON parameter per chunk (a bound blob per row through the local proxy is 100 times slower); a chunk stays under 1 MB.
    const statements: D1PreparedStatement[] = [];
    let rows: Array<[string, number, string]> = [];
    const flush = () => {
      statements.push(d1.prepare(`insert into affluence_counts (location_id, period, counts, updated_at)
        select j.value ->> '$[0]', j.value ->> '$[1]', unhex(j.value ->> '$[2]'), ?2 from json_each(?1) j
        where true on conflict (location_id, period) do nothing`).bind(JSON.stringify(rows), at));
      rows = [];
    };
    for (const office of offices) {
      const day = today(office);
      const current = periodOfDay(day);
      for (const period of [current - 1, current]) {
        const counts = demoPeriodCounts(office.id, schedules.get(office.id)!, period, day);
        if (!counts) continue;
        rows.push([office.id, period, Buffer.from(encodeCounts(counts)).toString('hex')]);
        countRows++;
        if (rows.length === ROWS_PER_STATEMENT) flush();
      }
    }
    if (rows.length) flush();
    for (let i = 0; i < statements.length; i += 10) await d1.batch(statements.slice(i, i + 10));
    await d1.prepare('insert into settings (name, value) values (?, ?) on conflict (name) do update set value = excluded.value').bind(MARKER, markerValue).run();
  }
  const sample = liveSample(offices);
  const arrivals = sample.flatMap((office) => demoLiveArrivals(office, schedules.get(office.id)!, now));
  const CHUNK = 2000;
  const writes: D1PreparedStatement[] = [];
  for (let from = 0; from < arrivals.length; from += CHUNK) {
    const chunk = arrivals.slice(from, from + CHUNK).map((a) => [a.locationId, a.serviceDate, a.ticket, a.at]);
    writes.push(d1.prepare(`insert into visit_events (location_id, service_date, ticket, kind, at, source, received_at)
      select j.value ->> '$[0]', j.value ->> '$[1]', j.value ->> '$[2]', 'arrival', j.value ->> '$[3]', ?2, ?3 from json_each(?1) j
      where true on conflict do nothing`).bind(JSON.stringify(chunk), DEMO_VISIT_SOURCE, at));
  }
  if (writes.length) await d1.batch(writes);
  return { offices: offices.length, countRows, skipped, liveOffices: sample.length, liveArrivals: arrivals.length, ms: performance.now() - started };
}
