/**
 * `npm run parcels:simulate [-- --url http://localhost:8787] [--rate 20] [--count N] [--persist-to DIR] [--seed S]`
 *
 * A live carrier for the demo: every second it moves some demo parcels one
 * step on (taken in charge → sorted → at the site → out for delivery →
 * delivered, or avisé → waiting at an office → handed over…), and now and
 * then sends an event twice or a scan that arrives late, out of order. All
 * through the real signed endpoint (`POST /api/v1/parcels/events` with
 * `Guichet-Signature`), as the demo carrier, whose secret is derived from
 * the local database's carrier key (the served Worker uses the same). It
 * prints what it sent and the counts the server answered, and stops after
 * `--count` events or on Ctrl-C.
 *
 * Run it beside `npm start` (same `--persist-to`); it reads the parcels'
 * state once, at start, then follows what it sent. The first parcel of
 * each stage (the numbers the README lists) is left as it is.
 */
import { parseArgs } from 'node:util';
import { DEMO_CARRIER, DEMO_STAGES, demoTrackingNumbers } from '../tools/demo/parcels';
import { seededRandom } from '../tools/demo/random';
import type { CarrierEvent } from '../worker/parcels/api-schema';
import { carrierKey, createCarrier } from '../worker/parcels/carriers';
import { EVENT_CODES, type EventCode, isKnownCode } from '../worker/parcels/events';
import { signatureHeader } from '../worker/parcels/signature';
import { openDatabase, PERSIST_DIR } from './local-db';

const USAGE = 'usage: npm run parcels:simulate -- [--url http://localhost:8787] [--rate 20] [--count N] [--persist-to DIR] [--seed S]';
/** Shares of the events that are not a step on: a resend, and a late scan. */
const DUPLICATE_SHARE = 0.08;
const LATE_SHARE = 0.08;

let values;
try {
  ({ values } = parseArgs({
    options: {
      url: { type: 'string', default: `http://localhost:${process.env.PORT || 8787}` },
      rate: { type: 'string', default: '20' },
      count: { type: 'string' },
      seed: { type: 'string' },
      'persist-to': { type: 'string', default: PERSIST_DIR },
    },
  }));
} catch (error) {
  console.error(`${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}
const whole = (name: string, text: string | undefined, min: number, max: number) => {
  const n = Number(text);
  if (!/^\d+$/.test(text ?? '') || n < min || n > max) {
    console.error(`--${name} ${text}: a whole number from ${min} to ${max} is expected\n${USAGE}`);
    process.exit(2);
  }
  return n;
};
const rate = whole('rate', values.rate, 1, 500);
const count = values.count === undefined ? Infinity : whole('count', values.count, 1, 10_000_000);
const seed = values.seed === undefined ? Date.now() % 2 ** 32 : whole('seed', values.seed, 0, 2 ** 32 - 1);
const base = values.url!.replace(/\/+$/, '');
const random = seededRandom(seed);

/** What the simulator knows of a parcel: read once from the database, then kept up to date by what it sends. */
interface Moving {
  number: string;
  step: number;
  lastCode: string;
  lastEventAt: number;
  /** Where it waits, and the kind of place. */
  waiting: { id: string; type: string } | null;
  /** Its distribution site (the place of its EP1), where an avisé parcel goes to wait. */
  site: string | null;
  returned: boolean;
}

const showcase = new Set(demoTrackingNumbers(DEMO_STAGES.length));
const { db, close, where } = await openDatabase({ persistTo: values['persist-to'] });
let secret: string;
let parcels: Moving[];
let offices: string[];
try {
  // Ensures the demo carrier (the seed made it) and derives its secret from this database's key, as the Worker does.
  ({ secret } = await createCarrier(db, { name: DEMO_CARRIER.name, key: await carrierKey(db, undefined), now: new Date(), id: DEMO_CARRIER.id }));
  const { results } = await db.$client.prepare(
    `select p.tracking_number, p.step, p.last_code, p.last_event_at, p.incidents, p.waiting_location_id, w.type as waiting_type,
            (select e.location_id from parcel_events e where e.tracking_number = p.tracking_number and e.code = 'EP1' and e.location_id is not null
             order by e.occurred_at desc limit 1) as site
     from parcels p left join locations w on w.id = p.waiting_location_id
     where p.delivered = 0 and p.last_code is not null
       and exists (select 1 from parcel_events e where e.tracking_number = p.tracking_number and e.carrier_id = ?)
     order by p.tracking_number`,
  ).bind(DEMO_CARRIER.id).all<{
    tracking_number: string; step: number; last_code: string; last_event_at: number; incidents: string;
    waiting_location_id: string | null; waiting_type: string | null; site: string | null;
  }>();
  parcels = results.map((r) => ({
    number: r.tracking_number, step: r.step, lastCode: r.last_code, lastEventAt: r.last_event_at,
    waiting: r.waiting_location_id ? { id: r.waiting_location_id, type: r.waiting_type ?? 'post_office' } : null,
    site: r.site, returned: (JSON.parse(r.incidents) as string[]).includes('retour'),
  })).filter((p) => !p.returned && !showcase.has(p.number));
  offices = (await db.$client.prepare(`select id from locations where status = 'active' and type = 'post_office' order by id limit 500`).all<{ id: string }>())
    .results.map((r) => r.id);
} finally {
  await close();
}
if (parcels.length === 0) {
  console.error(`no demo parcel on the move in ${where}: run \`npm start\` (or \`npm run db:seed\`) first`);
  process.exit(1);
}
console.log(`simulating the demo carrier ${DEMO_CARRIER.id} on ${base}: ${parcels.length} demo parcels on the move, ${rate} events a second${Number.isFinite(count) ? `, ${count} events` : ''} (seed ${seed})`);

