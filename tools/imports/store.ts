/**
 * @module
 * Writes an {@link ImportPlan} to D1 in batches. Each batch is one D1
 * transaction; statements stay under D1's 100 bound parameters.
 *
 * Bulk writes bind several rows per prepared statement instead of building a
 * Drizzle query per row: the same SQL, and 17,000 rows load in seconds
 * instead of 84 s (the per-statement cost dominates).
 */
import { getTableColumns } from 'drizzle-orm';
import { locations } from '../../db/schema';
import type { Database } from '../../worker/database';
import { bumpNetworkVersion } from '../../worker/locations/network-version';
import type { ExistingLocation, ImportPlan } from './plan';
import type { ImportedLocation } from './open-data';

const STATEMENTS_PER_BATCH = 500;
/** D1 accepts at most 100 bound parameters per statement. */
const IDS_PER_CLOSE = 90;

export async function loadExisting(db: Database): Promise<ExistingLocation[]> {
  return db
    .select({ id: locations.id, sourceHash: locations.sourceHash, status: locations.status, source: locations.source })
    .from(locations)
    .all();
}

/** Columns an import writes, in bind order: every source field of a location. */
const WRITTEN = [
  'id', 'name', 'sourceName', 'type', 'parentId', 'addressLine', 'addressComplement', 'lieuDit', 'postcode',
  'commune', 'inseeCode', 'department', 'latitude', 'longitude', 'geocodePrecision', 'phone', 'timeZone',
  'services', 'stepFreeAccess', 'source', 'sourceHash',
] as const satisfies ReadonlyArray<keyof ImportedLocation>;

const columns = getTableColumns(locations);
const names = WRITTEN.map((key) => columns[key].name);

/** Rows per statement: as many as fit in D1's 100 bound parameters. */
const ROWS_PER_UPSERT = Math.floor(100 / (WRITTEN.length + 2));

/** Insert `rows` locations, or refresh every source field and reopen those that exist. */
function upsertSql(rows: number): string {
  const tuple = `(${names.map(() => '?').join(', ')}, 'active', ?, ?)`;
  return (
    `insert into locations (${names.join(', ')}, status, created_at, updated_at) ` +
    `values ${Array.from({ length: rows }, () => tuple).join(', ')} ` +
    `on conflict (id) do update set ${names.filter((n) => n !== 'id').map((n) => `${n} = excluded.${n}`).join(', ')}, ` +
    `status = 'active', closed_at = null, updated_at = excluded.updated_at`
  );
}

function bindValues(location: ImportedLocation): unknown[] {
  return WRITTEN.map((key) => {
    const value = location[key];
    if (key === 'services') return JSON.stringify(value);
    if (key === 'stepFreeAccess') return value === null || value === undefined ? null : value ? 1 : 0;
    return value ?? null;
  });
}

/**
 * Rebuilds the communes from their locations: the name most active
 * locations give, the number of active locations, the latest change
 * (closings included, so sitemaps see them).
 */
const REFRESH_COMMUNES = [
  'delete from communes',
  `insert into communes (insee_code, name, department, postcode, active_locations, updated_at)
   select insee_code, commune, department, postcode, total_active, last_update from (
     select insee_code, commune, department, min(postcode) as postcode,
       sum(sum(status = 'active')) over w as total_active,
       max(max(updated_at)) over w as last_update,
       row_number() over (partition by insee_code order by sum(status = 'active') desc, count(*) desc, commune) as rn
     from locations group by insee_code, commune, department
     window w as (partition by insee_code)
   ) where rn = 1`,
];

/**
 * Rebuilds the départements' figures from their locations and the communes
 * just refreshed, so the home page and the sitemaps read about 100 rows
 * instead of grouping every location per request. Départements whose
 * locations all closed keep a row with 0 active (readers skip them).
 * Same query as the backfill in db/migrations/0005_edge_scale.sql.
 */
const REFRESH_DEPARTMENTS = [
  'delete from department_stats',
  `insert into department_stats (department, active_locations, communes, updated_at)
   select l.department, sum(l.status = 'active'),
     (select count(*) from communes c where c.department = l.department and c.active_locations > 0),
     max(l.updated_at)
   from locations l group by l.department`,
];

export type WriteProgress = (done: number, total: number) => void;

export interface WriteOptions {
  /** Rows bound per statement; at most (and by default) what fits in 100 parameters. Benchmarks lower it. */
  rowsPerStatement?: number;
}

