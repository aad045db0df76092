/**
 * `npm run parcels:simulate` as a developer runs it beside `npm start`: the
 * built Worker served by `wrangler dev` on a local D1 holding the demo
 * network and parcels (the page tests' server). The simulator signs its
 * requests as the demo carrier; the server's counts must match what it
 * says it sent, and the parcels it moved must have moved, in the database
 * and through the API, while late scans move nothing back.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../scripts/local-db';
import { DEMO_STAGES, demoTrackingNumbers } from '../../tools/demo/parcels';
import { type PageServer, startPageServer } from '../pages/server';

const BIN = join(process.cwd(), 'node_modules', '.bin');
/** La Poste's step each code shows (1 to 5; 0: none), written out from the codes' meaning. */
const STEP: Record<string, number> = { DR1: 0, PC1: 1, ET1: 2, PB1: 0, PB2: 0, EP1: 3, ND1: 3, MD2: 4, AG1: 4, DI1: 5, DI2: 5 };

let server: PageServer;
beforeAll(async () => {
  server = await startPageServer();
}, 300_000);
afterAll(async () => {
  await server?.stop();
});

interface ParcelRow {
  tracking_number: string;
  step: number;
  last_code: string;
  event_count: number;
}

async function parcelRows(): Promise<Map<string, ParcelRow>> {
  const { db, close } = await openDatabase({ persistTo: server.statePath });
  try {
    const { results } = await db.$client.prepare('select tracking_number, step, last_code, event_count from parcels').all<ParcelRow>();
    return new Map(results.map((r) => [r.tracking_number, r]));
  } finally {
    await close();
  }
}

describe('npm run parcels:simulate', () => {
  it('sends signed events the server counts as it says, moving parcels on and never back', async () => {
    const before = await parcelRows();
    const run = spawnSync(join(BIN, 'tsx'), ['scripts/parcels-simulate.ts', '--url', server.baseUrl, '--persist-to', server.statePath, '--count', '60', '--rate', '20', '--seed', '11'], {
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' }, encoding: 'utf8', timeout: 120_000,
    });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    const lines = run.stdout.split('\n');

    // Each request: the lines of what was sent, then the server's counts.
    let block: string[] = [];
    let requests = 0;
    const totals = { sent: 0, again: 0, accepted: 0, duplicate: 0 };
    for (const line of lines) {
      const answer = /^→ (\d+) sent: accepted (\d+), duplicate (\d+), rejected (\d+)$/.exec(line);
      if (!answer) {
        if (line.startsWith('  ')) block.push(line);
        continue;
      }
      const [sent, accepted, duplicate, rejected] = answer.slice(1).map(Number) as [number, number, number, number];
      const again = block.filter((l) => / again \(duplicate of /.test(l)).length;
      expect(block).toHaveLength(sent);
      expect({ duplicate, accepted, rejected }).toEqual({ duplicate: again, accepted: sent - again, rejected: 0 });
      totals.sent += sent;
      totals.again += again;
      totals.accepted += accepted;
      totals.duplicate += duplicate;
      requests++;
      block = [];
    }
    expect(requests).toBe(3);
    expect(totals.sent).toBe(60);
    expect(run.stdout).toContain(`total: 60 events in 3 requests (${totals.again} sent again,`);
    expect(run.stdout).toContain(`accepted ${totals.accepted}, duplicate ${totals.duplicate}, rejected 0`);

    // Moves: the first state it read, the last it sent.
    const moves = new Map<string, { from: string; to: string; steps: number }>();
    const late = new Set<string>();
    for (const line of lines) {
      const move = /^ {2}(\w{13}) {2}(\w+) → (\w+) /.exec(line);
      if (move) {
        const [, number, from, to] = move as unknown as [string, string, string, string];
        const known = moves.get(number);
        moves.set(number, { from: known?.from ?? from, to, steps: (known?.steps ?? 0) + 1 });
      }
      const scan = /^ {2}(\w{13}) {2}ET1 late \(out of order/.exec(line);
      if (scan) late.add(scan[1]!);
    }
    expect(moves.size).toBeGreaterThan(20);
    expect(late.size).toBeGreaterThan(0);
    const showcase = demoTrackingNumbers(DEMO_STAGES.length);
    for (const number of showcase) expect(run.stdout).not.toContain(number);

    const after = await parcelRows();
    for (const [number, move] of moves) {
      const was = before.get(number)!;
      expect(was.last_code, number).toBe(move.from);
      expect(after.get(number)!.last_code, number).toBe(move.to);
      expect(after.get(number)!.step, number).toBe(Math.max(was.step, STEP[move.to]!));
    }
    for (const number of late) {
      if (moves.has(number)) continue;
      const was = before.get(number)!;
      // One more event, stored; the status it shows stays where it was.
      expect(after.get(number), number).toEqual({ ...was, event_count: was.event_count + 1 });
    }

    // The API reads the same.
    const [number, move] = [...moves].find(([, m]) => m.to === 'DI1' || m.to === 'DI2') ?? [...moves][0]!;
    const response = await fetch(`${server.baseUrl}/api/v1/parcels/${number}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { step: { number: number }; delivered: boolean; events: { code: string }[] };
    expect(body.step.number).toBe(after.get(number)!.step);
    expect(body.events.at(-1)?.code).toBe(move.to);
    expect(body.delivered).toBe(STEP[move.to] === 5);
  }, 240_000);
});
