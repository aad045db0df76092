import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateDemoNetwork } from '../../tools/demo/network';
import { closesTooMany, type ExistingLocation, planImport } from '../../tools/imports/plan';
import type { ImportedLocation } from '../../tools/imports/open-data';

const pool = generateDemoNetwork(3, 80);

/** What the database holds after applying a plan (the store's semantics, in memory). */
function apply(existing: ExistingLocation[], incoming: ImportedLocation[], source: string): ExistingLocation[] {
  const plan = planImport(existing, incoming, source);
  const rows = new Map(existing.map((r) => [r.id, { ...r }]));
  for (const l of [...plan.inserts, ...plan.updates]) rows.set(l.id, { id: l.id, sourceHash: l.sourceHash, status: 'active', source });
  for (const id of plan.closes) rows.get(id)!.status = 'closed';
  return [...rows.values()];
}

describe('import plan', () => {
  it('is idempotent and never deletes: any sequence of files ends with one row per id ever seen', () => {
    fc.assert(
      fc.property(fc.array(fc.subarray(pool), { minLength: 1, maxLength: 4 }), (files) => {
        let db: ExistingLocation[] = [];
        const seen = new Set<string>();
        for (const file of files) {
          db = apply(db, file, 'demo');
          file.forEach((l) => seen.add(l.id));
          const again = planImport(db, file, 'demo');
          expect(again.inserts.length + again.updates.length + again.closes.length).toBe(0);
        }
        expect(db.map((r) => r.id).sort()).toEqual([...seen].sort());
        const last = new Set(files.at(-1)!.map((l) => l.id));
        for (const row of db) expect(row.status).toBe(last.has(row.id) ? 'active' : 'closed');
      }),
    );
  });

  it('does not close a location whose row is still listed but was rejected', () => {
    const db = apply([], pool, 'demo');
    const plan = planImport(db, pool.slice(1), 'demo', [pool[0].id]);
    expect(plan.closes).toEqual([]);
  });

  it('flags a file that would close a large share of the network', () => {
    const db = apply([], generateDemoNetwork(3, 1000), 'demo');
    const half = planImport(db, generateDemoNetwork(3, 1000).slice(0, 500), 'demo');
    expect(closesTooMany(half, db, 'demo')).toBe(true);
    const few = planImport(db, generateDemoNetwork(3, 1000).slice(0, 990), 'demo');
    expect(closesTooMany(few, db, 'demo')).toBe(false);
  });

  it('refuses rows of another source', () => {
    expect(() => planImport([], pool, 'open_data')).toThrow(/source demo/);
  });

  it('sends only changed rows as updates', () => {
    const db = apply([], pool, 'demo');
    const changed = pool.map((l, i) => (i % 10 === 0 ? { ...l, sourceHash: `${l.sourceHash}x` } : l));
    const plan = planImport(db, changed, 'demo');
    expect(plan.updates.map((l) => l.id)).toEqual(pool.filter((_, i) => i % 10 === 0).map((l) => l.id));
    expect(plan.unchanged).toBe(pool.length - plan.updates.length);
  });
});