/**
 * The statements of a plan, described as data (SQL and bind values) rather
 * than prepared: through wrangler's platform proxy every prepared statement
 * is a remote object, and holding thousands at once breaks the connection
 * (the first `npm start` died that way at 6,000 rows). Each batch prepares
 * its own statements just before it is sent.
 */
interface Write {
  sql: string;
  values: unknown[];
}

function planWrites(plan: ImportPlan, now: string, perStatement: number): Write[] {
  const writes = [...plan.inserts, ...plan.updates];
  const statements: Write[] = [];
  for (let i = 0; i < writes.length; i += perStatement) {
    const rows = writes.slice(i, i + perStatement);
    statements.push({ sql: upsertSql(rows.length), values: rows.flatMap((l) => [...bindValues(l), now, now]) });
  }
  for (let i = 0; i < plan.closes.length; i += IDS_PER_CLOSE) {
    const ids = plan.closes.slice(i, i + IDS_PER_CLOSE);
    statements.push({
      sql: `update locations set status = 'closed', closed_at = ?, updated_at = ? where id in (${ids.map(() => '?').join(', ')})`,
      values: [now, now, ...ids],
    });
  }
  return statements;
}

/**
 * Sends `writes` in batches of `perBatch`, each batch one D1 transaction.
 * Every batch is prepared only when it is sent.
 */
export async function writeInBatches(
  d1: D1Database,
  writes: ReadonlyArray<Write>,
  perBatch: number,
  progress?: WriteProgress,
): Promise<void> {
  for (let i = 0; i < writes.length; i += perBatch) {
    const batch = writes.slice(i, i + perBatch).map((w) => d1.prepare(w.sql).bind(...w.values));
    await d1.batch(batch);
    progress?.(Math.min(i + perBatch, writes.length), writes.length);
  }
}

/**
 * Whether the last write of the network (import or demo seed) finished.
 * The marker is cleared before the first batch and set by the last one,
 * in the same transaction as the derived tables and the network version:
 * a run interrupted before it leaves the marker unset, and the next run
 * completes the work instead of trusting a fragment.
 */
const WRITE_MARKER = 'network_write';

/** `null` when the last write finished; else the source (`demo`, `open_data`) of the write that stopped. */
export async function unfinishedNetworkWrite(db: Database): Promise<string | null> {
  const row = await db.$client.prepare(`select value from settings where name = ?`).bind(WRITE_MARKER).first<{ value: string }>();
  const match = /^in_progress (\w+)$/.exec(row?.value ?? '');
  return match ? match[1] : null;
}

function networkWriteMarker(d1: D1Database, value: string): D1PreparedStatement {
  return d1
    .prepare(`insert into settings (name, value) values (?, ?) on conflict (name) do update set value = excluded.value`)
    .bind(WRITE_MARKER, value);
}

/**
 * The last step of every network write, one transaction: what is derived
 * from the locations (communes, then départements, which count communes),
 * the network version, and the marker that says the write is complete.
 */
function finishNetworkWrite(d1: D1Database, now: string): D1PreparedStatement[] {
  return [
    ...[...REFRESH_COMMUNES, ...REFRESH_DEPARTMENTS].map((sql) => d1.prepare(sql)),
    bumpNetworkVersion(d1),
    networkWriteMarker(d1, `complete ${now}`),
  ];
}

/**
 * Writes `plan`. With nothing to write and the last write complete, it
 * changes nothing, network version included (caches keyed on it stay warm).
 * After an interrupted write it always finishes: derived tables rebuilt and
 * the version moved, since the stopped run may have changed locations.
 */
export async function applyImportPlan(
  db: Database,
  plan: ImportPlan,
  now: string,
  progress?: WriteProgress,
  options: WriteOptions = {},
) {
  const d1 = db.$client;
  const perStatement = Math.max(1, Math.min(options.rowsPerStatement ?? ROWS_PER_UPSERT, ROWS_PER_UPSERT));
  const writes = planWrites(plan, now, perStatement);
  const unfinished = await unfinishedNetworkWrite(db);
  if (writes.length === 0 && unfinished === null) return;
  const source = plan.inserts[0]?.source ?? plan.updates[0]?.source ?? unfinished ?? 'open_data';
  await networkWriteMarker(d1, `in_progress ${source}`).run();
  await writeInBatches(d1, writes, STATEMENTS_PER_BATCH, progress);
  await d1.batch(finishNetworkWrite(d1, now));
}
