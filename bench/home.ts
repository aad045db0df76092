/**
 * `npm run bench:home [-- --requests 300 --warmup 30 --state DIR --port P --dist DIR --favourites 3 --out FILE]`
 *
 * The signed-in home against the signed-out one (issue 9: at most 1.5
 * times its median), side by side in one run, on the built Worker served by
 * `wrangler dev` on the demo network, as bench:mix serves it (its helpers).
 *
 * A new customer signs in the real way (address, then the code read from
 * the outbox with `npm run outbox`) and adds a few offices that publish
 * hours through the confirmation page. Then, one client, one request at a
 * time, interleaved (ABBA, so that drift hits both alike):
 *   signed out: `/` with a harmless cookie (`x=1`), so that it is rendered
 *               like the signed-in one and not answered by the edge cache;
 *   signed in:  `/` with the session cookie.
 * Prints medians, p90 and the ratio of medians; writes bench/results/home.json.
 * Exits 0 when the measurement ran, whatever the figures.
 */
import { and, asc, eq, isNotNull } from 'drizzle-orm';
import { locationHours, locations } from '../db/schema';
import { openDatabase } from '../scripts/local-db';
import { newPool, send } from './mix/client';
import { runRecord, runServerBench, serverBenchOptions, writeResults } from './mix/harness';
import { run } from './mix/server';
import { percentile, round } from './mix/stats';

const USAGE = 'usage: npm run bench:home -- [--requests 300] [--warmup 30] [--favourites 3] [--state DIR] [--port P] [--dist DIR] [--out FILE]';
/** The bound on the ratio of medians. */
const BOUND = 1.5;
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const opts = serverBenchOptions(USAGE, 'bench/results/home.json', {
  requests: { default: 300, min: 10, max: 100_000 },
  warmup: { default: 30, min: 0, max: 10_000 },
  favourites: { default: 3, min: 1, max: 10 },
});

/** The first `count` active post offices of Paris's zone that publish hours, by id (read before the server opens the state). */
async function officesWithHours(state: string, count: number): Promise<Array<{ id: string; name: string }>> {
  const { db, close } = await openDatabase({ persistTo: state });
  try {
    const offices = await db.select({ id: locations.id, name: locations.name }).from(locations)
      .innerJoin(locationHours, eq(locationHours.locationId, locations.id))
      .where(and(eq(locations.type, 'post_office'), eq(locations.status, 'active'), eq(locations.timeZone, 'Europe/Paris'), isNotNull(locationHours.weekly)))
      .orderBy(asc(locations.id)).limit(count);
    if (offices.length < count) throw new Error(`only ${offices.length} post office(s) with hours in ${state}`);
    return offices;
  } finally {
    await close();
  }
}

const cookiePair = (response: Response, name: string) => response.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith(`${name}=`));

/**
 * Signs a new customer in as a person does (address, then the code read
 * from the outbox with `npm run outbox`), then adds `offices` as favourites
 * through the confirmation page. Answers the session cookie pair.
 */
async function signInWithFavourites(base: string, state: string, offices: Array<{ id: string }>): Promise<string> {
  const email = `bench-home-${Date.now()}@example.test`;
  const post = (path: string, fields: Record<string, string>, cookie?: string) =>
    fetch(`${base}${path}`, { method: 'POST', body: new URLSearchParams(fields), headers: { origin: base, ...(cookie ? { cookie } : {}) }, redirect: 'manual' });
  const asked = await post('/connexion', { email });
  const attempt = cookiePair(asked, '__Host-guichet-attempt');
  if (asked.status !== 303 || !attempt) throw new Error(`/connexion answered ${asked.status} without an attempt cookie: ${(await asked.text()).slice(0, 300)}`);
  let code: string | undefined;
  for (let tries = 0; !code && tries < 60; tries++) {
    const out = await run(NPM, ['run', '--silent', 'outbox', '--', '--to', email, '--persist-to', state], { env: { WRANGLER_SEND_METRICS: 'false', CI: 'true' }, timeoutMs: 60_000 });
    code = /\b(\d{6})\b/.exec(out.split('\n').find((line) => line.startsWith('{')) ?? '')?.[1];
    if (!code) await new Promise((r) => setTimeout(r, 500));
  }
  if (!code) throw new Error(`no sign-in code reached the outbox for ${email}`);
  const signedIn = await post('/connexion/code', { code }, attempt);
  const session = cookiePair(signedIn, '__Host-guichet-session');
  if (signedIn.status !== 303 || !session) throw new Error(`/connexion/code answered ${signedIn.status} without a session cookie`);
  for (const office of offices) {
    const form = await fetch(`${base}/compte/favoris?ajouter=${office.id}`, { headers: { cookie: session } });
    const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())?.[1];
    if (!csrf) throw new Error(`/compte/favoris?ajouter=${office.id} answered ${form.status} without a form`);
    const added = await post('/compte/favoris', { csrf, ajouter: office.id }, session);
    if (added.status !== 303) throw new Error(`adding ${office.id} answered ${added.status}`);
  }
  return session;
}

