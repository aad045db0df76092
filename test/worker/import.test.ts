import { describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { locations } from '../../db/schema';
import { mapOpenDataRecord, type ImportedLocation } from '../../tools/imports/open-data';
import { db, load } from './seed';

const HEADER_FREE_ROWS = [
  '15015A;SARTROUVILLE PRINCIPAL BP;Bureau de Poste;;PLACE ALEXANDRE DUMAS;;;78500;SARTROUVILLE;78586;FRANCE;48.943878;2.189764;Géocodé au numéro;3631;48.943878, 2.189764',
  '15018A;TACOIGNIERES AP;Agence postale communale;15015A;1 RUE CLOS DE L ISLE;;;78910;TACOIGNIERES;78605;FRANCE;48.835799;1.675933;Géocodé au numéro;3631;48.835799, 1.675933',
  '11111A;ST DENIS CHAUDRON BP;Bureau de Poste;;RUE DU CHAUDRON;;;97490;ST DENIS;97411;FRANCE;-20.8842;55.4921;Géocodé au numéro;3631;-20.8842, 55.4921',
];

const mapped = (lines: string[]): ImportedLocation[] =>
  lines.map((line) => {
    const result = mapOpenDataRecord(line.split(';'));
    if (!result.ok) throw new Error(result.reason);
    return result.location;
  });

async function all() {
  return db().select().from(locations).orderBy(locations.id).all();
}

describe('re-importing the open data', () => {
  it('is idempotent, updates changed rows, closes vanished ones and reopens returning ones', async () => {
    const first = await load(mapped(HEADER_FREE_ROWS), 'open_data', '2026-11-01T08:00:00Z');
    expect(first.inserts).toHaveLength(3);

    const again = await load(mapped(HEADER_FREE_ROWS), 'open_data', '2026-11-02T08:00:00Z');
    expect(again).toMatchObject({ inserts: [], updates: [], unchanged: 3, closes: [] });
    const afterSecond = await all();
    expect(afterSecond).toHaveLength(3);
    expect(afterSecond.every((r) => r.updatedAt === '2026-11-01T08:00:00Z')).toBe(true);

    // One office moves, one disappears from the file.
    const moved = HEADER_FREE_ROWS[0].replace('PLACE ALEXANDRE DUMAS', '2 RUE DE LA GARE');
    const third = await load(mapped([moved, HEADER_FREE_ROWS[2]]), 'open_data', '2026-11-03T08:00:00Z');
    expect(third.updates.map((l) => l.id)).toEqual(['15015A']);
    expect(third.closes).toEqual(['15018A']);
    const rows = await all();
    expect(rows).toHaveLength(3);
    const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
    expect(byId['15015A']).toMatchObject({ addressLine: '2 RUE DE LA GARE', updatedAt: '2026-11-03T08:00:00Z', status: 'active' });
    expect(byId['15018A']).toMatchObject({ status: 'closed', closedAt: '2026-11-03T08:00:00Z', name: 'Tacoignieres' });
    expect(byId['11111A']).toMatchObject({ updatedAt: '2026-11-01T08:00:00Z', timeZone: 'Indian/Reunion', name: 'Saint-Denis Chaudron' });

    // The closed agency comes back: reopened, same row.
    await load(mapped([moved, ...HEADER_FREE_ROWS.slice(1)]), 'open_data', '2026-11-04T08:00:00Z');
    const back = await db().select().from(locations).where(eq(locations.id, '15018A')).get();
    expect(back).toMatchObject({ status: 'active', closedAt: null, createdAt: '2026-11-01T08:00:00Z' });
  });

  it('never closes rows of another source', async () => {
    await load(mapped(HEADER_FREE_ROWS), 'open_data');
    const demo = { ...mapped(HEADER_FREE_ROWS.slice(0, 1))[0], id: 'D000001', source: 'demo' as const };
    await load([demo], 'demo');
    const plan = await load(mapped(HEADER_FREE_ROWS.slice(0, 1)), 'open_data');
    expect(plan.closes.sort()).toEqual(['11111A', '15018A']);
    const kept = await db().select().from(locations).where(eq(locations.id, 'D000001')).get();
    expect(kept?.status).toBe('active');
  });
});
