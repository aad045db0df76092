/**
 * Figures kept at write time (issue 12): `department_stats` after imports,
 * interrupted imports and hours writes equals what grouping the locations
 * gives, and the home page and sitemaps read it instead of grouping
 * 30,000 locations per request.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SEED, DEMO_SIZE, generateDemoNetwork } from '../../tools/demo/network';
import type { ImportedLocation } from '../../tools/imports/open-data';
import { planImport } from '../../tools/imports/plan';
import { applyImportPlan, loadExisting, unfinishedNetworkWrite } from '../../tools/imports/store';
import { drizzleDatabase } from '../../worker/database';
import { DEPARTMENTS } from '../../worker/locations/departments';
import { networkVersion } from '../../worker/locations/network-version';
import { listActiveDepartments } from '../../worker/locations/queries';
import { homeView } from '../../worker/locations/views';
import { departmentLastChange } from '../../worker/sitemap/queries';
import { request } from './http-client';
import { db, demoSample, load } from './seed';
import { bearer, token } from './staff';

const ORIGIN = (env as unknown as { SITE_ORIGIN: string }).SITE_ORIGIN;
const FIRST = '2026-11-01T08:00:00Z';
const SECOND = '2026-11-10T08:00:00Z';

/** What the old per-request GROUP BY gave, computed from the locations alone. */
async function groupedStats() {
  const { results } = await env.DB.prepare(
    `select department, sum(status = 'active') as active_locations,
       count(distinct case when status = 'active' then insee_code end) as communes,
       max(updated_at) as updated_at
     from locations group by department order by department`,
  ).all();
  return results;
}

async function storedStats() {
  const { results } = await env.DB.prepare(
    `select department, active_locations, communes, updated_at from department_stats order by department`,
  ).all();
  return results;
}

async function departmentDate(department: string) {
  return (await env.DB.prepare(`select updated_at from department_stats where department = ?`).bind(department).first<{ updated_at: string }>())?.updated_at;
}

async function locationDate(id: string) {
  return (await env.DB.prepare(`select updated_at from locations where id = ?`).bind(id).first<{ updated_at: string }>())?.updated_at;
}

/** `lastmod` of each file of the sitemap index, by file address. */
async function indexLastmods() {
  const xml = await (await request('/sitemap.xml')).text();
  return new Map([...xml.matchAll(/<sitemap><loc>([^<]+)<\/loc><lastmod>([^<]+)<\/lastmod>/g)].map((m) => [m[1], m[2]]));
}
const fileOf = (department: string) => `${ORIGIN}/sitemaps/departement-${department.toLowerCase()}.xml`;

function byDepartment(rows: ImportedLocation[]) {
  const groups = new Map<string, ImportedLocation[]>();
  for (const l of rows) groups.set(l.department, [...(groups.get(l.department) ?? []), l]);
  return groups;
}

/** The sample after a re-import: the smallest département closes entirely, five locations move to another. */
function reimported(sample: ImportedLocation[]) {
  const groups = [...byDepartment(sample)].sort((a, b) => a[1].length - b[1].length);
  const [emptied] = groups[0];
  const [from, fromRows] = groups.find(([code, rows]) => code !== emptied && rows.length > 10)!;
  const target = sample.find((l) => l.department !== emptied && l.department !== from)!;
  const moving = new Set(fromRows.slice(0, 5));
  const rows = sample
    .filter((l) => l.department !== emptied)
    .map((l) => moving.has(l)
      ? { ...l, department: target.department, inseeCode: target.inseeCode, commune: target.commune, postcode: target.postcode, timeZone: target.timeZone, sourceHash: `moved-${l.id}` }
      : l);
  return { rows, emptied, from, to: target.department, closed: groups[0][1].length };
}

