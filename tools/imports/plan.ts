/**
 * @module
 * Decides what an import changes, before anything is written: which rows are
 * new, which changed, which are unchanged, and which disappeared from the
 * source and must be closed (never deleted). Pure, so it is tested alone.
 */
import type { ImportedLocation } from './open-data';

export interface ExistingLocation {
  id: string;
  sourceHash: string;
  status: 'active' | 'closed';
  source: string;
}

export interface ImportPlan {
  inserts: ImportedLocation[];
  updates: ImportedLocation[];
  unchanged: number;
  /** Ids of active rows of this source that the new file no longer lists. */
  closes: string[];
}

/**
 * @param listed ids the file still lists but whose rows were rejected: a
 *   defective row is reported, and its location is not closed for it.
 */
export function planImport(
  existing: readonly ExistingLocation[],
  incoming: readonly ImportedLocation[],
  source: string,
  listed: Iterable<string> = [],
): ImportPlan {
  const stranger = incoming.find((l) => l.source !== source);
  if (stranger) throw new Error(`planImport(${source}) got ${stranger.id} from source ${stranger.source}`);
  const known = new Map(existing.map((row) => [row.id, row]));
  const seen = new Set<string>(listed);
  const plan: ImportPlan = { inserts: [], updates: [], unchanged: 0, closes: [] };
  for (const location of incoming) {
    seen.add(location.id);
    const current = known.get(location.id);
    if (!current) plan.inserts.push(location);
    else if (current.sourceHash !== location.sourceHash || current.status !== 'active') plan.updates.push(location);
    else plan.unchanged++;
  }
  for (const row of existing) {
    if (row.source === source && row.status === 'active' && !seen.has(row.id)) plan.closes.push(row.id);
  }
  return plan;
}

/**
 * A file that would close more than this share of a source's active rows is
 * more likely truncated or malformed than a real change of the network.
 */
export const MASS_CLOSE_SHARE = 0.1;

export function closesTooMany(plan: ImportPlan, existing: readonly ExistingLocation[], source: string): boolean {
  const active = existing.filter((r) => r.source === source && r.status === 'active').length;
  return plan.closes.length > Math.max(50, active * MASS_CLOSE_SHARE);
}
