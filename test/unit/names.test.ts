import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  communeSlug, displayLocationName, displayPlaceName, idFromLocationSlug, inseeFromCommuneSlug, locationSlug, slugify,
} from '../../worker/locations/names';

describe('display names', () => {
  it.each([
    ['SARTROUVILLE PRINCIPAL BP', 'Sartrouville Principal'],
    ['TACOIGNIERES AP', 'Tacoignieres'],
    ['ST PIERRE BOIS D OLIVES BP', 'Saint-Pierre Bois d’Olives'],
    ['TOULON STE MUSSE BP', 'Toulon Sainte-Musse'],
    ['L ISLE ADAM BP', 'L’Isle Adam'],
    ['VALENCE D ALBIGEOIS BP', 'Valence d’Albigeois'],
    ['PARIS PORTE D\'ORLEANS BP', 'Paris Porte d’Orleans'],
    ['SIX FOURS LES PLAGES', 'Six Fours les Plages'],
    ['BAGNOLS SUR CEZE A. DAUDET BP', 'Bagnols sur Ceze A. Daudet'],
    ['PREIGNAC RPU RP', 'Preignac RPU'],
    ['PARIS REINE BLANCHE /AUSTERLITZ', 'Paris Reine Blanche / Austerlitz'],
    ['LA SEYNE LA NAVALE', 'La Seyne La Navale'],
    ['BP', 'BP'],
  ])('%s → %s', (source, shown) => {
    expect(displayLocationName(source)).toBe(shown);
  });

  it('spells out saints in communes', () => {
    expect(displayPlaceName('STE ROSE')).toBe('Sainte-Rose');
    expect(displayPlaceName('ST DENIS')).toBe('Saint-Denis');
  });

  it('never throws and always gives a name that slugs to something', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[A-Z][A-Z']{0,7}$/), { minLength: 1, maxLength: 6 }), (words) => {
        const shown = displayPlaceName(words.join(' '));
        expect(shown.length).toBeGreaterThan(0);
        expect(slugify(shown).replace(/-/g, '')).not.toBe('');
      }),
    );
  });
});

describe('slugs', () => {
  it('builds readable office slugs that end with the id', () => {
    expect(locationSlug({ id: '15015A', name: 'Sartrouville Principal', commune: 'Sartrouville' })).toBe('sartrouville-principal-15015a');
    expect(locationSlug({ id: 'D000042', name: 'Tabac Presse Gare', commune: 'Saint-Étienne' })).toBe('tabac-presse-gare-saint-etienne-d000042');
    expect(communeSlug({ name: 'L’Isle-Adam', inseeCode: '95313' })).toBe('l-isle-adam-95313');
    expect(inseeFromCommuneSlug('ajaccio-2a004')).toBe('2A004');
  });

  it('always gives back the id, whatever the name', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.stringMatching(/^[0-9A-Z]{1,12}$/), (name, commune, id) => {
        const slug = locationSlug({ id, name, commune });
        expect(slug).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
        expect(idFromLocationSlug(slug)).toBe(id);
      }),
    );
  });
});
