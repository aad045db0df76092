/**
 * Reading a stock feed (worker/stock/stock-file.ts): hand-written JSON and
 * CSV files with every kind of broken row, each reported with its line and
 * reason while the good rows survive; what refuses a whole file; and, over
 * random files (fast-check), that no body ever throws and that the valid
 * rows of a file mixed with garbage, in any order, any separator, quoting,
 * BOM or line ending, come out exactly (the expected rows are the ones the
 * test wrote, not re-read by the parser's own rules).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_COUNT } from '../../../worker/stock/levels';
import {
  checkCountedAt, checkQuantity, MAX_FEED_ROWS, parseStockFile, rejectUnknownSkus, stockFileFormat, type ParsedStockFile,
} from '../../../worker/stock/stock-file';

const NOW = Date.parse('2026-12-01T10:00:00Z');
const HOUR = 3_600_000;

function parsed(body: string, format: 'json' | 'csv') {
  const result = parseStockFile(body, format, NOW);
  if (!result.ok) throw new Error(`file refused: ${JSON.stringify(result.issues)}`);
  return result;
}
const refused = (result: ParsedStockFile) => (result.ok ? [] : result.issues.map((i) => i.name));

describe('a CSV feed', () => {
  it('keeps the good rows and reports each broken one with its file line and a French reason naming the field', () => {
    const csv = [
      'sku,quantity,counted_at', // 1
      'TP-LV-C12,14,2026-12-01T09:30:00+01:00', // 2
      'COL-2026-03,0,', // 3: zero is a count (an empty shelf)
      'EMB-BOX-M,-2,', // 4
      'EMB-BOX-S,2.5,', // 5
      '', // 6: blank, skipped
      'PAP-LV20-10,100001,', // 7
      'TP-LV-U,douze,', // 8
      'TP-INT-C6,3,2026-12-02T10:00:00Z', // 9: tomorrow
      'TP-ECO-C12,3,hier', // 10
      'PHI-LIV-2026,4,2026-12-01T10:04:00Z', // 11: 4 minutes ahead: a clock's drift
      ',5,', // 12
      'x,5,', // 13
    ].join('\n');
    const { rows, rejected } = parsed(csv, 'csv');
    expect(rows).toEqual([
      { line: 2, sku: 'TP-LV-C12', quantity: 14, countedAt: Date.parse('2026-12-01T08:30:00Z') },
      { line: 3, sku: 'COL-2026-03', quantity: 0, countedAt: NOW },
      { line: 11, sku: 'PHI-LIV-2026', quantity: 4, countedAt: NOW + 4 * 60_000 },
    ]);
    expect(rejected.map((r) => [r.line, r.sku])).toEqual([
      [4, 'EMB-BOX-M'], [5, 'EMB-BOX-S'], [7, 'PAP-LV20-10'], [8, 'TP-LV-U'], [9, 'TP-INT-C6'], [10, 'TP-ECO-C12'], [12, null], [13, 'x'],
    ]);
    const reason = (line: number) => rejected.find((r) => r.line === line)!.reason;
    expect(reason(4)).toBe('quantity : quantité négative');
    expect(reason(5)).toMatch(/^quantity : nombre entier d’unités attendu/);
    expect(reason(7)).toBe('quantity : 100\u202f000 unités au plus');
    expect(reason(8)).toBe('quantity : nombre entier attendu');
    expect(reason(9)).toBe('counted_at : instant dans le futur (5 minutes d’écart au plus)');
    expect(reason(10)).toMatch(/^counted_at : instant illisible/);
    expect(reason(12)).toBe('sku : référence manquante');
    expect(reason(13)).toMatch(/^sku : référence mal formée/);
  });

  it('reads `;` as the separator, a BOM, CRLF, quoted fields, columns in any order and lower-case skus', () => {
    const csv = '\uFEFFquantity;"sku"\r\n"12";"tp-lv-u"\r\n" 7 ";EMB-BOX-L\r\n';
    expect(parsed(csv, 'csv').rows).toEqual([
      { line: 2, sku: 'TP-LV-U', quantity: 12, countedAt: NOW },
      { line: 3, sku: 'EMB-BOX-L', quantity: 7, countedAt: NOW },
    ]);
  });

  it('applies no line of a sku given twice, and says which lines', () => {
    const { rows, rejected } = parsed('sku,quantity\nTP-LV-U,3\nEMB-BOX-S,4\ntp-lv-u,5\n', 'csv');
    expect(rows.map((r) => r.sku)).toEqual(['EMB-BOX-S']);
    expect(rejected).toEqual([
      { line: 2, sku: 'TP-LV-U', reason: 'sku : référence présente plusieurs fois (lignes 2, 4), aucune n’est appliquée' },
      { line: 4, sku: 'TP-LV-U', reason: 'sku : référence présente plusieurs fois (lignes 2, 4), aucune n’est appliquée' },
    ]);
  });

  it('reports extra columns and open quotes on their row only, and gives every reason of a row', () => {
    const { rows, rejected } = parsed('sku,quantity\nTP-LV-U,3,oups\n"EMB-BOX-S,4\nEMB-BOX-M,4,,\nEMB-BOX-L,-1.5\n', 'csv');
    expect(rows.map((r) => r.line)).toEqual([4]);
    expect(rejected.map((r) => [r.line, r.reason])).toEqual([
      [2, '2 colonnes attendues, 3 trouvées'],
      [3, 'ligne illisible : guillemets non fermés'],
      [5, 'quantity : quantité négative'],
    ]);
  });

  it('refuses the whole file when its header is missing, unknown or incomplete', () => {
    expect(refused(parseStockFile('', 'csv', NOW))).toEqual(['body']);
    expect(refused(parseStockFile('TP-LV-U,3\n', 'csv', NOW))).toContain('header');
    expect(refused(parseStockFile('sku,qty\nTP-LV-U,3\n', 'csv', NOW))).toContain('header');
    expect(refused(parseStockFile('sku\nTP-LV-U\n', 'csv', NOW))).toEqual(['header']);
    expect(refused(parseStockFile('sku,quantity,sku\n', 'csv', NOW))).toEqual(['header']);
  });

  it(`takes ${MAX_FEED_ROWS} rows, not one more`, () => {
    const file = (n: number) => `sku,quantity\n${Array.from({ length: n }, (_, i) => `SKU-${i},1`).join('\n')}\n`;
    expect(parsed(file(MAX_FEED_ROWS), 'csv').rows).toHaveLength(MAX_FEED_ROWS);
    const over = parseStockFile(file(MAX_FEED_ROWS + 1), 'csv', NOW);
    expect(refused(over)).toEqual(['body']);
    expect(over.ok ? '' : over.issues[0]!.reason).toMatch(/^5\u202f000 lignes au plus par envoi \(5\u202f001 reçues\)/);
  });
});

describe('a JSON feed', () => {
  it('numbers items from 1 and reports broken ones', () => {
    const body = JSON.stringify({
      items: [
        { sku: 'TP-LV-C12', quantity: 14, counted_at: '2026-12-01T09:30:00Z' },
        { sku: 'EMB-BOX-S', quantity: '14' },
        'TP-LV-U',
        { sku: 'EMB-BOX-M', quantity: 3, quantite: 4 },
        // What GET answers may come back unchanged: read-only, ignored.
        { sku: 'EMB-BOX-L', quantity: 2, name: 'Boîte L', version: 3, held: 1, sellable: 0 },
        { sku: 12, quantity: 1 },
        { sku: 'EMB-BOX-XL', quantity: 1e6 },
        { sku: 'PAE-FR-1' },
      ],
    });
    const { rows, rejected } = parsed(body, 'json');
    expect(rows).toEqual([
      { line: 1, sku: 'TP-LV-C12', quantity: 14, countedAt: Date.parse('2026-12-01T09:30:00Z') },
      { line: 5, sku: 'EMB-BOX-L', quantity: 2, countedAt: NOW },
    ]);
    expect(rejected).toEqual([
      { line: 2, sku: 'EMB-BOX-S', reason: 'quantity : nombre attendu' },
      { line: 3, sku: null, reason: 'élément : objet { "sku", "quantity", "counted_at" } attendu' },
      { line: 4, sku: 'EMB-BOX-M', reason: 'champ inconnu : quantite' },
      { line: 6, sku: null, reason: 'sku : texte attendu' },
      { line: 7, sku: 'EMB-BOX-XL', reason: 'quantity : 100\u202f000 unités au plus' },
      { line: 8, sku: 'PAE-FR-1', reason: 'quantity : quantité manquante' },
    ]);
  });

  it('refuses a body that is not { "items": [...] }', () => {
    expect(refused(parseStockFile('{', 'json', NOW))).toEqual(['body']);
    expect(refused(parseStockFile('[]', 'json', NOW))).toEqual(['body']);
    expect(refused(parseStockFile('{}', 'json', NOW))).toEqual(['items']);
    expect(refused(parseStockFile('{"items":{}}', 'json', NOW))).toEqual(['items']);
    expect(refused(parseStockFile('{"items":[],"location":"X"}', 'json', NOW))).toEqual(['location']);
    expect(refused(parseStockFile(JSON.stringify({ items: Array.from({ length: MAX_FEED_ROWS + 1 }, () => ({})) }), 'json', NOW))).toEqual(['items']);
    expect(parseStockFile('\uFEFF{"items":[]}', 'json', NOW)).toEqual({ ok: true, rows: [], rejected: [] });
  });
});

describe('the shared checks', () => {
  it('read a quantity as the single count and the form need it', () => {
    expect(checkQuantity(0, { text: false })).toEqual({ ok: true, value: 0 });
    expect(checkQuantity(MAX_COUNT, { text: false })).toEqual({ ok: true, value: MAX_COUNT });
    expect(checkQuantity('1 200', { text: true })).toEqual({ ok: true, value: 1200 });
    expect(checkQuantity('12', { text: false })).toMatchObject({ ok: false, field: 'quantity' });
    expect(checkQuantity(MAX_COUNT + 1, { text: false })).toMatchObject({ ok: false });
    expect(checkQuantity(Number.NaN, { text: false })).toMatchObject({ ok: false });
    expect(checkQuantity('3,5', { text: true })).toMatchObject({ ok: false, reason: expect.stringMatching(/fraction/) });
  });

  it('default the counting instant to now and refuse one more than 5 minutes ahead', () => {
    expect(checkCountedAt(undefined, NOW)).toEqual({ ok: true, value: NOW });
    expect(checkCountedAt('2026-12-01T10:05:00Z', NOW)).toEqual({ ok: true, value: NOW + 5 * 60_000 });
    expect(checkCountedAt('2026-12-01T10:05:01Z', NOW)).toMatchObject({ ok: false, field: 'counted_at' });
    expect(checkCountedAt('2026-02-30T10:00:00Z', NOW)).toMatchObject({ ok: false, field: 'counted_at' });
    expect(checkCountedAt(1_700_000_000_000, NOW)).toMatchObject({ ok: false, field: 'counted_at' });
  });

  it('move rows of skus the catalogue does not know to the rejected ones, in line order', () => {
    const file = parsed('sku,quantity\nAAA,1\nBBB,x\nCCC,3\n', 'csv');
    expect(rejectUnknownSkus(file, new Set(['AAA']))).toEqual({
      rows: [{ line: 2, sku: 'AAA', quantity: 1, countedAt: NOW }],
      rejected: [
        { line: 3, sku: 'BBB', reason: 'quantity : nombre entier attendu' },
        { line: 4, sku: 'CCC', reason: 'sku : référence inconnue du catalogue' },
      ],
    });
  });

  it('tell the format by the content type', () => {
    expect(stockFileFormat('application/json; charset=utf-8')).toBe('json');
    expect(stockFileFormat('Text/CSV;charset=UTF-8')).toBe('csv');
    expect(stockFileFormat('text/plain')).toBeUndefined();
    expect(stockFileFormat(undefined)).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------
// Properties

interface Good { sku: string; quantity: number; countedAt: number | null; offsetMinutes: number }
type Bad = { sku: string; quantity: string; countedAt: string; jsonQuantity: unknown };

/** An instant written with an offset, computed here by hand (`2026-11-30T23:15:00+01:00`). */
function isoWithOffset(ms: number, offsetMinutes: number): string {
  if (offsetMinutes === 0) return new Date(ms).toISOString().replace('.000Z', 'Z');
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 19);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

