/**
 * @module
 * Staff counts of a location's stock, whoever asks: the API
 * (`/api/v1/locations/{id}/stock`, staff-routes.ts) and the staff page
 * (`/staff/stock`) call these functions and only translate.
 *
 * Every write is a compare-and-set decided in one D1 batch (D1 has no
 * interactive transaction): its first statement is the conditional update
 * that sets a random `claim` token on the row (one count) or on the
 * location's sheet (a feed); every other statement (the rows, the audit,
 * the sheet's version, the local inventory feed's rows) runs only if that
 * claim is there, so a stale read or a lost race writes nothing. The row's
 * `version` is its ETag; the sheet's moves with every change of any row.
 *
 * Who may count: the `counter` and `hours` roles, in their scope; counts
 * are kept at places with a counter (offices and agencies), open ones.
 */
import type { LocationRow, StaffRole } from '../../db/schema';
import type { Database } from '../database';
import { randomSecret } from '../http/crypto';
import { findLocation } from '../locations/queries';
import { COUNTER_LOCATION_TYPES } from '../locations/catalog';
import { inScope, type Staff } from '../staff/tokens';
import { SKU_PATTERN } from '../catalogue/products';
import { feedRowsRefresh } from './inventory-feed';
import { countAge, sellableUnits } from './levels';
import {
  checkCountedAt, checkQuantity, type FileIssue, parseStockFile, type RejectedRow, rejectUnknownSkus, type StockFileFormat, type StockFileRow,
} from './stock-file';

/** One product on a location's sheet, as staff read it. */
export interface StockLine {
  sku: string;
  /** The catalogue's name (the sku itself for a product the catalogue no longer has). */
  name: string;
  quantity: number;
  countedAt: number;
  /** The row's ETag: a count names the version it was based on. */
  version: number;
  /** Units held by customers (live holds). */
  held: number;
  /** What can still be held or sold: counted, less holds and the safety stock. */
  sellable: number;
}

export interface StockSheet {
  location: LocationRow;
  /** The sheet's version (0: never counted): a feed names it in `If-Match`. */
  version: number;
  safety: number;
  lines: StockLine[];
}

/**
 * What a write was based on: a version read (`If-Match`), the knowledge
 * that the row does not exist yet (`If-None-Match: *`, one count only),
 * nothing (`missing`: refused, 428), or something naming no version
 * (`unmatched`: refused, 412).
 */
export type Precondition =
  | { kind: 'version'; version: number }
  | { kind: 'absent' }
  | { kind: 'missing' }
  | { kind: 'unmatched' };

export type StockRefusal =
  | { ok: false; problem: 'not_found'; what: 'location' | 'product'; id: string }
  | { ok: false; problem: 'forbidden'; why: 'role' | 'scope'; role: StaffRole; locationId: string }
  /** The location is closed, or has no counter (a relay, a locker): it keeps no stock. */
  | { ok: false; problem: 'closed'; why: 'closed' | 'no_counter'; locationId: string; name: string }
  | { ok: false; problem: 'version_required' }
  | { ok: false; problem: 'version_unmatched' }
  /** The row (one count) or the sheet (a feed) moved since it was read: nothing written. `current`: the row as it is now (null: none). */
  | { ok: false; problem: 'stale'; what: 'row' | 'sheet'; currentVersion: number | null; current: StockLine | null }
  | { ok: false; problem: 'invalid'; issues: FileIssue[] };

export type CountResult = { ok: true; created: boolean; line: StockLine; sheetVersion: number } | StockRefusal;

export interface FeedOutcome {
  ok: true;
  /** Rows whose count changed (quantity or counting instant). */
  applied: number;
  /** Rows identical to what was stored: nothing to write. */
  unchanged: number;
  rejected: RejectedRow[];
  /** The sheet's version after the feed. */
  version: number;
}

/**
 * Whether a role may read and count a location's stock. Every role is
 * named: a new role does not compile until it is decided here.
 */
