/**
 * @module
 * The network's version: a counter in `settings` that moves whenever the
 * set of locations or their descriptions change (an import, the demo
 * seed). The locator's snapshot and the edge cache's keys follow it; hours
 * changes do not move it (they have their own audit sequence).
 */

/** Its row in `settings`. */
export const NETWORK_VERSION_SETTING = 'network_version';

/**
 * The statement that moves the version on: send it in the same batch as
 * (or right after) the write that changed the locations, so no reader sees
 * new locations under the old version for long.
 */
export function bumpNetworkVersion(d1: D1Database): D1PreparedStatement {
  return d1
    .prepare(`insert into settings (name, value) values (?, '1') on conflict (name) do update set value = cast(value as integer) + 1`)
    .bind(NETWORK_VERSION_SETTING);
}

/** The current version; 0 for a database no import has written yet. */
export async function networkVersion(d1: D1Database): Promise<number> {
  const row = await d1.prepare('select value from settings where name = ?').bind(NETWORK_VERSION_SETTING).first<{ value: string }>();
  return row ? Number(row.value) : 0;
}