const stepOf = (code: string) => (isKnownCode(code) ? EVENT_CODES[code].step : 0);
const shelf = () => `${'ABCDEF'[random.int(6)]}${String(1 + random.int(40)).padStart(2, '0')}`;

/** The next event of a parcel's journey, or null when it has arrived (or gone back). */
function nextStep(p: Moving): Pick<CarrierEvent, 'code' | 'location_id' | 'shelf'> | null {
  // After a resolved problem, the journey goes on from the step it had reached.
  const last = p.lastCode === 'PB2' ? (['DR1', 'PC1', 'ET1', 'EP1', 'MD2'] as const)[Math.min(p.step, 4)]! : p.lastCode;
  switch (last) {
    case 'DR1':
      return { code: 'PC1', location_id: random.pick(offices) };
    case 'PC1':
      return { code: 'ET1' };
    case 'ET1': case 'ET2': case 'ET3': case 'ET4': case 'DO1': case 'DO2':
      if (random.chance(0.1)) return { code: 'PB1' };
      return random.chance(0.3) ? { code: 'ET1' } : { code: 'EP1', location_id: p.site ?? random.pick(offices) };
    case 'PB1':
      return { code: 'PB2' };
    case 'EP1':
      return { code: 'MD2' };
    case 'MD2':
      return random.chance(0.75) ? { code: 'DI1' } : { code: 'ND1' };
    case 'ND1':
      return { code: 'AG1', location_id: p.site ?? random.pick(offices), shelf: shelf() };
    case 'AG1':
      // Collected: at an office's counter (DI2, at that office), or from a locker or a shop (delivered).
      return p.waiting?.type === 'post_office' ? { code: 'DI2', location_id: p.waiting.id } : { code: 'DI1', location_id: p.waiting?.id };
    default:
      return null;
  }
}

/** The latest events sent once, to send again now and then. */
const sent: CarrierEvent[] = [];
const KEEP_SENT = 1000;
let serial = 0;
const eventId = () => `sim:${Date.now().toString(36)}:${(serial++).toString(36)}`;
const totals = { sent: 0, requests: 0, accepted: 0, duplicate: 0, rejected: 0, resent: 0, late: 0 };

