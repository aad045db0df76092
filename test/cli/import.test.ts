/**
 * The importer as a user runs it (`npm run db:import -- <file>`), twice, on
 * the real open-data file, into a fresh local D1. Skipped, with a message,
 * where ../shared/data is absent (a user's fresh clone).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../scripts/local-db';

const REAL_FILE = fileURLToPath(new URL('../../../shared/data/laposte_poincont2.csv', import.meta.url));
const BIN = join(process.cwd(), 'node_modules', '.bin');
const state = mkdtempSync(join(tmpdir(), 'guichet-import-'));
const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' };

function run(command: string, args: string[]) {
  const result = spawnSync(join(BIN, command), args, { env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  return result;
}


afterAll(() => rmSync(state, { recursive: true, force: true }));

if (!existsSync(REAL_FILE)) console.info(`skipping the real import: ${REAL_FILE} is absent (see ../shared/data/README.md)`);

describe.runIf(existsSync(REAL_FILE))('npm run db:import on the real open-data file', () => {
  it('loads 17,194 locations, lists the 18 rejected rows, and changes nothing the second time', async () => {
    run('wrangler', ['d1', 'migrations', 'apply', 'guichet', '--local', '--persist-to', state]);

    const first = run('tsx', ['scripts/import.ts', REAL_FILE, '--persist-to', state]);
    const rejected = first.stdout.split('\n').filter((line) => line.startsWith('rejected line '));
    expect(rejected).toHaveLength(18);
    expect(rejected[0]).toMatch(/^rejected line \d+ \(\w+\): missing coordinates$/);
    expect(first.stdout).toMatch(/17194 new, 0 updated, 0 unchanged, 0 closed, 18 rejected in ([\d.]+) s/);
    expect(first.stderr).toMatch(/writing \d+\/\d+ statements/);

    const second = run('tsx', ['scripts/import.ts', REAL_FILE, '--persist-to', state]);
    expect(second.stdout).toMatch(/0 new, 0 updated, 17194 unchanged, 0 closed, 18 rejected/);

    const { db, close } = await openDatabase({ persistTo: state });
    try {
      const [{ n, active }] = await db.$client
        .prepare("select count(*) as n, sum(status = 'active') as active from locations")
        .all<{ n: number; active: number }>()
        .then((r) => r.results);
      expect({ n, active }).toEqual({ n: 17_194, active: 17_194 });
    } finally {
      await close();
    }
  }, 180_000);
});

/** Communes and locations as a comparable summary. */
async function snapshot(persistTo: string) {
  const { db, close } = await openDatabase({ persistTo });
  try {
    return await db.$client
      .prepare(
        `select (select count(*) from locations where status = 'active') as active,
                (select group_concat(insee_code || ':' || name || ':' || active_locations, ',') from (select * from communes order by insee_code)) as communes`,
      )
      .first<{ active: number; communes: string }>();
  } finally {
    await close();
  }
}

describe.runIf(existsSync(REAL_FILE))('npm run db:import stopped half-way', () => {
  const stopped = mkdtempSync(join(tmpdir(), 'guichet-import-stopped-'));
  afterAll(() => rmSync(stopped, { recursive: true, force: true }));

  it('is completed by the next run, communes included, as if it had never stopped', async () => {
    run('wrangler', ['d1', 'migrations', 'apply', 'guichet', '--local', '--persist-to', stopped]);
    await new Promise<void>((resolve, reject) => {
      const child = spawn(join(BIN, 'tsx'), ['scripts/import.ts', REAL_FILE, '--persist-to', stopped], { env, detached: true });
      let err = '';
      child.stderr.on('data', (chunk: Buffer) => {
        err += chunk.toString();
        if (/writing 1000\/\d+ statements/.test(err)) process.kill(-child.pid!, 'SIGKILL');
      });
      child.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`the import was not stopped:\n${err}`))));
    });
    const fragment = await snapshot(stopped);
    expect(fragment!.active).toBeGreaterThan(0);
    expect(fragment!.active).toBeLessThan(17_194);

    // npm start must not serve the fragment: its seed step stops and says what to do.
    const start = spawnSync(join(BIN, 'tsx'), ['scripts/seed-demo.ts', '--persist-to', stopped], { env, encoding: 'utf8' });
    expect(start.status).toBe(1);
    expect(start.stderr).toMatch(/the last import of the open data stopped half-way: run `npm run db:import -- <file>` again/);

    const resumed = run('tsx', ['scripts/import.ts', REAL_FILE, '--persist-to', stopped]);
    expect(resumed.stdout).toMatch(/ new, 0 updated, \d+ unchanged, 0 closed, 18 rejected/);
    // The uninterrupted import of the test above is the reference.
    expect(await snapshot(stopped)).toEqual(await snapshot(state));
  }, 180_000);
});

describe.runIf(existsSync(REAL_FILE))('npm run db:import protects the network from bad files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'guichet-files-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a file with other columns, and a truncated file that would close most offices', async () => {
    const lines = readFileSync(REAL_FILE, 'utf8').split('\r\n');
    const commaSeparated = join(dir, 'comma.csv');
    writeFileSync(commaSeparated, lines.slice(0, 50).map((l) => l.replaceAll(';', ',')).join('\r\n'));
    const truncated = join(dir, 'truncated.csv');
    writeFileSync(truncated, lines.slice(0, 1001).join('\r\n'));

    const wrongColumns = spawnSync(join(BIN, 'tsx'), ['scripts/import.ts', commaSeparated, '--persist-to', state], { env, encoding: 'utf8' });
    expect(wrongColumns.status).not.toBe(0);
    expect(wrongColumns.stderr).toMatch(/unexpected header/);

    const partial = spawnSync(join(BIN, 'tsx'), ['scripts/import.ts', truncated, '--persist-to', state], { env, encoding: 'utf8' });
    expect(partial.status).toBe(1);
    expect(partial.stderr).toMatch(/refusing to close \d+ locations .* Nothing was written/);

    const { db, close } = await openDatabase({ persistTo: state });
    try {
      const { results } = await db.$client.prepare("select count(*) as active from locations where status = 'active'").all<{ active: number }>();
      expect(results[0].active).toBe(17_194);
    } finally {
      await close();
    }
  }, 120_000);
});