describe('department_stats after imports', () => {
  const sample = demoSample(600);

  it('equals the grouped locations after an import and a re-import that closes and moves locations', async () => {
    const start = await networkVersion(env.DB);
    await load(sample, 'demo', FIRST);
    expect(await storedStats()).toEqual(await groupedStats());
    expect(await networkVersion(env.DB)).toBe(start + 1);

    const change = reimported(sample);
    const plan = await load(change.rows, 'demo', SECOND);
    expect(plan.closes).toHaveLength(change.closed);
    expect(plan.updates).toHaveLength(5);
    const stored = await storedStats();
    expect(stored).toEqual(await groupedStats());
    expect(await networkVersion(env.DB)).toBe(start + 2);
    // Every location of the emptied département closed: a row at zero, dated by the closings.
    expect(stored.find((r) => r.department === change.emptied)).toEqual({ department: change.emptied, active_locations: 0, communes: 0, updated_at: SECOND });
    expect(stored.find((r) => r.department === change.to)?.updated_at).toBe(SECOND);
    // …and it leaves the home page and the sitemap index.
    const home = await homeView(db());
    expect([...home.metropolitan, ...home.elsewhere].map((d) => d.code)).not.toContain(change.emptied);
    const files = await indexLastmods();
    expect(files.has(fileOf(change.emptied))).toBe(false);
    expect(files.get(fileOf(change.to))).toBe(SECOND);
    expect((await request(`/sitemaps/departement-${change.emptied.toLowerCase()}.xml`)).status).toBe(404);
  });

  it('counts communes as the communes table does (what the département page shows)', async () => {
    await load(sample, 'demo', FIRST);
    await load(reimported(sample).rows, 'demo', SECOND);
    const { results } = await env.DB.prepare(
      `select department, count(*) as communes from communes where active_locations > 0 group by department order by department`,
    ).all();
    const stored = (await storedStats()).filter((r) => (r.communes as number) > 0);
    expect(stored.map((r) => ({ department: r.department, communes: r.communes }))).toEqual(results);
  });

  it('leaves everything, network version included, when a re-import changes nothing', async () => {
    await load(sample, 'demo', FIRST);
    const [version, stats] = [await networkVersion(env.DB), await storedStats()];
    const plan = await load(sample, 'demo', SECOND);
    expect(plan).toMatchObject({ inserts: [], updates: [], closes: [] });
    expect(await networkVersion(env.DB)).toBe(version);
    expect(await storedStats()).toEqual(stats);
  });

  it('is rebuilt, and the version moved, when an interrupted import is resumed with nothing left to write', async () => {
    await load(sample, 'demo', FIRST);
    const [version, before] = [await networkVersion(env.DB), await storedStats()];
    const change = reimported(sample);
    const plan = planImport(await loadExisting(db()), change.rows, 'demo');
    // The locations are written, then the last batch (communes, départements, version, marker) fails.
    await expect(applyImportPlan(drizzleDatabase(failingFinalBatch(env.DB)), plan, SECOND)).rejects.toThrow('interrupted');
    expect(await unfinishedNetworkWrite(db())).toBe('demo');
    expect(await storedStats()).toEqual(before);
    expect(await networkVersion(env.DB)).toBe(version);

    const resumed = await load(change.rows, 'demo', '2026-11-10T09:00:00Z');
    expect(resumed).toMatchObject({ inserts: [], updates: [], closes: [] });
    expect(await unfinishedNetworkWrite(db())).toBeNull();
    expect(await storedStats()).toEqual(await groupedStats());
    expect(await networkVersion(env.DB)).toBe(version + 1);
  });

  it('gives the home page the same départements and total as counting the locations', async () => {
    await load(sample, 'demo', FIRST);
    await load(reimported(sample).rows, 'demo', SECOND);
    const { results } = await env.DB.prepare(
      `select department, count(*) as n from locations where status = 'active' group by department`,
    ).all<{ department: string; n: number }>();
    const counted = new Map(results.map((r) => [r.department, r.n]));
    const home = await homeView(db());
    expect(home.total).toBe([...counted.values()].reduce((a, b) => a + b, 0));
    const listed = [...home.metropolitan, ...home.elsewhere].map((d) => d.code).sort();
    expect(listed).toEqual(DEPARTMENTS.filter((d) => counted.has(d.code)).map((d) => d.code).sort());
  });
});

describe('department_stats after hours writes', () => {
  const sample = demoSample(300);
  const office = sample.find((l) => l.type === 'post_office' && l.timeZone === 'Europe/Paris')!;
  const WEEK = { rules: ['mo', 'tu', 'we', 'th', 'fr'].map((day) => ({ day, opens: '09:00', closes: '17:00' })) };

  beforeAll(async () => {
    await load(sample, 'demo', FIRST);
  });

  async function putWeekly(secret: string, etag: string) {
    return request(`/api/v1/locations/${office.id}/hours/weekly`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'if-match': etag, ...bearer(secret) },
      body: JSON.stringify(WEEK),
    });
  }

  it('moves the département’s date with a won write, into the sitemap index, and not with a stale one', async () => {
    const editor = await token('hours', 'department', office.department);
    const etag = (await request(`/api/v1/locations/${office.id}/hours`)).headers.get('etag')!;
    expect((await putWeekly(editor, etag)).status).toBe(200);
    const written = (await locationDate(office.id))!;
    expect(written > FIRST).toBe(true);
    expect(await departmentDate(office.department)).toBe(written);
    expect(await storedStats()).toEqual(await groupedStats());
    const files = await indexLastmods();
    expect(files.get(fileOf(office.department))).toBe(written);
    expect(files.get(`${ORIGIN}/sitemaps/accueil.xml`)).toBe(written);
    const other = sample.find((l) => l.department !== office.department)!;
    expect(files.get(fileOf(other.department))).toBe(FIRST);
    expect(await departmentLastChange(db(), office.department)).toBe(written);

    await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await putWeekly(editor, etag)).status).toBe(412);
    expect(await departmentDate(office.department)).toBe(written);
    expect(await locationDate(office.id)).toBe(written);
  });

  it('moves the date of every département a bulk closure names, and of no other', async () => {
    const [a, b] = [...byDepartment(sample)].filter(([, rows]) => rows.length >= 3);
    const ids = [...a[1].slice(0, 3), ...b[1].slice(0, 2)].map((l) => l.id);
    const date = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    const response = await request('/api/v1/hours/bulk-exceptions', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(await token('hours', 'network')) },
      body: JSON.stringify({ location_ids: ids, exception: { start_date: date, end_date: date, closed: true, reason: 'strike', note: 'Grève' } }),
    });
    expect(response.status).toBe(201);
    const written = (await locationDate(ids[0]))!;
    expect(written > FIRST).toBe(true);
    const files = await indexLastmods();
    for (const code of [a[0], b[0]]) {
      expect(await departmentDate(code)).toBe(written);
      expect(files.get(fileOf(code))).toBe(written);
    }
    expect(await storedStats()).toEqual(await groupedStats());
    const untouched = (await storedStats()).filter((r) => r.department !== a[0] && r.department !== b[0]);
    expect(untouched.every((r) => r.updated_at === FIRST)).toBe(true);
  });
});

