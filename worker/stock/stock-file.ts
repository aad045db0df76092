/**
 * @module
 * A location's stock feed as staff send it (`PUT /api/v1/locations/{id}/stock`),
 * read without trusting it, pure: JSON `{ "items": [ { "sku", "quantity",
 * "counted_at"? } ] }` or CSV (header `sku,quantity,counted_at`, `,` or `;`,
 * UTF-8, a BOM tolerated, quoted fields as spreadsheets write them).
 *
 * A feed is a whole sheet typed or exported by hand: one broken row must
 * not refuse the others. So a row is either kept or rejected with its line
 * (the CSV file's line, header = 1; the item's rank, 1 first, in JSON) and
 * every reason, in French, naming the field. Only what makes the whole
 * file unreadable (not JSON, no header, over {@link MAX_FEED_ROWS} rows) is
 * a refusal of the file. A sku given twice is ambiguous: no line of it is
 * applied. Whether a sku exists is the caller's question (it needs the
 * catalogue): {@link rejectUnknownSkus}.
 *
 * The single count (`PUT …/stock/{sku}`, the staff page) checks its
 * quantity and instant with the same functions, so both say the same.
 */
import { readInstant } from '../hours/instants';
import { SKU_PATTERN } from '../catalogue/products';
import { MAX_COUNT } from './levels';

/** Rows a feed may carry: a location's whole sheet many times over (an office holds a few dozen products). */
export const MAX_FEED_ROWS = 5_000;

/** A count stamped a little ahead of our clock is a clock's drift; further ahead, a typo. */
export const COUNT_FUTURE_SKEW_MS = 5 * 60_000;

export type StockFileFormat = 'json' | 'csv';

/** A row that may be applied: `countedAt` in ms (the request's instant when the row gave none). */
export interface StockFileRow {
  line: number;
  sku: string;
  quantity: number;
  countedAt: number;
}

/** A row that is not applied, with every reason (French, each naming its field). */
export interface RejectedRow {
  line: number;
  /** The sku as written (trimmed, at most 64 characters); null when the row has none. */
  sku: string | null;
  reason: string;
}

export interface FileIssue {
  name: string;
  reason: string;
}

export type ParsedStockFile =
  | { ok: true; rows: StockFileRow[]; rejected: RejectedRow[] }
  | { ok: false; issues: FileIssue[] };

export type StockField = 'sku' | 'quantity' | 'counted_at';
/** A field read, or why not (French, without the field's name). */
export type Checked<T> = { ok: true; value: T } | { ok: false; field: StockField; reason: string };

/** The CSV header's columns, and the fields of a JSON item. */
const COLUMNS = ['sku', 'quantity', 'counted_at'] as const;
/** Fields `GET …/stock` answers that a JSON item may carry back unchanged: read-only, ignored. */
const READ_ONLY_FIELDS = new Set(['name', 'version', 'held', 'sellable']);

const SKU_SHOWN_MAX = 64;
const COUNT_FORMAT = new Intl.NumberFormat('fr-FR');

/** The format of a body by its `Content-Type`, or undefined for any other. */
export function stockFileFormat(contentType: string | null | undefined): StockFileFormat | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') return 'json';
  if (type === 'text/csv') return 'csv';
  return undefined;
}

/** A sku as typed: trimmed and upper-cased (`tp-lv-u` is `TP-LV-U`). */
export function readSku(value: unknown): Checked<string> {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return { ok: false, field: 'sku', reason: 'référence manquante' };
  if (typeof value !== 'string') return { ok: false, field: 'sku', reason: 'texte attendu' };
  const sku = value.trim().toUpperCase();
  if (!SKU_PATTERN.test(sku)) return { ok: false, field: 'sku', reason: 'référence mal formée (3 à 32 capitales, chiffres et tirets)' };
  return { ok: true, value: sku };
}

const DECIMAL_TEXT = /^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)$/;

/**
 * A counted quantity: a whole number of units from 0 (an empty shelf is a
 * count) to MAX_COUNT. `text: true` reads a typed text (CSV, a form);
 * otherwise only a JSON number is one.
 */
export function checkQuantity(value: unknown, options: { text: boolean }): Checked<number> {
  let number: number;
  if (typeof value === 'number') {
    number = value;
  } else if (typeof value === 'string' && options.text) {
    const text = value.trim().replace(/[\s\u00a0\u202f]/g, '');
    if (text === '') return { ok: false, field: 'quantity', reason: 'quantité manquante' };
    if (!DECIMAL_TEXT.test(text)) return { ok: false, field: 'quantity', reason: 'nombre entier attendu' };
    number = Number(text.replace(',', '.'));
  } else if (value === undefined || value === null) {
    return { ok: false, field: 'quantity', reason: 'quantité manquante' };
  } else {
    return { ok: false, field: 'quantity', reason: 'nombre attendu' };
  }
  if (!Number.isFinite(number)) return { ok: false, field: 'quantity', reason: 'nombre entier attendu' };
  if (number < 0) return { ok: false, field: 'quantity', reason: 'quantité négative' };
  if (!Number.isInteger(number)) return { ok: false, field: 'quantity', reason: 'nombre entier d’unités attendu, pas de fraction' };
  if (number > MAX_COUNT) return { ok: false, field: 'quantity', reason: `${COUNT_FORMAT.format(MAX_COUNT)} unités au plus` };
  return { ok: true, value: number === 0 ? 0 : number };
}