export function mayCount(role: StaffRole): boolean {
  switch (role) {
    // The clerks at the counter count their shelves.
    case 'counter':
      return true;
    // Office managers (who also set the hours) send the whole sheet.
    case 'hours':
      return true;
    // Declaring exceptional closures says nothing about shelves (least privilege).
    case 'exceptions':
      return false;
  }
}

type Place = Pick<LocationRow, 'id' | 'name' | 'parentId' | 'department' | 'status' | 'type'>;

function permissionRefusal(staff: Staff, location: Place): StockRefusal | undefined {
  if (!mayCount(staff.role)) return { ok: false, problem: 'forbidden', why: 'role', role: staff.role, locationId: location.id };
  if (!inScope(staff, location)) return { ok: false, problem: 'forbidden', why: 'scope', role: staff.role, locationId: location.id };
  return undefined;
}

function closedRefusal(location: Place): StockRefusal | undefined {
  if (location.status !== 'active') return { ok: false, problem: 'closed', why: 'closed', locationId: location.id, name: location.name };
  if (!COUNTER_LOCATION_TYPES.has(location.type)) return { ok: false, problem: 'closed', why: 'no_counter', locationId: location.id, name: location.name };
  return undefined;
}

function preconditionRefusal(expected: Precondition): StockRefusal | undefined {
  if (expected.kind === 'missing') return { ok: false, problem: 'version_required' };
  if (expected.kind === 'unmatched') return { ok: false, problem: 'version_unmatched' };
  return undefined;
}

/** The location a write is about, when the caller may write there. */
async function writableLocation(db: Database, staff: Staff, locationId: string): Promise<{ ok: true; location: LocationRow } | StockRefusal> {
  const location = await findLocation(db, locationId);
  if (!location) return { ok: false, problem: 'not_found', what: 'location', id: locationId };
  const refused = permissionRefusal(staff, location) ?? closedRefusal(location);
  return refused ?? { ok: true, location };
}

// ---------------------------------------------------------------------------
// Reading

type LineRow = { sku: string; name: string | null; quantity: number; counted_at: number; version: number; held: number };

/** A location's lines (all, or one sku), each with its live holds. ?1 location, ?2 now (ms), ?3 one sku or null. */
const LINES_SQL = `select s.sku, p.name, s.quantity, s.counted_at, s.version,
    coalesce((select sum(h.quantity) from stock_holds h
      where h.location_id = s.location_id and h.sku = s.sku and h.status = 'active' and h.expires_at > ?2), 0) as held
  from location_stock s left join products p on p.sku = s.sku
  where s.location_id = ?1 and (?3 is null or s.sku = ?3)`;

const toLine = (row: LineRow, safety: number): StockLine => ({
  sku: row.sku,
  name: row.name ?? row.sku,
  quantity: row.quantity,
  countedAt: row.counted_at,
  version: row.version,
  held: row.held,
  sellable: sellableUnits(row.quantity, row.held, safety),
});

const byName = (a: StockLine, b: StockLine) => a.name.localeCompare(b.name, 'fr') || (a.sku < b.sku ? -1 : 1);

const sheetVersionSql = (d1: D1Database, locationId: string) =>
  d1.prepare('select version from stock_sheets where location_id = ?').bind(locationId);

/** A location's stock sheet, read at one instant (its lines and version together), for whoever may count there. */
export async function stockSheetOf(db: Database, staff: Staff, locationId: string, now: Date, safety: number): Promise<{ ok: true; sheet: StockSheet } | StockRefusal> {
  const location = await findLocation(db, locationId);
  if (!location) return { ok: false, problem: 'not_found', what: 'location', id: locationId };
  const refused = permissionRefusal(staff, location);
  if (refused) return refused;
  const d1 = db.$client;
  const [sheet, lines] = await d1.batch<unknown>([
    sheetVersionSql(d1, location.id),
    d1.prepare(LINES_SQL).bind(location.id, now.getTime(), null),
  ]);
  const version = (sheet!.results[0] as { version: number } | undefined)?.version ?? 0;
  return { ok: true, sheet: { location, version, safety, lines: (lines!.results as LineRow[]).map((r) => toLine(r, safety)).sort(byName) } };
}

