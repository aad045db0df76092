/** The tests' own page-path oracle (test/expected-paths.ts), pinned by slugs written out by hand. */
import { describe, expect, it } from 'vitest';
import { expectedCommunePath, expectedOfficePath } from '../expected-paths';

describe('expected page paths', () => {
  it.each([
    [{ id: '15015A', name: 'Sartrouville Principal', commune: 'Sartrouville' }, '/bureaux/sartrouville-principal-15015a'],
    [{ id: 'D000042', name: 'Tabac Presse Gare', commune: 'Saint-Étienne' }, '/bureaux/tabac-presse-gare-saint-etienne-d000042'],
    [{ id: 'D005999', name: 'Boulangerie Hôtel de Ville', commune: 'Monaco' }, '/bureaux/boulangerie-hotel-de-ville-monaco-d005999'],
    [{ id: 'D000049', name: 'Boisol Jean Jaurès', commune: 'Boisol' }, '/bureaux/boisol-jean-jaures-d000049'],
    [{ id: 'X1', name: 'Saint-Denisville', commune: 'Saint-Denis' }, '/bureaux/saint-denisville-saint-denis-x1'],
    [{ id: 'X2', name: 'Gare de Saint-Denis', commune: 'Saint-Denis' }, '/bureaux/gare-de-saint-denis-x2'],
    [{ id: 'X3', name: 'L’Œuvre', commune: 'Châlons' }, '/bureaux/l-oeuvre-chalons-x3'],
  ])('%o → %s', (location, path) => {
    expect(expectedOfficePath(location)).toBe(path);
  });

  it('builds commune paths from the name and the INSEE code', () => {
    expect(expectedCommunePath({ name: 'L’Isle-Adam', inseeCode: '95313' })).toBe('/communes/l-isle-adam-95313');
    expect(expectedCommunePath({ name: 'Ajaccio', inseeCode: '2A004' })).toBe('/communes/ajaccio-2a004');
  });
});