const skuBody = fc.stringMatching(/^[A-Z0-9]{1,6}$/);
/** Valid rows: distinct skus (`V-…`), quantities 0–MAX_COUNT, instants up to a year old or none. */
const goods = fc.uniqueArray(
  fc.record({
    sku: skuBody.map((s) => `V-${s}`),
    quantity: fc.integer({ min: 0, max: MAX_COUNT }),
    countedAt: fc.option(fc.integer({ min: (NOW - 365 * 24 * HOUR) / 1000, max: NOW / 1000 }).map((s) => s * 1000), { nil: null }),
    offsetMinutes: fc.constantFrom(0, 60, 120, -300, 330, 840, -720),
  }),
  { selector: (g) => g.sku, maxLength: 30 },
);
/** Broken rows, each broken for a reason of its own, on skus no valid row has (`G-…`, or malformed). */
const bads = fc.array(
  fc.oneof(
    fc.record({ sku: skuBody.map((s) => `G-${s}`), quantity: fc.integer({ min: -MAX_COUNT, max: -1 }).map(String), countedAt: fc.constant(''), jsonQuantity: fc.integer({ min: -MAX_COUNT, max: -1 }) }),
    fc.record({ sku: skuBody.map((s) => `G-${s}`), quantity: fc.constant('2.5'), countedAt: fc.constant(''), jsonQuantity: fc.constant(2.5) }),
    fc.record({ sku: skuBody.map((s) => `G-${s}`), quantity: fc.constant(String(MAX_COUNT + 1)), countedAt: fc.constant(''), jsonQuantity: fc.constant(MAX_COUNT + 1) }),
    fc.record({ sku: skuBody.map((s) => `G-${s}`), quantity: fc.constant('beaucoup'), countedAt: fc.constant(''), jsonQuantity: fc.constant(true) }),
    fc.record({ sku: skuBody.map((s) => `G-${s}`), quantity: fc.constant('3'), countedAt: fc.constant('2027-01-01T00:00:00Z'), jsonQuantity: fc.constant(3) }),
    fc.record({ sku: skuBody.map((s) => `G-${s}`), quantity: fc.constant('3'), countedAt: fc.constant('01/12/2026'), jsonQuantity: fc.constant(3) }),
    fc.record({ sku: fc.constantFrom('', 'a b', 'X', '-AB', 'É-1'), quantity: fc.constant('3'), countedAt: fc.constant(''), jsonQuantity: fc.constant(3) }),
  ),
  { maxLength: 15 },
);
/** Rows in any order: the valid ones (by index) and the broken ones interleaved. */
const mixed = fc.tuple(goods, bads).chain(([good, bad]) =>
  fc.shuffledSubarray([...good.map((g) => ({ good: g })), ...bad.map((b) => ({ bad: b }))], { minLength: good.length + bad.length })
    .map((rows) => ({ rows, good, bad })));

