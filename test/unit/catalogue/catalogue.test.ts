/**
 * The catalogue's pure parts: the keyset cursor (opaque, canonical, never
 * a 500), reading a sku as typed, and matching words of a name without
 * regard to accents or case. Expectations are written out or derived
 * with this file's own folding.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { demoCatalogue } from '../../../tools/demo/catalogue';
import { canonicalSku, catalogueOrder, decodeProductCursor, encodeProductCursor, matchesWords, searchWords } from '../../../worker/catalogue/catalogue';

const names = demoCatalogue().map((p) => ({ name: p.name, sku: p.sku }));
/** This file's own folding: lower-case ASCII words, accents removed. */
const fold = (text: string) => text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/œ/g, 'oe').split(/[^a-z0-9]+/).filter(Boolean);
const skuArb = fc.stringMatching(/^[A-Z0-9][A-Z0-9-]{1,30}[A-Z0-9]$/);

describe('the product cursor', () => {
  it('reads back what it writes, for any name', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200, unit: 'grapheme' }), skuArb, (name, sku) => {
      expect(decodeProductCursor(encodeProductCursor({ name, sku }))).toEqual({ name, sku });
    }));
  });

  it('is opaque base64url, without padding', () => {
    expect(encodeProductCursor({ name: 'Boîte Colissimo taille S', sku: 'EMB-BOX-S' })).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('refuses anything it did not write as it writes it', () => {
    const good = encodeProductCursor({ name: 'Carnet', sku: 'TP-LV-C12' });
    const b64 = (text: string) => Buffer.from(text).toString('base64url');
    for (const bad of [
      '', 'abc', `${good}=`, `${good}A`, good.slice(0, -1),
      b64('{"sku":"TP-LV-C12","name":"Carnet"}'), // other key order
      b64('{"name": "Carnet", "sku": "TP-LV-C12"}'), // other spacing
      b64('{"name":"Carnet","sku":"tp-lv-c12"}'), // not a sku
      b64('{"name":"Carnet"}'), b64('{"name":1,"sku":"TP-LV-C12"}'), b64('[1,2]'), b64('null'), b64('{"name":"Carnet","sku":"TP-LV-C12"'),
      b64(`{"name":"${'x'.repeat(301)}","sku":"TP-LV-C12"}`),
    ]) {
      expect(decodeProductCursor(bad), bad).toBeUndefined();
    }
  });

  it('never throws on any input', () => {
    fc.assert(fc.property(fc.string({ maxLength: 500 }), (text) => {
      const cursor = decodeProductCursor(text);
      if (cursor) expect(encodeProductCursor(cursor)).toBe(text);
    }));
  });
});

describe('a sku as typed', () => {
  it.each([
    ['TP-LV-C12', 'TP-LV-C12'], ['tp-lv-c12', 'TP-LV-C12'], ['  col-2026-03 ', 'COL-2026-03'],
    ['A', undefined], ['TP_LV', undefined], ['-TP', undefined], ['TP-', undefined], ['TP LV', undefined], [`A${'B'.repeat(32)}`, undefined],
  ])('%j → %j', (typed, sku) => {
    expect(canonicalSku(typed)).toBe(sku);
  });
});

describe('words of a name', () => {
  it('fold accents, case, punctuation and elisions', () => {
    expect(searchWords('Collection « Châteaux de la Loire » 2026')).toEqual(['collection', 'chateaux', 'de', 'la', 'loire', '2026']);
    expect(searchWords('Carte « Meilleurs vœux » prête à poster')).toEqual(['carte', 'meilleurs', 'voeux', 'prete', 'a', 'poster']);
    expect(searchWords('Trains d’autrefois')).toEqual(['trains', 'd', 'autrefois']);
    expect(searchWords('  ')).toEqual([]);
  });

  it('match when each searched word begins a word of the name or sku, in any order, case or accent', () => {
    fc.assert(fc.property(
      fc.constantFrom(...names),
      fc.func(fc.boolean()),
      fc.integer({ min: 1, max: 4 }),
      fc.nat(),
      (product, upper, count, seed) => {
        const own = fold(`${product.name} ${product.sku}`);
        // Some of its words, cut to a prefix, in another order, some in capitals.
        const picked = Array.from({ length: count }, (_, i) => own[(seed + i * 7) % own.length]!)
          .map((w, i) => w.slice(0, 1 + ((seed + i) % w.length)))
          .reverse()
          .map((w, i) => (upper(i) ? w.toUpperCase() : w));
        expect(matchesWords(product, searchWords(picked.join(' ')))).toBe(true);
      },
    ));
  });

  it('do not match a word found only inside another word, or absent', () => {
    const product = { name: 'Collection « Châteaux de la Loire » 2026', sku: 'COL-2026-02' };
    expect(matchesWords(product, searchWords('CHÂTEAUX loire'))).toBe(true);
    expect(matchesWords(product, searchWords('chateau'))).toBe(true);
    expect(matchesWords(product, searchWords('col 2026 02'))).toBe(true);
    expect(matchesWords(product, searchWords('ateaux'))).toBe(false);
    expect(matchesWords(product, searchWords('chateaux bretagne'))).toBe(false);
    expect(matchesWords(product, [])).toBe(true);
  });

  it('agree with this file’s folding over the whole demo catalogue', () => {
    fc.assert(fc.property(fc.constantFrom(...names), fc.constantFrom('timbre', 'lettre verte', 'pret a poster', 'PRÊT-À-POSTER', 'chateaux', 'phares', '2026', 'emb box', 'ile'), (product, q) => {
      const expected = fold(q).every((w) => fold(`${product.name} ${product.sku}`).some((own) => own.startsWith(w)));
      expect(matchesWords(product, searchWords(q))).toBe(expected);
    }), { numRuns: 500 });
  });
});

describe('the catalogue’s order', () => {
  it.each([
    ['Bloc-feuillet « Châteaux de la Loire »', 'Bloc-feuillet « Chats et chiens »'],
    ['Collection « Légendes du cinéma » 2026', 'Collection « Les oiseaux de nos jardins » 2026'],
    ['Carnet de 6 timbres', 'Carnet de 12 timbres'],
    ['Étiquettes d’adresse', 'Fleurs'],
    ['enveloppe', 'Enveloppe'],
  ])('%s before %s', (a, b) => {
    expect(catalogueOrder({ name: a, sku: 'A-1' }, { name: b, sku: 'A-1' })).toBeLessThan(0);
    expect(catalogueOrder({ name: b, sku: 'A-1' }, { name: a, sku: 'A-1' })).toBeGreaterThan(0);
  });

  it('breaks a tie of names by sku', () => {
    expect(catalogueOrder({ name: 'Boîte', sku: 'EMB-1' }, { name: 'Boîte', sku: 'EMB-2' })).toBeLessThan(0);
    expect(catalogueOrder({ name: 'Boîte', sku: 'EMB-1' }, { name: 'Boîte', sku: 'EMB-1' })).toBe(0);
  });
});