describe('rows read per request, full demo network', () => {
  beforeAll(async () => {
    await load(generateDemoNetwork(DEMO_SEED, DEMO_SIZE), 'demo', FIRST);
  }, 120_000);

  it('home page and sitemap index read the département rows, not the 30,000 locations', async () => {
    const departments = (await storedStats()).length;
    expect(await storedStats()).toEqual(await groupedStats());
    const before = {
      home: await rowsReadOf(`select department, count(*) from locations where status = 'active' group by department`),
      index: await rowsReadOf(`select department, max(updated_at) from locations group by department having sum(status = 'active') > 0 order by department`),
      departmentPage: await rowsReadOf(`select department, max(updated_at) from locations where department = '59' group by department having sum(status = 'active') > 0`),
    };
    const after = {
      home: await rowsRead((d) => homeView(d)),
      index: await rowsRead((d) => listActiveDepartments(d)),
      departmentPage: await rowsRead((d) => departmentLastChange(d, '59')),
    };
    console.log(`rows read for ${DEMO_SIZE + 1} locations, ${departments} départements: ${JSON.stringify({ before, after })}`);
    expect(before.home).toBeGreaterThan(DEMO_SIZE);
    expect(after.home).toBeLessThanOrEqual(2 * departments);
    expect(after.index).toBeLessThanOrEqual(2 * departments);
    expect(after.departmentPage).toBeLessThanOrEqual(2);
    expect((await request('/sitemap.xml')).status).toBe(200);
  });
});

/** `meta.rows_read` of one raw query. */
async function rowsReadOf(sql: string) {
  return (await env.DB.prepare(sql).all()).meta.rows_read;
}

/**
 * `meta.rows_read` of every query `read` sends: its statements are recorded
 * (Drizzle reads through `raw()`, which has no meta), then replayed with `all()`.
 */
async function rowsRead(read: (database: ReturnType<typeof drizzleDatabase>) => Promise<unknown>) {
  const sent: Array<{ sql: string; params: unknown[] }> = [];
  const recording = new Proxy(env.DB, {
    get(target, key) {
      if (key !== 'prepare') return passThrough(target, key);
      return (sql: string) => {
        const statement = target.prepare(sql);
        return Object.assign(Object.create(statement), {
          bind: (...params: unknown[]) => {
            sent.push({ sql, params });
            return statement.bind(...params);
          },
        });
      };
    },
  });
  await read(drizzleDatabase(recording));
  let rows = 0;
  for (const { sql, params } of sent) rows += (await env.DB.prepare(sql).bind(...params).all()).meta.rows_read;
  return rows;
}

/** The D1 binding, failing the batch that rebuilds the départements (the last step of a network write). */
function failingFinalBatch(d1: D1Database): D1Database {
  const sqlOf = new WeakMap<object, string>();
  return new Proxy(d1, {
    get(target, key) {
      if (key === 'prepare') {
        return (sql: string) => {
          const statement = target.prepare(sql);
          sqlOf.set(statement, sql);
          const bind = statement.bind.bind(statement);
          statement.bind = (...params: unknown[]) => {
            const bound = bind(...params);
            sqlOf.set(bound, sql);
            return bound;
          };
          return statement;
        };
      }
      if (key === 'batch') {
        return (statements: D1PreparedStatement[]) => {
          if (statements.some((s) => sqlOf.get(s)?.includes('department_stats'))) return Promise.reject(new Error('interrupted'));
          return target.batch(statements);
        };
      }
      return passThrough(target, key);
    },
  });
}

function passThrough(target: D1Database, key: string | symbol) {
  const value = Reflect.get(target, key);
  return typeof value === 'function' ? value.bind(target) : value;
}