function figures(ms: number[]) {
  const sorted = [...ms].sort((a, b) => a - b);
  return { count: sorted.length, p50_ms: round(percentile(sorted, 50), 2), p90_ms: round(percentile(sorted, 90), 2), min_ms: round(sorted[0], 2), max_ms: round(sorted.at(-1), 2) };
}

await runServerBench('home', opts, async ({ state, built, log, start }) => {
  const offices = await officesWithHours(state, opts.favourites);
  const server = await start();
  // A browser posts the site's forms with its Origin, SITE_ORIGIN (localhost): Astro refuses any other.
  const cookie = await signInWithFavourites(`http://localhost:${new URL(server.base).port}`, state, offices);
  log(`signed in (code from the outbox), ${offices.length} favourite(s) added, the first ${offices[0]!.name}`);
  const pool = newPool(server.base, 1);

  const kinds = {
    'signed out': { path: '/', headers: { cookie: 'x=1' } },
    'signed in': { path: '/', headers: { cookie } },
  } as const;
  type Kind = keyof typeof kinds;
  const call = async (kind: Kind, keepBody = false) => {
    const answer = await send(pool, kind, { ...kinds[kind], keepBody });
    if (answer.status !== 200) throw new Error(`${kind} / answered ${answer.status}`);
    return answer;
  };

  // What each version is: the signed-in one shows the office, the other does not; neither comes from the edge.
  const signedIn = await call('signed in', true);
  const signedOut = await call('signed out', true);
  if (!signedIn.text?.includes('Mon bureau') || signedOut.text?.includes('Mon bureau')) throw new Error('the two versions of / are not what this bench measures');
  for (const answer of [signedIn, signedOut]) {
    if (answer.sample.timing.edge !== 'bypass') throw new Error(`/ was not rendered (edge ${answer.sample.timing.edge})`);
  }

  log(`warm-up: ${opts.warmup} of each`);
  for (let i = 0; i < opts.warmup; i++) {
    await call('signed out');
    await call('signed in');
  }
  log(`measure: ${opts.requests} of each, interleaved`);
  const samples: Record<Kind, number[]> = { 'signed out': [], 'signed in': [] };
  for (let i = 0; i < opts.requests; i++) {
    const order: Kind[] = i % 2 === 0 ? ['signed out', 'signed in'] : ['signed in', 'signed out'];
    for (const kind of order) samples[kind].push((await call(kind)).sample.ms);
  }
  await pool.close();

  const out = figures(samples['signed out']);
  const inside = figures(samples['signed in']);
  const ratio = out.p50_ms && inside.p50_ms ? Number((inside.p50_ms / out.p50_ms).toFixed(2)) : null;
  const result = {
    ...runRecord('home', built),
    run: {
      requests_each: opts.requests, warmup_each: opts.warmup, favourites: opts.favourites, order: 'interleaved ABBA, one request at a time',
      signed_out: 'GET / with Cookie: x=1 (rendered, not from the edge)',
      signed_in: 'GET / with the session of a customer signed in by emailed code (read from the outbox), favourites added through /compte/favoris',
      server: 'wrangler dev (local workerd + D1/SQLite), same machine', latency: 'send → last body byte',
    },
    signed_out: out,
    signed_in: inside,
    ratio_of_medians: ratio,
    bound: BOUND,
    within_bound: ratio !== null && ratio <= BOUND,
  };
  writeResults(opts.out, result);
  console.log(`\n## bench:home — ${opts.requests} requests each, interleaved, ${opts.favourites} favourite(s)\n`);
  console.log('| `/` | median | p90 | min | max |');
  console.log('|---|---|---|---|---|');
  console.log(`| signed out (rendered) | ${out.p50_ms} ms | ${out.p90_ms} ms | ${out.min_ms} ms | ${out.max_ms} ms |`);
  console.log(`| signed in | ${inside.p50_ms} ms | ${inside.p90_ms} ms | ${inside.min_ms} ms | ${inside.max_ms} ms |`);
  console.log(`\nRatio of medians, signed in / signed out: ${ratio} (bound ${BOUND}: ${result.within_bound ? 'PASS' : 'FAIL'})\n`);
  log(`written ${opts.out}`);
});