/** When the shelf was counted: an ISO 8601 instant with its offset, not ahead of `now` (but for a clock's drift); absent, `now`. */
export function checkCountedAt(value: unknown, now: number): Checked<number> {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return { ok: true, value: now };
  if (typeof value !== 'string') return { ok: false, field: 'counted_at', reason: 'texte attendu (instant ISO 8601)' };
  const read = readInstant(value.trim());
  if (!read.ok) return { ok: false, field: 'counted_at', reason: `instant illisible, ${read.reason}` };
  const at = read.value.getTime();
  if (at > now + COUNT_FUTURE_SKEW_MS) return { ok: false, field: 'counted_at', reason: 'instant dans le futur (5 minutes d’écart au plus)' };
  return { ok: true, value: at };
}

const shownSku = (value: unknown): string | null => {
  if (typeof value !== 'string') return null;
  const text = value.trim();
  return text === '' ? null : text.slice(0, SKU_SHOWN_MAX);
};

interface RawRow {
  line: number;
  sku: unknown;
  quantity: unknown;
  countedAt: unknown;
  /** Reasons found before the fields are read (wrong columns, unknown fields…). */
  reasons: string[];
  /** The row has no fields to read (not an object, an open quote): its one reason says it all. */
  unreadable?: boolean;
}

/** Reads a feed body; never throws, whatever the body. */
export function parseStockFile(body: string, format: StockFileFormat, now: number): ParsedStockFile {
  const text = body.charCodeAt(0) === 0xfeff ? body.slice(1) : body;
  const raw = format === 'json' ? jsonRows(text) : csvRows(text);
  if (!raw.ok) return raw;
  return checkRows(raw.rows, format === 'csv', now);
}

function checkRows(raws: RawRow[], text: boolean, now: number): ParsedStockFile {
  const checked = raws.map((raw) => {
    const reasons = [...raw.reasons];
    const sku = readSku(raw.sku);
    const quantity = checkQuantity(raw.quantity, { text });
    const countedAt = checkCountedAt(raw.countedAt, now);
    if (!raw.unreadable) for (const check of [sku, quantity, countedAt]) if (!check.ok) reasons.push(`${check.field} : ${check.reason}`);
    return { raw, sku: sku.ok ? sku.value : null, quantity, countedAt, reasons };
  });
  // A sku given twice: which line is the count? None of them is applied.
  const linesOf = new Map<string, number[]>();
  for (const row of checked) if (row.sku) linesOf.set(row.sku, [...(linesOf.get(row.sku) ?? []), row.raw.line]);
  const rows: StockFileRow[] = [];
  const rejected: RejectedRow[] = [];
  for (const row of checked) {
    const lines = row.sku ? linesOf.get(row.sku)! : [];
    if (lines.length > 1) row.reasons.push(`sku : référence présente plusieurs fois (lignes ${lines.join(', ')}), aucune n’est appliquée`);
    if (row.reasons.length === 0 && row.sku && row.quantity.ok && row.countedAt.ok) {
      rows.push({ line: row.raw.line, sku: row.sku, quantity: row.quantity.value, countedAt: row.countedAt.value });
    } else {
      rejected.push({ line: row.raw.line, sku: row.sku ?? shownSku(row.raw.sku), reason: row.reasons.join(' ; ') });
    }
  }
  return { ok: true, rows, rejected };
}

/** The rows whose sku the catalogue does not know move to the rejected ones (kept in line order). */
export function rejectUnknownSkus(
  parsed: { rows: StockFileRow[]; rejected: RejectedRow[] },
  known: ReadonlySet<string>,
): { rows: StockFileRow[]; rejected: RejectedRow[] } {
  const unknown = parsed.rows.filter((r) => !known.has(r.sku));
  if (unknown.length === 0) return parsed;
  return {
    rows: parsed.rows.filter((r) => known.has(r.sku)),
    rejected: [...parsed.rejected, ...unknown.map((r) => ({ line: r.line, sku: r.sku, reason: 'sku : référence inconnue du catalogue' }))]
      .sort((a, b) => a.line - b.line),
  };
}

// ---------------------------------------------------------------------------
// JSON

type RawRows = { ok: true; rows: RawRow[] } | { ok: false; issues: FileIssue[] };

const tooMany = (count: number, name: string): RawRows => ({
  ok: false,
  issues: [{ name, reason: `${COUNT_FORMAT.format(MAX_FEED_ROWS)} lignes au plus par envoi (${COUNT_FORMAT.format(count)} reçues) : envoyez le reste dans un second envoi` }],
});

