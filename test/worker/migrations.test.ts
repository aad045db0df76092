/**
 * Data migrations on a database that holds rows written before them.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';

/** The data statements of a migration (its schema changes are already applied by the setup). */
function dataStatements(name: string): string[] {
  const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith(name));
  if (!migration) throw new Error(`no migration ${name}`);
  return migration.queries.filter((q) => /^\s*(--[^\n]*\n\s*)*(update|delete)/i.test(q));
}

describe('0004: open on holidays', () => {
  it('turns the seed’s per-holiday "open all day" exceptions of a locker into the flag, and keeps every other exception', async () => {
    const db = env.DB;
    const allDay = JSON.stringify([{ opens: '00:00', closes: '24:00' }]);
    const row = (id: string, location: string, reason: string, intervals: string, by: string) =>
      db.prepare(
        `insert into hours_exceptions (id, location_id, start_date, end_date, closed, intervals, reason, note, bulk_id, created_by, created_at)
         values (?, ?, '2026-12-25', '2026-12-25', 0, ?, ?, null, null, ?, '2026-11-01T00:00:00Z')`,
      ).bind(id, location, intervals, reason, by);
    await db.batch([
      db.prepare(`insert into location_hours (location_id, weekly, version, updated_at) values ('LOCKER1', '[]', 1, '2026-11-01T00:00:00Z'), ('OFFICE1', '[]', 1, '2026-11-01T00:00:00Z')`),
      row('demo-LOCKER1-2026-12-25', 'LOCKER1', 'public_holiday_opening', allDay, 'seed'),
      row('demo-LOCKER1-2027-01-01', 'LOCKER1', 'public_holiday_opening', allDay, 'seed'),
      // Declared by staff, or with other hours: the network's own, never touched.
      row('ex_staff', 'LOCKER1', 'public_holiday_opening', allDay, 'stf_1'),
      row('ex_office', 'OFFICE1', 'public_holiday_opening', JSON.stringify([{ opens: '09:00', closes: '12:00' }]), 'seed'),
    ]);

    const statements = dataStatements('0004');
    expect(statements).toHaveLength(2);
    for (const sql of statements) await db.prepare(sql).run();

    const flags = await db.prepare(`select location_id, open_on_holidays from location_hours order by location_id`).all();
    expect(flags.results).toEqual([
      { location_id: 'LOCKER1', open_on_holidays: 1 },
      { location_id: 'OFFICE1', open_on_holidays: 0 },
    ]);
    const left = await db.prepare(`select id from hours_exceptions order by id`).all();
    expect(left.results.map((r) => r.id)).toEqual(['ex_office', 'ex_staff']);
  });
});
