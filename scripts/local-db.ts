/**
 * Opens the D1 database of wrangler.toml from Node, through wrangler's
 * platform proxy: the same local SQLite `npm start` serves (persisted under
 * .wrangler/state), or the deployed one with --remote.
 */
import { getPlatformProxy } from 'wrangler';
import { type Database, drizzleDatabase } from '../worker/database';

export const PERSIST_DIR = '.wrangler/state';

export async function openDatabase(
  options: { remote?: boolean; persistTo?: string } = {},
): Promise<{ db: Database; close: () => Promise<void> }> {
  const proxy = await getPlatformProxy<{ DB: D1Database }>({
    configPath: 'wrangler.toml',
    // wrangler dev --persist-to X keeps D1 under X/v3; read the same files.
    persist: { path: `${options.persistTo ?? PERSIST_DIR}/v3` },
    remoteBindings: options.remote ?? false,
  });
  return { db: drizzleDatabase(proxy.env.DB), close: () => proxy.dispose() };
}