const goodInstant = (g: Good) => (g.countedAt === null ? '' : isoWithOffset(g.countedAt, g.offsetMinutes));

describe('any feed', () => {
  it('never throws, whatever the body, and keeps only rows that read as counts', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.json(), fc.jsonValue().map((v) => JSON.stringify({ items: v }))), fc.constantFrom('json' as const, 'csv' as const), (body, format) => {
      const result = parseStockFile(body, format, NOW);
      if (!result.ok) {
        expect(result.issues.length).toBeGreaterThan(0);
        return;
      }
      for (const row of result.rows) {
        expect(row.sku).toMatch(/^[A-Z0-9][A-Z0-9-]{1,30}[A-Z0-9]$/);
        expect(Number.isInteger(row.quantity) && row.quantity >= 0 && row.quantity <= MAX_COUNT).toBe(true);
        expect(row.countedAt).toBeLessThanOrEqual(NOW + 5 * 60_000);
      }
      const lines = [...result.rows, ...result.rejected].map((r) => r.line);
      expect(new Set(lines).size).toBe(lines.length);
    }), { numRuns: 400 });
  });

  it('CSV: every non-blank line after the header is a row kept or a row reported, whatever it holds', () => {
    const cell = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('TP-LV-U', 'EMB-BOX-S', '12', '-1', '"', '""', '2026-11-30T08:00:00Z', ''));
    const line = fc.array(cell, { maxLength: 5 }).chain((cells) => fc.constantFrom(',', ';').map((sep) => cells.join(sep)));
    fc.assert(fc.property(fc.array(line, { maxLength: 40 }), fc.constantFrom('\n', '\r\n', '\r'), (lines, eol) => {
      const data = lines.flatMap((l) => l.split(/\r\n|\n|\r/));
      const result = parsed(`sku,quantity,counted_at${eol}${data.join(eol)}`, 'csv');
      const expectedLines = data.flatMap((l, i) => (l.trim() === '' ? [] : [i + 2]));
      expect([...result.rows, ...result.rejected].map((r) => r.line).sort((a, b) => a - b)).toEqual(expectedLines);
    }), { numRuns: 300 });
  });

  it('CSV: in any order, separator, quoting, BOM and line ending, the valid rows survive with their lines and every broken row is reported', () => {
    fc.assert(fc.property(
      mixed, fc.constantFrom(',', ';'), fc.boolean(), fc.boolean(), fc.constantFrom('\n', '\r\n'), fc.boolean(),
      ({ rows, good, bad }, separator, quote, bom, eol, swapColumns) => {
        const q = (text: string) => (quote ? `"${text.replace(/"/g, '""')}"` : text);
        const cells = (sku: string, quantity: string, counted: string) => (swapColumns ? [q(counted), q(quantity), q(sku)] : [q(sku), q(quantity), q(counted)]);
        const header = swapColumns ? ['counted_at', 'quantity', 'sku'] : ['sku', 'quantity', 'counted_at'];
        const body = [header, ...rows.map((r) => ('good' in r
          ? cells(r.good.sku, String(r.good.quantity), goodInstant(r.good))
          : cells(r.bad.sku, r.bad.quantity, r.bad.countedAt)))].map((cols) => cols.join(separator)).join(eol);
        const result = parsed(`${bom ? '\uFEFF' : ''}${body}${eol}`, 'csv');
        const lineOf = (row: unknown) => rows.indexOf(row as never) + 2;
        expect(result.rows).toEqual(
          rows.flatMap((r) => ('good' in r ? [{ line: lineOf(r), sku: r.good.sku, quantity: r.good.quantity, countedAt: r.good.countedAt ?? NOW }] : [])),
        );
        expect(result.rejected.map((r) => r.line)).toEqual(rows.flatMap((r) => ('bad' in r ? [lineOf(r)] : [])));
        expect(result.rows).toHaveLength(good.length);
        expect(result.rejected).toHaveLength(bad.length);
      },
    ), { numRuns: 300 });
  });

  it('JSON: the same, items numbered from 1', () => {
    fc.assert(fc.property(mixed, ({ rows }) => {
      const items = rows.map((r) => ('good' in r
        ? { sku: r.good.sku, quantity: r.good.quantity, ...(r.good.countedAt === null ? {} : { counted_at: goodInstant(r.good) }) }
        : { sku: r.bad.sku, quantity: r.bad.jsonQuantity, ...(r.bad.countedAt ? { counted_at: r.bad.countedAt } : {}) }));
      const result = parsed(JSON.stringify({ items }), 'json');
      expect(result.rows).toEqual(rows.flatMap((r, i) => ('good' in r ? [{ line: i + 1, sku: r.good.sku, quantity: r.good.quantity, countedAt: r.good.countedAt ?? NOW }] : [])));
      expect(result.rejected.map((r) => r.line)).toEqual(rows.flatMap((r, i) => ('bad' in r ? [i + 1] : [])));
    }), { numRuns: 300 });
  });

  it('a sku repeated anywhere is applied on none of its lines', () => {
    fc.assert(fc.property(goods.filter((g) => g.length > 0), fc.nat(), fc.nat(), (good, which, where) => {
      const twice = good[which % good.length]!;
      const lines = good.map((g) => `${g.sku},${g.quantity}`);
      lines.splice(where % (lines.length + 1), 0, `${twice.sku},${twice.quantity + (twice.quantity === MAX_COUNT ? -1 : 1)}`);
      const result = parsed(`sku,quantity\n${lines.join('\n')}\n`, 'csv');
      expect(result.rows.map((r) => r.sku).sort()).toEqual(good.filter((g) => g !== twice).map((g) => g.sku).sort());
      expect(result.rejected.map((r) => r.sku)).toEqual([twice.sku, twice.sku]);
    }), { numRuns: 200 });
  });
});
