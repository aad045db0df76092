/**
 * Opens the D1 database of wrangler.toml from Node, through wrangler's
 * platform proxy: the local SQLite `npm start` serves (persisted under
 * .wrangler/state), or with `remote` the deployed database.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getPlatformProxy, unstable_readConfig } from 'wrangler';
import { type Database, drizzleDatabase } from '../worker/database';

/** Where the local D1 lives; `GUICHET_STATE` moves it (the npm scripts and tests use the same variable). */
export const PERSIST_DIR = process.env.GUICHET_STATE || '.wrangler/state';
const CONFIG = 'wrangler.toml';
const PLACEHOLDER_ID = '00000000-0000-4000-8000-000000000000';

/**
 * The proxy only reaches the deployed database for bindings marked
 * `remote = true`; rather than mark it in wrangler.toml (where `npm start`
 * would then write to production), mark it in a throwaway copy.
 */
function remoteConfig(): { path: string; cleanup: () => void } {
  const config = unstable_readConfig({ config: CONFIG });
  const db = config.d1_databases.find((d: { binding: string }) => d.binding === 'DB');
  if (!db?.database_id || db.database_id === PLACEHOLDER_ID) {
    throw new Error(`${CONFIG} still has the placeholder database_id: run \`wrangler d1 create guichet\` and put its id there first.`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'guichet-remote-'));
  const path = join(dir, 'wrangler.json');
  writeFileSync(path, JSON.stringify({
    name: config.name,
    compatibility_date: config.compatibility_date,
    d1_databases: [{ ...db, remote: true }],
  }));
  return { path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function openDatabase(
  options: { remote?: boolean; persistTo?: string } = {},
): Promise<{ db: Database; close: () => Promise<void>; where: string }> {
  const remote = options.remote ? remoteConfig() : undefined;
  const persistTo = options.persistTo ?? PERSIST_DIR;
  const proxy = await getPlatformProxy<{ DB: D1Database }>({
    configPath: remote?.path ?? CONFIG,
    // wrangler dev --persist-to X keeps D1 under X/v3; read the same files.
    persist: { path: `${persistTo}/v3` },
    remoteBindings: Boolean(remote),
  });
  return {
    db: drizzleDatabase(proxy.env.DB),
    where: remote ? 'the deployed D1 database (remote)' : `the local D1 in ${persistTo}`,
    close: async () => {
      await proxy.dispose();
      remote?.cleanup();
    },
  };
}