/** The office a staff member's stock page is about: theirs, or (wider scope) the one they name. */
export type StockDesk = { ok: true; location: LocationRow } | { ok: false; why: 'role' | 'scope' | 'closed' | 'choose' };

export async function stockDesk(db: Database, staff: Staff, requested: string | null | undefined): Promise<StockDesk> {
  if (!mayCount(staff.role)) return { ok: false, why: 'role' };
  const id = staff.scopeType === 'office' ? staff.scopeValue : (requested ?? '').trim().toUpperCase().slice(0, 64);
  if (!id) return { ok: false, why: staff.scopeType === 'office' ? 'scope' : 'choose' };
  const location = await findLocation(db, id);
  if (!location || !inScope(staff, location)) return { ok: false, why: 'scope' };
  if (closedRefusal(location)) return { ok: false, why: 'closed' };
  return { ok: true, location };
}

// ---------------------------------------------------------------------------
// One count

/**
 * Records one count (`PUT …/stock/{sku}`, the staff page's row form): a
 * compare-and-set on the row's version (`absent`: the row must not exist
 * yet). One batch: the row (claim), its audit entry when the quantity
 * changed, the sheet's version, the feed's row, then the row as it is.
 * `text`: the quantity is typed text (a form), not a JSON number.
 */
export async function recordCount(
  db: Database,
  staff: Staff,
  input: { locationId: string; sku: string; quantity: unknown; countedAt?: unknown; text?: boolean; expected: Precondition },
  now: Date,
  safety: number,
): Promise<CountResult> {
  const place = await writableLocation(db, staff, input.locationId);
  if (!place.ok) return place;
  const { location } = place;
  const refused = preconditionRefusal(input.expected);
  if (refused) return refused;
  /** The version the count was based on; null: the row must not exist yet. */
  const basedOn = input.expected.kind === 'version' ? input.expected.version : null;
  const sku = input.sku.trim().toUpperCase();
  const d1 = db.$client;
  const product = SKU_PATTERN.test(sku) ? await d1.prepare('select sku from products where sku = ?').bind(sku).first<{ sku: string }>() : null;
  if (!product) return { ok: false, problem: 'not_found', what: 'product', id: sku };

  const at = now.getTime();
  const quantity = checkQuantity(input.quantity, { text: input.text ?? false });
  const countedAt = checkCountedAt(input.countedAt, at);
  const issues: FileIssue[] = [];
  for (const check of [quantity, countedAt]) if (!check.ok) issues.push({ name: check.field, reason: check.reason });
  if (!quantity.ok || !countedAt.ok) return { ok: false, problem: 'invalid', issues };

  const currentLine = async () => {
    const row = await d1.prepare(LINES_SQL).bind(location.id, at, sku).first<LineRow>();
    return row ? toLine(row, safety) : null;
  };
  // Read first: a stale version is answered without a write (the batch decides again, atomically).
  const before = await currentLine();
  const stale = (current: StockLine | null): StockRefusal => ({ ok: false, problem: 'stale', what: 'row', currentVersion: current?.version ?? null, current });
  if (basedOn === null ? before !== null : before?.version !== basedOn) return stale(before);

  const claim = randomSecret(16);
  const won = `exists (select 1 from location_stock where location_id = ?1 and sku = ?2 and claim = ?3)`;
  const compareAndSet = basedOn === null
    ? d1.prepare(`insert into location_stock (location_id, sku, quantity, counted_at, version, claim, updated_at)
        values (?1, ?2, ?4, ?5, 1, ?3, ?6) on conflict (location_id, sku) do nothing`)
      .bind(location.id, sku, claim, quantity.value, countedAt.value, at)
    : d1.prepare(`update location_stock set quantity = ?4, counted_at = ?5, version = version + 1, claim = ?3, updated_at = ?6
        where location_id = ?1 and sku = ?2 and version = ?7`)
      .bind(location.id, sku, claim, quantity.value, countedAt.value, at, basedOn);
  // `before` is the row this compare-and-set replaces: same version, and every change of a count moves the version.
  const beforeQuantity = before?.quantity ?? null;
  const results = await d1.batch<unknown>([
    compareAndSet,
    d1.prepare(`insert into stock_audit (location_id, sku, before, after, source, actor_id, actor_name, at)
        select ?1, ?2, ?4, ?5, 'count', ?6, ?7, ?8 where ${won} and (?4 is null or ?4 <> ?5)`)
      .bind(location.id, sku, claim, beforeQuantity, quantity.value, staff.id, staff.name, at),
    d1.prepare(`insert into stock_sheets (location_id, version, claim, updated_at) select ?1, 1, ?3, ?4 where ${won}
        on conflict (location_id) do update set version = stock_sheets.version + 1, claim = excluded.claim, updated_at = excluded.updated_at`)
      .bind(location.id, sku, claim, at),
    feedRowsRefresh(d1, [{ locationId: location.id, sku }], at, safety),
    d1.prepare(LINES_SQL).bind(location.id, at, sku),
    sheetVersionSql(d1, location.id),
  ]);
  const wonRace = (results[0]!.meta.changes ?? 0) > 0;
  const row = results[4]!.results[0] as LineRow | undefined;
  const after = row ? toLine(row, safety) : null;
  if (!wonRace || !after) return stale(after);
  const sheetVersion = (results[5]!.results[0] as { version: number } | undefined)?.version ?? 0;
  return { ok: true, created: basedOn === null, line: after, sheetVersion };
}

