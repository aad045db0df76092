/**
 * The first start, as a new user runs it: `npm run db:migrate` then
 * `npm run db:seed` (what `npm start` runs before serving), at full demo
 * size, into a temporary state directory. Then the same, stopped half-way
 * twice (during the locations, then during the hours), and finished by the
 * next run: never a fragment that later starts skip. The demo catalogue
 * and the offices' stock come next (completed when a start finds them
 * partial), the demo parcels last, and a second start adds none.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../scripts/local-db';
import { demoSchedule } from '../../tools/demo/hours';
import { DEMO_SEED, DEMO_SIZE, generateDemoNetwork } from '../../tools/demo/network';
import { demoCatalogue, demoStock } from '../../tools/demo/catalogue';
import { DEMO_CARRIER, DEMO_PARCEL_COUNT, demoParcels } from '../../tools/demo/parcels';
import { localParts } from '../../worker/hours/zoned-time';

const states: string[] = [];
afterAll(() => {
  for (const state of states) rmSync(state, { recursive: true, force: true });
});

function freshState(): NodeJS.ProcessEnv {
  const state = mkdtempSync(join(tmpdir(), 'guichet-first-start-'));
  states.push(state);
  return { ...process.env, GUICHET_STATE: state, WRANGLER_SEND_METRICS: 'false', CI: 'true' };
}

function npm(script: string, env: NodeJS.ProcessEnv) {
  const result = spawnSync('npm', ['run', '--silent', script], { env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`npm run ${script} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** Starts `npm run db:seed` and kills its whole process group as soon as `stopAt` appears in its output. */
function seedKilledAt(stopAt: RegExp, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn('npm', ['run', '--silent', 'db:seed'], { env, detached: true });
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (stopAt.test(output)) {
        child.stdout?.off('data', onData);
        process.kill(-child.pid!, 'SIGKILL');
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(output);
      else reject(new Error(`the seed ended (code ${code}) before reaching ${stopAt}:\n${output}`));
    });
  });
}

interface Counts {
  locations: number;
  hours: number;
  exceptions: number;
  communes: number;
}

async function counts(env: NodeJS.ProcessEnv): Promise<Counts> {
  const { db, close } = await openDatabase({ persistTo: env.GUICHET_STATE });
  try {
    const row = await db.$client
      .prepare(
        `select (select count(*) from locations) as locations, (select count(*) from location_hours) as hours,
                (select count(*) from hours_exceptions) as exceptions, (select count(*) from communes) as communes`,
      )
      .first<Counts>();
    return row!;
  } finally {
    await close();
  }
}

async function parcelCounts(env: NodeJS.ProcessEnv): Promise<{ parcels: number; events: number }> {
  const { db, close } = await openDatabase({ persistTo: env.GUICHET_STATE });
  try {
    return (await db.$client
      .prepare('select (select count(*) from parcels) as parcels, (select count(*) from parcel_events where carrier_id = ?) as events')
      .bind(DEMO_CARRIER.id).first<{ parcels: number; events: number }>())!;
  } finally {
    await close();
  }
}

interface CatalogueCounts {
  products: number;
  stock: number;
  units: number;
  sheets: number;
  feed: number;
  /** Feed rows whose sellable quantity is not the count less the default safety unit. */
  feedWrong: number;
}

async function catalogueCounts(env: NodeJS.ProcessEnv): Promise<CatalogueCounts> {
  const { db, close } = await openDatabase({ persistTo: env.GUICHET_STATE });
  try {
    return (await db.$client.prepare(
      `select (select count(*) from products) as products, (select count(*) from location_stock) as stock,
              (select coalesce(sum(quantity), 0) from location_stock) as units,
              (select count(*) from stock_sheets) as sheets, (select count(*) from inventory_feed) as feed,
              (select count(*) from inventory_feed f join location_stock s using (location_id, sku) where f.quantity <> max(0, s.quantity - 1)) as feedWrong`,
    ).first<CatalogueCounts>())!;
  } finally {
    await close();
  }
}

/** What the demo catalogue and stock hold, counted from the generators. */
function expectedCatalogue(): CatalogueCounts {
  const network = generateDemoNetwork(DEMO_SEED, DEMO_SIZE);
  const stock = demoStock(network, demoCatalogue(), new Date());
  return {
    products: demoCatalogue().length, stock: stock.length, units: stock.reduce((n, r) => n + r.quantity, 0),
    sheets: new Set(stock.map((r) => r.locationId)).size, feed: stock.length, feedWrong: 0,
  };
}

