/**
 * Monaco and Andorra are not France: the country a location is labelled
 * with, in the API and in its page's JSON-LD, from the open-data row as the
 * importer reads it. Expected codes are ISO 3166-1 alpha-2, written out.
 */
import { describe, expect, it } from 'vitest';
import type { LocationRow } from '../../db/schema';
import { mapOpenDataRecord } from '../../tools/imports/open-data';
import { presentLocation } from '../../worker/locations/present';
import { locationJsonLd } from '../../worker/locations/structured-data';

/** An open-data row (the network's own file says `FRANCE` for every one of them). */
const row = (postcode: string, insee: string, commune: string) =>
  `30001A;${commune} BP;Bureau de Poste;;1 RUE DE LA POSTE;;;${postcode};${commune};${insee};FRANCE;43.7;7.4;Géocodé au numéro;3631;`;

function stored(line: string): LocationRow {
  const mapped = mapOpenDataRecord(line.split(';'));
  if (!mapped.ok) throw new Error(mapped.reason);
  return { ...mapped.location, status: 'active', closedAt: null, updatedAt: '2026-11-01T08:00:00Z' } as unknown as LocationRow;
}

describe('country of a location', () => {
  it.each([
    ['98000', '99138', 'MONACO', 'MC'],
    // The real file has a Monaco office under Menton's INSEE code: the 980xx postcode decides.
    ['98000', '06083', 'MONACO FONTVIEILLE', 'MC'],
    ['09999', '99130', 'ANDORRE LA VIEILLE', 'AD'],
    ['78500', '78586', 'SARTROUVILLE', 'FR'],
    ['20000', '2A004', 'AJACCIO', 'FR'],
    ['97490', '97411', 'SAINT DENIS', 'FR'],
    ['97500', '97502', 'SAINT PIERRE', 'FR'],
    ['97133', '97701', 'SAINT BARTHELEMY', 'FR'],
    ['98714', '98714', 'PAPEETE', 'FR'],
    ['98800', '98818', 'NOUMEA', 'FR'],
  ])('%s / %s (%s) → %s in the API and the JSON-LD', (postcode, insee, commune, country) => {
    const location = stored(row(postcode, insee, commune));
    expect(presentLocation(location).address.country).toBe(country);
    expect(locationJsonLd(location, 'https://guichet.example.fr/bureaux/x').address.addressCountry).toBe(country);
  });
});