// ---------------------------------------------------------------------------
// A feed

type StoredRow = { sku: string; quantity: number; counted_at: number };

/**
 * Applies a feed (the whole sheet or part of it) against the sheet's
 * version: broken rows are reported (line and reason), the others applied,
 * all in one batch won by a compare-and-set on the sheet, or nothing.
 */
export async function applyStockFeed(
  db: Database,
  staff: Staff,
  input: { locationId: string; body: string; format: StockFileFormat; expected: Precondition },
  now: Date,
  safety: number,
): Promise<FeedOutcome | StockRefusal> {
  const place = await writableLocation(db, staff, input.locationId);
  if (!place.ok) return place;
  const { location } = place;
  const refused = preconditionRefusal(input.expected);
  if (refused) return refused;
  // A feed replaces counts that may exist: only a sheet version (0 for none yet) says what it was based on.
  if (input.expected.kind !== 'version') return { ok: false, problem: 'version_unmatched' };
  const expectedVersion = input.expected.version;
  const at = now.getTime();
  const parsed = parseStockFile(input.body, input.format, at);
  if (!parsed.ok) return { ok: false, problem: 'invalid', issues: parsed.issues };

  const d1 = db.$client;
  const skus = JSON.stringify([...new Set(parsed.rows.map((r) => r.sku))]);
  // One read at one instant: the sheet's version and the rows it names.
  const [sheet, known, stored] = await d1.batch<unknown>([
    sheetVersionSql(d1, location.id),
    d1.prepare('select sku from products where sku in (select value from json_each(?1))').bind(skus),
    d1.prepare('select sku, quantity, counted_at from location_stock where location_id = ?1 and sku in (select value from json_each(?2))').bind(location.id, skus),
  ]);
  const currentVersion = (sheet!.results[0] as { version: number } | undefined)?.version ?? 0;
  if (currentVersion !== expectedVersion) return { ok: false, problem: 'stale', what: 'sheet', currentVersion, current: null };

  const { rows, rejected } = rejectUnknownSkus(parsed, new Set((known!.results as { sku: string }[]).map((r) => r.sku)));
  const storedBySku = new Map((stored!.results as StoredRow[]).map((r) => [r.sku, r]));
  const changed = rows.filter((r) => {
    const was = storedBySku.get(r.sku);
    return !was || was.quantity !== r.quantity || was.counted_at !== r.countedAt;
  });
  if (changed.length === 0) return { ok: true, applied: 0, unchanged: rows.length, rejected, version: currentVersion };

  const claim = randomSecret(16);
  const won = 'exists (select 1 from stock_sheets where location_id = ?1 and claim = ?2)';
  const changes = JSON.stringify(changed.map((r: StockFileRow) => [r.sku, r.quantity, r.countedAt]));
  const results = await d1.batch<unknown>([
    // The compare-and-set: version 0 is "no sheet yet".
    d1.prepare(`insert into stock_sheets (location_id, version, claim, updated_at) select ?1, 1, ?2, ?3
        where ?4 = 0 or exists (select 1 from stock_sheets where location_id = ?1)
        on conflict (location_id) do update set version = stock_sheets.version + 1, claim = excluded.claim, updated_at = excluded.updated_at
        where stock_sheets.version = ?4`)
      .bind(location.id, claim, at, expectedVersion),
    // The audit reads `before` from the rows themselves, before they change.
    d1.prepare(`insert into stock_audit (location_id, sku, before, after, source, actor_id, actor_name, at)
        select ?1, j.value ->> '$[0]', s.quantity, j.value ->> '$[1]', 'feed', ?4, ?5, ?3
        from json_each(?6) j left join location_stock s on s.location_id = ?1 and s.sku = j.value ->> '$[0]'
        where ${won} and (s.quantity is null or s.quantity <> j.value ->> '$[1]')`)
      .bind(location.id, claim, at, staff.id, staff.name, changes),
    d1.prepare(`insert into location_stock (location_id, sku, quantity, counted_at, version, claim, updated_at)
        select ?1, j.value ->> '$[0]', j.value ->> '$[1]', j.value ->> '$[2]', 1, ?2, ?3 from json_each(?4) j where ${won}
        on conflict (location_id, sku) do update set quantity = excluded.quantity, counted_at = excluded.counted_at,
          version = location_stock.version + 1, claim = excluded.claim, updated_at = excluded.updated_at
        where location_stock.quantity <> excluded.quantity or location_stock.counted_at <> excluded.counted_at`)
      .bind(location.id, claim, at, changes),
    feedRowsRefresh(d1, changed.map((r) => ({ locationId: location.id, sku: r.sku })), at, safety),
    sheetVersionSql(d1, location.id),
  ]);
  const newVersion = (results[4]!.results[0] as { version: number } | undefined)?.version ?? 0;
  if ((results[0]!.meta.changes ?? 0) === 0) return { ok: false, problem: 'stale', what: 'sheet', currentVersion: newVersion, current: null };
  return { ok: true, applied: changed.length, unchanged: rows.length - changed.length, rejected, version: newVersion };
}

