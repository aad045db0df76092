/**
 * Issuing and revoking access as an operator does (`npm run staff:token`,
 * `staff:revoke`, `partner:create`, `partner:revoke`), into a fresh local D1.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../scripts/local-db';

const BIN = join(process.cwd(), 'node_modules', '.bin');
const state = mkdtempSync(join(tmpdir(), 'guichet-revoke-'));
const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' };

const run = (script: string, args: string[]) =>
  spawnSync(join(BIN, 'tsx'), [`scripts/${script}.ts`, ...args, '--persist-to', state], { env, encoding: 'utf8' });

async function row(sql: string, ...params: string[]) {
  const { db, close } = await openDatabase({ persistTo: state });
  try {
    return await db.$client.prepare(sql).bind(...params).first<Record<string, string | null>>();
  } finally {
    await close();
  }
}

beforeAll(() => {
  const migrate = spawnSync(join(BIN, 'wrangler'), ['d1', 'migrations', 'apply', 'guichet', '--local', '--persist-to', state], { env, encoding: 'utf8' });
  if (migrate.status !== 0) throw new Error(`migrations failed:\n${migrate.stdout}\n${migrate.stderr}`);
}, 120_000);
afterAll(() => rmSync(state, { recursive: true, force: true }));

describe('staff tokens', () => {
  it('refuse a bad --expires with a clear message, not a crash, and create nothing', async () => {
    for (const expires of ['2026-02-30', 'demain', '2001-01-01']) {
      const result = run('staff-token', ['--name', 'Mauvaise date', '--role', 'exceptions', '--scope', 'network', '--expires', expires]);
      expect(result.status, expires).toBe(2);
      expect(result.stderr, expires).toMatch(/--expires/);
      expect(result.stderr, expires).not.toMatch(/RangeError|\n\s+at /);
      expect(result.stdout, expires).not.toMatch(/gst_/);
    }
    const good = run('staff-token', ['--name', 'Bonne date', '--role', 'exceptions', '--scope', 'network', '--expires', '2099-12-31']);
    expect(good.status).toBe(0);
    expect(await row("select count(*) as bad, (select expires_at from staff_tokens where name = 'Bonne date') as good from staff_tokens where name = 'Mauvaise date'"))
      .toEqual({ bad: 0, good: '2099-12-31T00:00:00.000Z' });
  }, 300_000);

  it('are revoked by id, or by secret, once; an unknown one is an error', async () => {
    const created = run('staff-token', ['--name', 'Bureau test', '--role', 'hours', '--scope', 'department:78']);
    expect(created.status).toBe(0);
    const id = /token (stf_[\w-]+) created/.exec(created.stdout)![1];

    const revoked = run('staff-revoke', ['--id', id]);
    expect(revoked.status, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(`token ${id} ("Bureau test") revoked`);
    const again = run('staff-revoke', ['--id', id]);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('already revoked');

    const leaked = run('staff-token', ['--name', 'Jeton divulgué', '--role', 'exceptions', '--scope', 'network']);
    const secret = /(gst_[\w-]+)/.exec(leaked.stdout)![1];
    expect(run('staff-revoke', ['--token', secret]).status).toBe(0);
    const revokedAt = await row("select (select revoked_at from staff_tokens where id = ?) as byId, (select revoked_at from staff_tokens where name = 'Jeton divulgué') as bySecret", id);
    expect(revokedAt).toEqual({ byId: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/), bySecret: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) });

    const unknown = run('staff-revoke', ['--id', 'stf_nobody']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('no staff token stf_nobody');
    expect(run('staff-revoke', []).status).toBe(2);
  }, 300_000);
});

describe('partners', () => {
  it('are revoked, both keys at once, by key or by id', async () => {
    const created = run('partner-create', ['--name', 'Boutique', '--origin', 'https://shop.example']);
    expect(created.status, created.stderr).toBe(0);
    const id = /partner (ptn_[\w-]+) created/.exec(created.stdout)![1];
    const publishable = /(pk_[\w-]+)/.exec(created.stdout)![1];

    const revoked = run('partner-revoke', ['--key', publishable]);
    expect(revoked.status, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(`partner ${id} ("Boutique") revoked`);
    expect(run('partner-revoke', ['--id', id]).stdout).toContain('already revoked');
    expect((await row('select revoked_at from partners where id = ?', id))?.revoked_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);

    expect(run('partner-revoke', ['--id', 'ptn_nobody']).status).toBe(1);
    expect(run('partner-revoke', ['--key', 'not-a-key']).status).toBe(2);
  }, 300_000);
});
