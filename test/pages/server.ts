/**
 * Global setup of the page tests: the real built Worker (`dist/`, from
 * `npm run build`) served by `wrangler dev` on a fresh local D1 that holds a
 * slice of the demo network, loaded through the importer's own code, and
 * the demo parcels over it, fed through the ingestion use case.
 * `npm run weigh` (scripts/weigh.ts) serves the same thing with
 * `startPageServer`.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../scripts/local-db';
import { DEMO_SEED, generateDemoNetwork } from '../../tools/demo/network';
import { planImport } from '../../tools/imports/plan';
import { applyImportPlan, loadExisting } from '../../tools/imports/store';
import { mapOpenDataRecord } from '../../tools/imports/open-data';
import { demoSchedule } from '../../tools/demo/hours';
import { seedSchedules } from '../../worker/hours/store';
import { localParts } from '../../worker/hours/zoned-time';
import { createStaffToken } from '../../worker/staff/tokens';
import { ensureDemoPartner } from '../../worker/partners/demo';
import { createPartner } from '../../worker/partners/keys';
import { DEMO_CARRIER, seedDemoParcels } from '../../tools/demo/parcels';
import { activeCarrier, carrierKey, carrierSecret } from '../../worker/parcels/carriers';
import { office, OPEN_DATA_ROWS, PAGE_TEST_NETWORK_SIZE, PARCEL_NETWORK } from './fixtures';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
    /** An `exceptions` token scoped to the fixture office (fixtures.ts). */
    staffToken: string;
    /** Publishable key of a partner whose site is http://localhost:45678 (served by Playwright routes). */
    partnerKey: string;
    /** A `counter` token scoped to the fixture office. */
    counterToken: string;
    /** The served local D1 (`--persist-to`): `npm run outbox -- --persist-to` reads it. */
    statePath: string;
    /** The demo carrier, whose parcels (fixtures.ts `parcels`) are seeded: sign more events with `signatureHeader(id, secret, body)`. */
    carrier: { id: string; secret: string };
  }
}

const BIN = join(process.cwd(), 'node_modules', '.bin');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function waitUntilUp(url: string, child: ChildProcess, log: () => string) {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited early:\n${log()}`);
    try {
      const response = await fetch(url);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`wrangler dev did not answer on ${url}:\n${log()}`);
}

export interface PageServer {
  baseUrl: string;
  staffToken: string;
  partnerKey: string;
  counterToken: string;
  statePath: string;
  /** The demo carrier and its signing secret. */
  carrier: { id: string; secret: string };
  /** Stops wrangler dev and removes the temporary database. */
  stop(): Promise<void>;
}

export default async function setup(project: TestProject) {
  const server = await startPageServer();
  project.provide('baseUrl', server.baseUrl);
  project.provide('staffToken', server.staffToken);
  project.provide('partnerKey', server.partnerKey);
  project.provide('counterToken', server.counterToken);
  project.provide('statePath', server.statePath);
  project.provide('carrier', server.carrier);
  return server.stop;
}

export async function startPageServer(): Promise<PageServer> {
  if (!existsSync('dist/server/wrangler.json')) {
    throw new Error('dist/ is missing: page tests run against the built Worker, run `npm run build` first (npm test does).');
  }
  const state = mkdtempSync(join(tmpdir(), 'guichet-pages-'));
  const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' };
  const migrate = spawnSync(join(BIN, 'wrangler'), ['d1', 'migrations', 'apply', 'guichet', '--local', '--persist-to', state], {
    env, encoding: 'utf8',
  });
  if (migrate.status !== 0) throw new Error(`migrations failed:\n${migrate.stdout}\n${migrate.stderr}`);

  const network = generateDemoNetwork(DEMO_SEED, PAGE_TEST_NETWORK_SIZE);
  let staffToken = '';
  let partnerKey = '';
  let counterToken = '';
  let carrier = { id: '', secret: '' };
  const { db, close } = await openDatabase({ persistTo: state });
  try {
    await applyImportPlan(db, planImport(await loadExisting(db), network, 'demo'), '2026-11-01T08:00:00Z');
    // The last location leaves the network: its page must say so.
    await applyImportPlan(db, planImport(await loadExisting(db), network.slice(0, -1), 'demo'), '2026-11-10T08:00:00Z');
    const openData = OPEN_DATA_ROWS.map((line) => mapOpenDataRecord(line.split(';'))).flatMap((r) => (r.ok ? [r.location] : []));
    await applyImportPlan(db, planImport(await loadExisting(db), openData, 'open_data'), '2026-11-10T08:00:00Z');
    const now = new Date();
    await seedSchedules(
      db,
      network.map((l) => ({ locationId: l.id, ...demoSchedule(l, localParts(now, l.timeZone).date) })),
      now.toISOString(),
    );
    await ensureDemoPartner(db, now.toISOString());
    partnerKey = (await createPartner(db, { name: 'Boutique test', allowedOrigins: ['http://localhost:45678'], now: now.toISOString() })).publishableKey;
    const { token } = await createStaffToken(db, {
      name: 'Responsable du bureau (test)', role: 'exceptions', scopeType: 'office', scopeValue: office.id, now: now.toISOString(),
    });
    staffToken = token;
    counterToken = (await createStaffToken(db, {
      name: 'Guichetier du bureau (test)', role: 'counter', scopeType: 'office', scopeValue: office.id, now: now.toISOString(),
    })).token;
    // The same demo parcels as `npm start`, over this slice's active locations (fixtures.ts names them by stage).
    const parcels = await seedDemoParcels(db, PARCEL_NETWORK, now);
    if (parcels.rejected > 0) throw new Error(`demo parcels: ${parcels.rejected} events rejected: ${parcels.rejections.join(' | ')}`);
    const demoCarrier = (await activeCarrier(db, DEMO_CARRIER.id))!;
    carrier = { id: demoCarrier.id, secret: await carrierSecret(await carrierKey(db, undefined), demoCarrier) };
  } finally {
    await close();
  }

  const port = await freePort();
  // `localhost`, not 127.0.0.1: WebAuthn refuses an IP address as its relying party id.
  const baseUrl = `http://localhost:${port}`;
  let output = '';
  const child = spawn(
    join(BIN, 'wrangler'),
    // Absolute URLs come from SITE_ORIGIN only (never the Host header): give it the served origin.
    ['dev', '-c', 'dist/server/wrangler.json', '--persist-to', state, '--port', String(port), '--ip', '127.0.0.1', '--var', `SITE_ORIGIN:${baseUrl}`,
      // Every page test signs in from 127.0.0.1: more than the 30 codes an hour one client may ask for.
      '--var', 'SIGN_IN_CODES_PER_CLIENT_PER_HOUR:1000'],
    { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  await waitUntilUp(`${baseUrl}/robots.txt`, child, () => output);

  const stop = async () => {
    if (child.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    rmSync(state, { recursive: true, force: true });
  };
  return { baseUrl, staffToken, partnerKey, counterToken, statePath: state, carrier, stop };
}