/** One tick's events, each with the line that says what it is. */
function tick(size: number, now: number): { events: CarrierEvent[]; fresh: CarrierEvent[]; lines: string[] } {
  const events: CarrierEvent[] = [];
  const fresh: CarrierEvent[] = [];
  const lines: string[] = [];
  const movedThisTick = new Set<string>();
  for (let tries = 0; events.length < size && tries < size * 20; tries++) {
    const roll = random.next();
    if (roll < DUPLICATE_SHARE && sent.length > 0) {
      const again = random.pick(sent);
      events.push(again);
      lines.push(`  ${again.tracking_number}  ${again.code} again (duplicate of ${again.event_id})`);
      totals.resent++;
      continue;
    }
    const p = random.pick(parcels);
    if (movedThisTick.has(p.number)) continue;
    if (roll < DUPLICATE_SHARE + LATE_SHARE) {
      // A sorting scan that reaches us after later news: stored, and the status does not move back.
      if (p.step < 3) continue;
      const at = p.lastEventAt - (1 + random.int(6)) * 3_600_000;
      const late: CarrierEvent = { event_id: eventId(), tracking_number: p.number, code: 'ET1', occurred_at: new Date(at).toISOString() };
      events.push(late);
      fresh.push(late);
      lines.push(`  ${p.number}  ET1 late (out of order: ${Math.round((p.lastEventAt - at) / 3_600_000)} h before its last event)`);
      movedThisTick.add(p.number);
      totals.late++;
      continue;
    }
    const next = nextStep(p);
    if (!next) continue;
    const at = Math.max(now - random.int(30_000), p.lastEventAt + 1000);
    const event: CarrierEvent = { event_id: eventId(), tracking_number: p.number, occurred_at: new Date(at).toISOString(), ...next };
    events.push(event);
    fresh.push(event);
    lines.push(`  ${p.number}  ${p.lastCode} → ${next.code}  ${EVENT_CODES[next.code as EventCode]?.label ?? ''}${next.location_id ? ` (${next.location_id})` : ''}`);
    movedThisTick.add(p.number);
    p.step = Math.max(p.step, stepOf(next.code));
    p.lastCode = next.code;
    p.lastEventAt = at;
    // An avisé parcel waits at its distribution office (or another office): see nextStep.
    if (next.code === 'AG1') p.waiting = { id: next.location_id!, type: 'post_office' };
    if (next.code === 'DI1' || next.code === 'DI2') parcels = parcels.filter((x) => x !== p);
  }
  return { events, fresh, lines };
}

let stopping = false;
process.on('SIGINT', () => {
  if (stopping) process.exit(130);
  stopping = true;
  console.log('\nstopping after this tick (Ctrl-C again to quit now)');
});

let exitCode = 0;
while (!stopping && totals.sent < count && parcels.length > 0) {
  const started = Date.now();
  const { events, fresh, lines } = tick(Math.min(rate, count - totals.sent), started);
  if (events.length === 0) break;
  const body = JSON.stringify({ events });
  let response: Response;
  try {
    response = await fetch(`${base}/api/v1/parcels/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'guichet-signature': await signatureHeader(DEMO_CARRIER.id, secret, body, new Date()) },
      body,
    });
  } catch (error) {
    console.error(`${base} does not answer (${(error as Error).message}): is \`npm start\` running?`);
    exitCode = 1;
    break;
  }
  const text = await response.text();
  if (response.status !== 200) {
    console.error(`the server refused the request: ${response.status} ${text.slice(0, 500)}`);
    exitCode = 1;
    break;
  }
  const answer = JSON.parse(text) as { accepted: number; duplicate: number; rejected: number; results: { index: number; outcome: string; reasons?: string[] }[] };
  for (const line of lines) console.log(line);
  for (const r of answer.results) if (r.outcome === 'rejected') console.log(`  rejected: ${events[r.index]?.event_id}: ${r.reasons?.join('; ')}`);
  console.log(`→ ${events.length} sent: accepted ${answer.accepted}, duplicate ${answer.duplicate}, rejected ${answer.rejected}`);
  sent.push(...fresh);
  sent.splice(0, Math.max(0, sent.length - KEEP_SENT));
  totals.sent += events.length;
  totals.requests++;
  totals.accepted += answer.accepted;
  totals.duplicate += answer.duplicate;
  totals.rejected += answer.rejected;
  if (totals.sent < count && !stopping) await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - started))));
}
console.log(`total: ${totals.sent} events in ${totals.requests} requests (${totals.resent} sent again, ${totals.late} late): accepted ${totals.accepted}, duplicate ${totals.duplicate}, rejected ${totals.rejected}`);
process.exit(exitCode);
