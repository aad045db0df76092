import { describe, expect, it } from 'vitest';
import { arrondissementOf, decodeCommunes, encodeCommunes, type FrenchCommune } from '../../worker/locator/communes-fr';
import { closeEnough } from '../../worker/locator/text';

describe('closeEnough', () => {
  it.each([
    ['marseile', 'marseille', 1], ['lile', 'lille', 1], ['bordaux', 'bordeaux', 1], ['lyno', 'lyon', 1],
    ['lille', 'lille', 0], ['toulouse', 'tuolouse', 1], ['strasbourg', 'strasborug', 1],
  ])('%s is %i edit(s) from %s', (a, b, d) => {
    expect(closeEnough(a, b, 2)).toBe(d);
  });

  it.each([['lile', 'lyon'], ['gare', 'garenne'], ['paris', 'pau']])('%s is not within one edit of %s', (a, b) => {
    expect(closeEnough(a, b, 1)).toBeUndefined();
  });
});

describe('the compact commune list', () => {
  it('decodes what it encodes', () => {
    const list: FrenchCommune[] = [
      { code: '01001', name: 'L\'Abergement-Clémenciat', department: '01', postcodes: ['01400'], epci: 3, population: 16 },
      { code: '01002', name: 'L\'Abergement-de-Varey', department: '01', postcodes: ['01400'], epci: 3, population: 13 },
      { code: '01004', name: 'Ambérieu-en-Bugey', department: '01', postcodes: ['01500'], epci: null, population: 23 },
      { code: '2A004', name: 'Ajaccio', department: '2A', postcodes: ['20000', '20090'], epci: 7, population: 25 },
      { code: '97101', name: 'Les Abymes', department: '971', postcodes: [], epci: 8, population: 25 },
    ];
    expect(decodeCommunes(encodeCommunes(list))).toEqual(list);
  });

  it('knows the arrondissements of Paris, Lyon and Marseille', () => {
    expect(arrondissementOf('75111')).toBe('75056');
    expect(arrondissementOf('69383')).toBe('69123');
    expect(arrondissementOf('13213')).toBe('13055');
    expect(arrondissementOf('75056')).toBeUndefined();
    expect(arrondissementOf('13055')).toBeUndefined();
  });
});
