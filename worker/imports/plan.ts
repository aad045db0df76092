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

export function planImport(
  existing: readonly ExistingLocation[],
  incoming: readonly ImportedLocation[],
  source: string,
): ImportPlan {
  const known = new Map(existing.map((row) => [row.id, row]));
  const seen = new Set<string>();
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
