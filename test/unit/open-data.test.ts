import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mapOpenDataRecord } from '../../tools/imports/open-data';

const ROW =
  '15015A;SARTROUVILLE PRINCIPAL BP;Bureau de Poste;;PLACE ALEXANDRE DUMAS;;;78500;SARTROUVILLE;78586;FRANCE;48.943878;2.189764;Géocodé au numéro;3631;48.943878, 2.189764';
const fields = (row: string) => row.split(';');
const withField = (index: number, value: string) => fields(ROW).map((f, i) => (i === index ? value : f));

describe('mapping one open-data record', () => {
  it('keeps the source name and derives everything else', () => {
    const result = mapOpenDataRecord(fields(ROW));
    expect(result).toMatchObject({
      ok: true,
      location: {
        id: '15015A', name: 'Sartrouville Principal', sourceName: 'SARTROUVILLE PRINCIPAL BP', type: 'post_office',
        parentId: null, addressLine: 'PLACE ALEXANDRE DUMAS', postcode: '78500', commune: 'Sartrouville',
        inseeCode: '78586', department: '78', latitude: 48.943878, longitude: 2.189764, geocodePrecision: 'address',
        timeZone: 'Europe/Paris', source: 'open_data', stepFreeAccess: null,
      },
    });
  });

  it.each([
    [fields(ROW).slice(0, 15), /expected 16 columns, found 15/],
    [withField(7, '7850'), /invalid postcode "7850"/],
    [withField(11, ''), /missing coordinates/],
    [withField(12, 'east'), /invalid coordinates/],
    [withField(2, 'Kiosque'), /unknown site type "Kiosque"/],
    [withField(9, '7858'), /invalid INSEE code/],
    [withField(0, ''), /invalid site identifier/],
  ])('rejects a bad record with a reason (%#)', (record, reason) => {
    const result = mapOpenDataRecord(record);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it('never throws and only accepts what it can store, whatever the fields hold', () => {
    const edits = fc.array(fc.tuple(fc.integer({ min: 0, max: 15 }), fc.string({ maxLength: 12 })), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(edits, (changes) => {
        const record = fields(ROW);
        for (const [index, value] of changes) record[index] = value;
        const result = mapOpenDataRecord(record);
        if (result.ok) {
          const l = result.location;
          expect(l.postcode).toMatch(/^\d{5}$/);
          expect(Math.abs(l.latitude)).toBeLessThanOrEqual(90);
          expect(Math.abs(l.longitude)).toBeLessThanOrEqual(180);
          expect(l.id).toMatch(/^[0-9A-Z]{1,32}$/);
          expect(l.timeZone).not.toBe('');
        } else {
          expect(result.reason.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 500 },
    );
  });
});

const REAL_FILE = new URL('../../../shared/data/laposte_poincont2.csv', import.meta.url);

describe.runIf(existsSync(REAL_FILE))('the real open-data file', () => {
  it('maps 17,194 of its 17,212 rows and rejects the 18 without coordinates', () => {
    const lines = readFileSync(REAL_FILE, 'utf8').split('\r\n').slice(1).filter(Boolean);
    expect(lines).toHaveLength(17_212);
    const results = lines.map((line) => mapOpenDataRecord(line.split(';')));
    const rejected = results.filter((r) => !r.ok);
    expect(rejected).toHaveLength(18);
    expect(new Set(rejected.map((r) => (r.ok ? '' : r.reason)))).toEqual(new Set(['missing coordinates']));
    const zones = new Set(results.flatMap((r) => (r.ok ? [r.location.timeZone] : [])));
    expect(zones).toEqual(new Set([
      'Europe/Paris', 'America/Guadeloupe', 'America/Martinique', 'America/Cayenne', 'Indian/Reunion',
      'America/Miquelon', 'Indian/Mayotte', 'America/St_Barthelemy', 'America/Marigot', 'Europe/Monaco', 'Europe/Andorra',
    ]));
  });
});
if (!existsSync(REAL_FILE)) console.info(`skipping real open-data checks: ${REAL_FILE.pathname} is absent (see ../shared/data/README.md)`);