function jsonRows(text: string): RawRows {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, issues: [{ name: 'body', reason: 'JSON illisible : { "items": [ { "sku", "quantity", "counted_at" } ] } attendu' }] };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, issues: [{ name: 'body', reason: 'objet { "items": [...] } attendu' }] };
  const issues = Object.keys(body).filter((key) => key !== 'items').map((key) => ({ name: key, reason: 'champ inconnu' }));
  const items = (body as { items?: unknown }).items;
  if (!Array.isArray(items)) issues.push({ name: 'items', reason: items === undefined ? 'obligatoire : la liste des comptages' : 'liste attendue' });
  if (issues.length) return { ok: false, issues };
  const list = items as unknown[];
  if (list.length > MAX_FEED_ROWS) return tooMany(list.length, 'items');
  return { ok: true, rows: list.map((item, index) => jsonRow(item, index + 1)) };
}

function jsonRow(item: unknown, line: number): RawRow {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    return { line, sku: undefined, quantity: undefined, countedAt: undefined, reasons: ['élément : objet { "sku", "quantity", "counted_at" } attendu'], unreadable: true };
  }
  const fields = item as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((key) => !(COLUMNS as readonly string[]).includes(key) && !READ_ONLY_FIELDS.has(key));
  return {
    line,
    sku: fields.sku,
    quantity: fields.quantity,
    countedAt: fields.counted_at,
    reasons: unknown.length ? [`champ inconnu : ${unknown.map((k) => k.slice(0, 40)).join(', ')}`] : [],
  };
}

// ---------------------------------------------------------------------------
// CSV

/** A line's fields, quotes as spreadsheets write them (`"a;b"`, `""` for a quote); null when a quote is left open. */
function splitCsvLine(line: string, separator: string): string[] | null {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  let wasQuoted = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!;
    if (quoted) {
      if (char === '"') {
        if (line[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
        }
      } else {
        field += char;
      }
    } else if (char === '"' && field.trim() === '' && !wasQuoted) {
      quoted = true;
      wasQuoted = true;
      field = '';
    } else if (char === separator) {
      fields.push(field);
      field = '';
      wasQuoted = false;
    } else {
      field += char;
    }
  }
  if (quoted) return null;
  fields.push(field);
  return fields;
}

function csvRows(text: string): RawRows {
  const lines = text.split(/\r\n|\n|\r/);
  const headerIndex = lines.findIndex((l) => l.trim() !== '');
  if (headerIndex < 0) return { ok: false, issues: [{ name: 'body', reason: 'fichier vide : l’en-tête sku,quantity,counted_at est attendu en première ligne' }] };
  const headerLine = lines[headerIndex]!;
  const separator = headerLine.includes(';') && !headerLine.includes(',') ? ';' : ',';
  const header = splitCsvLine(headerLine, separator)?.map((h) => h.trim().toLowerCase());
  const expected = 'en-tête attendu : sku,quantity,counted_at (séparateur , ou ;)';
  if (!header) return { ok: false, issues: [{ name: 'header', reason: `guillemets non fermés ; ${expected}` }] };
  // Trailing empty columns (a spreadsheet's extra separators) are no columns.
  while (header.length > 1 && header.at(-1) === '') header.pop();
  const issues: FileIssue[] = [];
  for (const [i, name] of header.entries()) {
    if (!(COLUMNS as readonly string[]).includes(name)) issues.push({ name: 'header', reason: `colonne inconnue « ${name.slice(0, 40)} » ; ${expected}` });
    else if (header.indexOf(name) !== i) issues.push({ name: 'header', reason: `colonne « ${name} » en double` });
  }
  for (const required of ['sku', 'quantity']) if (!header.includes(required)) issues.push({ name: 'header', reason: `colonne « ${required} » manquante ; ${expected}` });
  if (issues.length) return { ok: false, issues };

  const column = (name: (typeof COLUMNS)[number]) => header.indexOf(name);
  const [skuAt, quantityAt, countedAtAt] = [column('sku'), column('quantity'), column('counted_at')];
  const dataLines = lines.map((content, index) => ({ content, line: index + 1 })).slice(headerIndex + 1).filter((l) => l.content.trim() !== '');
  if (dataLines.length > MAX_FEED_ROWS) return tooMany(dataLines.length, 'body');
  return {
    ok: true,
    rows: dataLines.map(({ content, line }) => {
      const fields = splitCsvLine(content, separator);
      if (!fields) return { line, sku: undefined, quantity: undefined, countedAt: undefined, reasons: ['ligne illisible : guillemets non fermés'], unreadable: true };
      while (fields.length > header.length && fields.at(-1)!.trim() === '') fields.pop();
      const reasons = fields.length > header.length ? [`${header.length} colonnes attendues, ${fields.length} trouvées`] : [];
      const at = (index: number) => (index >= 0 ? fields[index] : undefined);
      return { line, sku: at(skuAt) ?? '', quantity: at(quantityAt) ?? '', countedAt: at(countedAtAt), reasons };
    }),
  };
}