// ---------------------------------------------------------------------------
// The staff page's words

/** What the staff page says after a count (French): recorded, or why not. `name` is the product's, `typed` what was entered. */
export function countMessage(result: CountResult, name: string, typed: string, now: number): string {
  if (result.ok) return `Comptage enregistré : ${name}, ${result.line.quantity}.`;
  switch (result.problem) {
    case 'stale':
      return result.current
        ? `${name} a été recompté entre-temps : ${result.current.quantity} (${countAge(result.current.countedAt, now)}). Votre saisie (${typed.slice(0, 12)}) n’a pas été enregistrée : vérifiez le rayon, puis enregistrez à nouveau.`
        : `${name} n’est plus sur la feuille de ce bureau : votre saisie n’a pas été enregistrée.`;
    case 'invalid':
      return `${name} : ${result.issues.map((i) => i.reason).join(' ; ')}.`;
    case 'not_found':
      return result.what === 'product' ? `Produit ${result.id} inconnu du catalogue.` : `Point de contact ${result.id} inconnu.`;
    case 'forbidden':
      return result.why === 'role' ? 'Votre jeton ne permet pas de compter le stock : il faut un jeton de guichet.' : 'Ce bureau n’est pas dans le périmètre de votre jeton.';
    case 'closed':
      return `${result.name} ne tient pas de stock (fermé, ou sans guichet).`;
    case 'version_required':
    case 'version_unmatched':
      return 'Formulaire incomplet : rechargez la page et recommencez.';
  }
}
