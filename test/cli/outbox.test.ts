/**
 * `npm run outbox -- --to ADDRESS` as a developer runs it, on a fresh local
 * D1 whose outbox was written by the outbox transport itself.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../scripts/local-db';
import { outboxTransport } from '../../worker/messages/transports';

const BIN = join(process.cwd(), 'node_modules', '.bin');
const state = mkdtempSync(join(tmpdir(), 'guichet-outbox-'));
const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' };
const outbox = (...args: string[]) => spawnSync(join(BIN, 'tsx'), ['scripts/outbox.ts', ...args, '--persist-to', state], { env, encoding: 'utf8' });

const sent = [
  { id: 'test:outbox:1', channel: 'email' as const, to: 'Camille@Exemple.fr', subject: 'Premier', text: 'Votre code : 111111.', urgent: true, at: '2026-11-24T08:00:00Z' },
  { id: 'test:outbox:2', channel: 'email' as const, to: 'autre@exemple.fr', subject: 'Autre', text: 'Pas pour Camille.', urgent: true, at: '2026-11-24T08:30:00Z' },
  { id: 'test:outbox:3', channel: 'email' as const, to: 'camille@exemple.fr', subject: 'Second', text: 'Votre code : 222222.', urgent: true, at: '2026-11-24T09:00:00Z' },
];

beforeAll(async () => {
  const migrate = spawnSync(join(BIN, 'wrangler'), ['d1', 'migrations', 'apply', 'guichet', '--local', '--persist-to', state], { env, encoding: 'utf8' });
  if (migrate.status !== 0) throw new Error(`migrations failed:\n${migrate.stdout}\n${migrate.stderr}`);
  const { db, close } = await openDatabase({ persistTo: state });
  try {
    for (const { at, ...message } of sent) await outboxTransport(db.$client).deliver(message, new Date(at));
  } finally {
    await close();
  }
}, 120_000);
afterAll(() => rmSync(state, { recursive: true, force: true }));

describe('npm run outbox', () => {
  it('prints what an address received, newest first, one JSON object per line', () => {
    const result = outbox('--to', 'CAMILLE@exemple.fr');
    expect(result.status, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(lines).toEqual([
      { to: 'camille@exemple.fr', channel: 'email', subject: 'Second', text: 'Votre code : 222222.', sent_at: '2026-11-24T09:00:00.000Z', id: 'test:outbox:3' },
      { to: 'camille@exemple.fr', channel: 'email', subject: 'Premier', text: 'Votre code : 111111.', sent_at: '2026-11-24T08:00:00.000Z', id: 'test:outbox:1' },
    ]);
  }, 60_000);

  it('says how to use it when the address is missing', () => {
    const result = outbox();
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--to ADDRESS');
  }, 60_000);
});
