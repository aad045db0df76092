/**
 * Data migrations on a database that holds rows written before them.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { demoSample, load } from './seed';

/** The data statements of a migration (its schema changes are already applied by the setup). */
function dataStatements(name: string): string[] {
  const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith(name));
  if (!migration) throw new Error(`no migration ${name}`);
  return migration.queries.filter((q) => /^\s*(--[^\n]*\n\s*)*(insert|update|delete)/i.test(q));
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

describe('0005: département figures', () => {
  it('fills department_stats from the locations and communes an earlier import left, hours changes and closings included', async () => {
    const db = env.DB;
    const sample = demoSample(400);
    await load(sample, 'demo', '2026-11-01T08:00:00Z');
    const small = [...new Set(sample.map((l) => l.department))].find((code) => sample.filter((l) => l.department === code).length <= 5)!;
    await load(sample.filter((l) => l.department !== small), 'demo', '2026-11-05T08:00:00Z');
    // An hours write before 0005 touched only its location.
    const edited = sample.find((l) => l.department !== small)!;
    await db.prepare(`update locations set updated_at = '2026-11-07T10:15:00.123Z' where id = ?`).bind(edited.id).run();
    // The database as 0005 finds it: the table just created, empty.
    await db.prepare(`delete from department_stats`).run();

    const statements = dataStatements('0005');
    expect(statements).toHaveLength(1);
    for (const sql of statements) await db.prepare(sql).run();

    const stored = await db.prepare(`select department, active_locations, communes, updated_at from department_stats order by department`).all();
    const grouped = await db.prepare(
      `select department, sum(status = 'active') as active_locations,
         count(distinct case when status = 'active' then insee_code end) as communes, max(updated_at) as updated_at
       from locations group by department order by department`,
    ).all();
    expect(stored.results).toEqual(grouped.results);
    expect(stored.results.find((r) => r.department === small)).toMatchObject({ active_locations: 0, communes: 0, updated_at: '2026-11-05T08:00:00Z' });
    expect(stored.results.find((r) => r.department === edited.department)).toMatchObject({ updated_at: '2026-11-07T10:15:00.123Z' });
  });
});
