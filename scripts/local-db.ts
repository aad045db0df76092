/**
 * Opens the D1 database of wrangler.toml from Node, through wrangler's
 * platform proxy: the same local SQLite `npm start` serves (persisted under
 * .wrangler/state), or the deployed one with --remote.
 */
import { getPlatformProxy } from 'wrangler';
import { type Database, drizzleDatabase } from '../worker/database';

export const PERSIST_DIR = '.wrangler/state';

export async function openDatabase(options: { remote?: boolean } = {}): Promise<{ db: Database; close: () => Promise<void> }> {
  const proxy = await getPlatformProxy<{ DB: D1Database }>({
    configPath: 'wrangler.toml',
    persist: { path: `${PERSIST_DIR}/v3` },
    remoteBindings: options.remote ?? false,
  });
  return { db: drizzleDatabase(proxy.env.DB), close: () => proxy.dispose() };
}
