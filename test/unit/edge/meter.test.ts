/**
 * The metered D1 binding (worker/edge/meter.ts) against a stand-in D1 that
 * records what it is asked: figures come from each result's meta, array
 * reads keep column order, and a target that fails once is recovered from.
 */
import { describe, expect, it } from 'vitest';
import { type D1Like, type D1Target, Meter, meteredD1 } from '../../../worker/edge/meter';

/** A D1 stand-in: every statement answers `rows` with the given meta; `failFirst` throws on the first execution. */
function fakeD1(rows: Record<string, unknown>[], meta = { rows_read: 3, rows_written: 1 }, failFirst = false) {
  const sent: Array<{ sql: string; values: unknown[] }> = [];
  let failures = failFirst ? 1 : 0;
  const statement = (sql: string, values: unknown[] = []): D1PreparedStatement => {
    const execute = async () => {
      if (failures-- > 0) throw new Error('D1_ERROR: bookmark refused');
      sent.push({ sql, values });
      return { success: true, results: rows, meta } as unknown as D1Result;
    };
    return { bind: (...next: unknown[]) => statement(sql, next), all: execute, run: execute } as unknown as D1PreparedStatement;
  };
  const d1: D1Like = {
    prepare: (sql) => statement(sql),
    batch: async (statements) => Promise.all(statements.map((s) => s.all())) as never,
  };
  return { d1, sent };
}

describe('metered D1', () => {
  it('counts rows read and written from meta, for single statements and batches', async () => {
    const { d1 } = fakeD1([{ a: 1 }]);
    const meter = new Meter();
    const db = meteredD1({ current: () => d1 }, meter);
    await db.prepare('select 1').all();
    await db.batch([db.prepare('select 1'), db.prepare('select ?').bind(2)]);
    expect(meter).toMatchObject({ queries: 3, rowsRead: 9, rowsWritten: 3 });
  });

  it('answers raw() as arrays in column order, and first() as D1 does', async () => {
    const { d1 } = fakeD1([{ z: 1, a: 'x' }, { z: 2, a: 'y' }]);
    const db = meteredD1({ current: () => d1 }, new Meter());
    expect(await db.prepare('select z, a').raw()).toEqual([[1, 'x'], [2, 'y']]);
    expect(await db.prepare('select z, a').first()).toEqual({ z: 1, a: 'x' });
    expect(await db.prepare('select z, a').first('a')).toBe('x');
    await expect(db.prepare('select z, a').first('missing')).rejects.toThrow(/COLUMN_NOTFOUND/);
  });

  it('sends bound values to the target chosen when the statement runs', async () => {
    const { d1, sent } = fakeD1([]);
    const db = meteredD1({ current: () => d1 }, new Meter());
    await db.prepare('select ?, ?').bind('a', 2).run();
    expect(sent).toEqual([{ sql: 'select ?, ?', values: ['a', 2] }]);
  });

  it('retries once on the target recover() opens, and only when it opens one', async () => {
    const broken = fakeD1([{ n: 1 }], undefined, true);
    const healthy = fakeD1([{ n: 2 }]);
    let on = broken.d1;
    const target: D1Target = { current: () => on, recover: () => ((on = healthy.d1), true) };
    expect(await meteredD1(target, new Meter()).prepare('select n').first('n')).toBe(2);

    const refusing = fakeD1([{ n: 1 }], undefined, true);
    await expect(meteredD1({ current: () => refusing.d1, recover: () => false }, new Meter()).prepare('select n').all()).rejects.toThrow(/bookmark/);
  });
});