async function damageCatalogue(env: NodeJS.ProcessEnv) {
  const { db, close } = await openDatabase({ persistTo: env.GUICHET_STATE });
  try {
    // What a seed stopped during the stock leaves: part of the rows, no marker.
    await db.$client.batch([
      db.$client.prepare(`delete from location_stock where rowid % 3 = 0`),
      db.$client.prepare(`delete from settings where name = 'demo_catalogue'`),
    ]);
  } finally {
    await close();
  }
}

/** What a complete demo network holds, counted from the generator, not from the database code. */
function expectedCounts(today: Date): Counts {
  const network = generateDemoNetwork(DEMO_SEED, DEMO_SIZE);
  const exceptions = network.reduce((n, l) => n + demoSchedule(l, localParts(today, l.timeZone).date).exceptions.length, 0);
  return { locations: network.length, hours: network.length, exceptions, communes: new Set(network.map((l) => l.inseeCode)).size };
}

describe('first start at full demo size', () => {
  it('loads the whole demo network with its hours and communes, then skips it on the next start', async () => {
    const env = freshState();
    npm('db:migrate', env);
    const started = new Date();
    const output = npm('db:seed', env);
    expect(output).toMatch(/demo network loaded: 30001 locations/);

    const found = await counts(env);
    // The README promises 30,001 locations; the rest is counted from the generator.
    expect(found.locations).toBe(30_001);
    const expected = [expectedCounts(started), expectedCounts(new Date())];
    expect(expected).toContainEqual(found);

    // Then the catalogue and the offices' stock, with the local inventory feed derived from it.
    expect(output).toMatch(/demo catalogue: \d+ products, \d+ stock counts in offices/);
    const catalogue = expectedCatalogue();
    expect(catalogue.products).toBeGreaterThanOrEqual(180);
    expect(await catalogueCounts(env)).toEqual(catalogue);

    // Then the demo parcels, through the ingestion: every event stored once, and a second start adds none.
    const events = demoParcels(generateDemoNetwork(DEMO_SEED, DEMO_SIZE), started).reduce((n, p) => n + p.events.length, 0);
    expect(output).toContain(`demo parcels: ${DEMO_PARCEL_COUNT} parcels, ${events} events (try /suivi/`);
    expect(output).toContain(`demo parcels: ${events} new, 0 already there, 0 rejected`);
    expect(await parcelCounts(env)).toEqual({ parcels: DEMO_PARCEL_COUNT, events });

    const again = npm('db:seed', env);
    expect(again).toMatch(/demo network already loaded \(30001 locations\)/);
    expect(again).toContain(`demo parcels: 0 new, ${events} already there, 0 rejected`);
    expect(again).toMatch(/demo catalogue already loaded/);
    expect(await parcelCounts(env)).toEqual({ parcels: DEMO_PARCEL_COUNT, events });

    // A catalogue seed stopped half-way is completed by the next start.
    await damageCatalogue(env);
    expect((await catalogueCounts(env)).stock).toBeLessThan(catalogue.stock);
    const completed = npm('db:seed', env);
    expect(completed).toMatch(/demo catalogue: \d+ products/);
    expect(await catalogueCounts(env)).toEqual(catalogue);
  }, 400_000);

  it('completes a seed stopped during the locations, then during the hours', async () => {
    const env = freshState();
    npm('db:migrate', env);
    const started = new Date();

    await seedKilledAt(/demo network: (\d{4,})\/\d+ statements written/, env);
    const fragment = await counts(env);
    expect(fragment.locations).toBeGreaterThan(0);
    expect(fragment.locations).toBeLessThan(30_001);

    const second = await seedKilledAt(/opening hours: \d+\/\d+ locations written/, env);
    expect(second).toMatch(/completing an unfinished demo network/);
    const partHours = await counts(env);
    expect(partHours.locations).toBe(30_001);
    expect(partHours.hours).toBeGreaterThan(0);
    expect(partHours.hours).toBeLessThan(30_001);

    const third = npm('db:seed', env);
    expect(third).toMatch(/completing an unfinished demo network \(30001 locations so far\)/);
    expect(third).toMatch(/demo network loaded: 30001 locations \(0 new, 0 updated\)/);
    const found = await counts(env);
    expect([expectedCounts(started), expectedCounts(new Date())]).toContainEqual(found);
  }, 400_000);
});
