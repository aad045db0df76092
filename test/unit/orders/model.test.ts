/**
 * The rules of an order, pure: lines (well formed, each product once,
 * 1 to 20 units, 1 to 20 lines), which products the online shop serves
 * and why not, totals in integer cents, and which lines of a past order a
 * reorder keeps. Over random catalogues and orders (fast-check), the
 * expectations come from a decision table and BigInt sums written here,
 * not from the module under test.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkLines, describeUnavailable, formQuantity, itemCount, MAX_LINES, MAX_QUANTITY, orderHistoryDetail, paymentLabel,
  planFingerprint, priceLines, type ProductFacts, readSelection, reorderPlan, totalCents, unavailabilityOf, unavailableSentence,
  writeSelection,
} from '../../../worker/orders/model';

const skuArb = fc.stringMatching(/^[A-Z][A-Z0-9]{1,5}-[A-Z0-9]{1,6}$/);

const productArb = (sku: string) => fc.record({
  sku: fc.constant(sku),
  name: fc.string({ minLength: 1, maxLength: 30 }),
  priceCents: fc.integer({ min: 1, max: 10_000_000 }),
  soldOnline: fc.boolean(),
  onlineStock: fc.integer({ min: 0, max: 40 }),
  withdrawnAt: fc.option(fc.integer({ min: 1, max: 2e12 }), { nil: null }),
});

/** A catalogue of distinct skus, with the products. */
const catalogueArb = fc.uniqueArray(skuArb, { minLength: 1, maxLength: 12 })
  .chain((skus) => fc.tuple(...skus.map(productArb)))
  .map((list) => new Map<string, ProductFacts>(list.map((p) => [p.sku, p])));

/** The decision table: what the shop says of a product and a quantity, in the order a customer needs to hear it. */
function oracle(product: ProductFacts | undefined, quantity: number): string | undefined {
  if (product === undefined) return 'unknown';
  if (product.withdrawnAt !== null) return 'withdrawn';
  if (product.soldOnline === false) return 'not_online';
  if (product.onlineStock === 0) return 'sold_out';
  if (quantity > product.onlineStock) return 'short';
  return undefined;
}

const bigSum = (lines: Array<{ unitPriceCents: number; quantity: number }>) =>
  lines.reduce((sum, l) => sum + BigInt(l.unitPriceCents) * BigInt(l.quantity), 0n);

describe('lines', () => {
  it('accepts 1 to 20 distinct well-formed skus with whole quantities from 1 to 20, upper-casing them', () => {
    expect(checkLines([{ sku: ' tp-lv-c12 ', quantity: 3 }, { sku: 'EMB-BOX-M', quantity: 20 }])).toEqual({
      ok: true, lines: [{ sku: 'TP-LV-C12', quantity: 3 }, { sku: 'EMB-BOX-M', quantity: 20 }],
    });
    fc.assert(fc.property(fc.uniqueArray(skuArb, { minLength: 1, maxLength: MAX_LINES }), fc.integer({ min: 1, max: MAX_QUANTITY }), (skus, quantity) => {
      const checked = checkLines(skus.map((sku) => ({ sku, quantity })));
      expect(checked.ok).toBe(true);
    }));
  });

  it('names each field at fault, with a French reason', () => {
    expect(checkLines([
      { sku: 'TP-LV-C12', quantity: 0 }, { sku: 'TP-LV-C12', quantity: 1 }, { sku: 'x', quantity: 1.5 }, { sku: 42, quantity: '3' },
    ])).toEqual({
      ok: false,
      problems: [
        { name: 'lines[0].quantity', reason: 'quantité : un nombre entier de 1 à 20' },
        { name: 'lines[1].sku', reason: 'article déjà commandé à la ligne 1 : une ligne par article' },
        { name: 'lines[2].sku', reason: 'référence d’article mal formée (exemple : TP-LV-C12)' },
        { name: 'lines[2].quantity', reason: 'quantité : un nombre entier de 1 à 20' },
        { name: 'lines[3].sku', reason: 'référence d’article mal formée (exemple : TP-LV-C12)' },
        { name: 'lines[3].quantity', reason: 'quantité : un nombre entier de 1 à 20' },
      ],
    });
    expect(checkLines([])).toEqual({ ok: false, problems: [{ name: 'lines', reason: 'au moins une ligne' }] });
    const many = Array.from({ length: 21 }, (_, i) => ({ sku: `SKU-${i}`, quantity: 1 }));
    expect(checkLines(many)).toMatchObject({ ok: false, problems: [{ name: 'lines', reason: '20 lignes au plus' }] });
  });

  it('refuses every quantity that is not a whole number from 1 to 20', () => {
    fc.assert(fc.property(fc.oneof(fc.double(), fc.integer(), fc.constant(Number.NaN)), (quantity) => {
      const checked = checkLines([{ sku: 'TP-LV-C12', quantity }]);
      const acceptable = Number.isInteger(quantity) && quantity >= 1 && quantity <= 20;
      expect(checked.ok).toBe(acceptable);
    }));
  });

  it('reads a typed quantity: digits only, empty is none', () => {
    expect(formQuantity('')).toBeUndefined();
    expect(formQuantity('  ')).toBeUndefined();
    expect(formQuantity(' 3 ')).toBe(3);
    expect(formQuantity('2,5')).toBeNaN();
    expect(formQuantity('-1')).toBeNaN();
    expect(formQuantity('1e3')).toBeNaN();
  });
});

describe('what the online shop serves', () => {
  it('says why not as the decision table does', () => {
    fc.assert(fc.property(catalogueArb, fc.integer({ min: 1, max: 20 }), fc.boolean(), (catalogue, quantity, unknown) => {
      const products = [...catalogue.values()];
      const product = unknown ? undefined : products[quantity % products.length];
      expect(unavailabilityOf(product, quantity)).toBe(oracle(product, quantity));
    }));
  });

  it('prices an order only when every line is served, else names exactly the lines that are not', () => {
    fc.assert(fc.property(
      catalogueArb.chain((catalogue) => fc.tuple(
        fc.constant(catalogue),
        fc.uniqueArray(fc.oneof(fc.constantFrom(...catalogue.keys()), skuArb), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 8, maxLength: 8 }),
      )),
      ([catalogue, skus, quantities]) => {
        const lines = skus.map((sku, i) => ({ sku, quantity: quantities[i]! }));
        const failing = lines.filter((l) => oracle(catalogue.get(l.sku), l.quantity) !== undefined);
        const result = priceLines(lines, catalogue);
        if (failing.length === 0) {
          expect(result.ok).toBe(true);
          if (!result.ok) return;
          expect(result.lines.map((l) => [l.sku, l.quantity, l.name, l.unitPriceCents]))
            .toEqual(lines.map((l) => [l.sku, l.quantity, catalogue.get(l.sku)!.name, catalogue.get(l.sku)!.priceCents]));
          expect(BigInt(result.totalCents)).toBe(bigSum(result.lines));
        } else {
          expect(result).toEqual({
            ok: false,
            unavailable: failing.map((l) => ({
              sku: l.sku, name: catalogue.get(l.sku)?.name ?? null, reason: oracle(catalogue.get(l.sku), l.quantity), available: catalogue.get(l.sku)?.onlineStock ?? 0,
            })),
          });
        }
      },
    ));
  });

  it('names items as customers read them', () => {
    const item = { sku: 'COL-2026-03', name: 'Collection « Phares de Bretagne » 2026', available: 0 };
    expect(describeUnavailable({ ...item, reason: 'withdrawn' })).toBe('« Collection « Phares de Bretagne » 2026 » n’est plus vendu');
    expect(describeUnavailable({ ...item, reason: 'sold_out' })).toBe('« Collection « Phares de Bretagne » 2026 » est épuisé en ligne');
    expect(describeUnavailable({ ...item, reason: 'not_online' })).toBe('« Collection « Phares de Bretagne » 2026 » n’est pas vendu en ligne');
    expect(describeUnavailable({ ...item, reason: 'short', available: 2 })).toBe('« Collection « Phares de Bretagne » 2026 » : plus que 2 en ligne');
    expect(describeUnavailable({ sku: 'ZZ-1', name: null, reason: 'unknown', available: 0 })).toBe('L’article ZZ-1 n’existe pas au catalogue');
    expect(unavailableSentence([
      { sku: 'A-1', name: 'Carnet', reason: 'withdrawn', available: 0 }, { sku: 'B-2', name: 'Boîte', reason: 'sold_out', available: 0 },
    ])).toBe('« Carnet » n’est plus vendu ; « Boîte » est épuisé en ligne.');
  });
});

describe('totals in cents', () => {
  const linesArb = fc.array(fc.record({ unitPriceCents: fc.integer({ min: 0, max: 10_000_000 }), quantity: fc.integer({ min: 1, max: 20 }) }), { maxLength: 20 });

  it('is the exact integer sum of price × quantity, whatever the order of the lines', () => {
    fc.assert(fc.property(linesArb, fc.func(fc.integer()), (lines, key) => {
      const total = totalCents(lines);
      expect(Number.isSafeInteger(total)).toBe(true);
      expect(BigInt(total)).toBe(bigSum(lines));
      const shuffled = [...lines].sort((a, b) => key(a.unitPriceCents) - key(b.unitPriceCents));
      expect(totalCents(shuffled)).toBe(total);
    }));
  });

  it('adds up over orders put together, and counts units', () => {
    fc.assert(fc.property(linesArb, linesArb, (a, b) => {
      expect(totalCents([...a, ...b])).toBe(totalCents(a) + totalCents(b));
      expect(itemCount([...a, ...b])).toBe(a.reduce((n, l) => n + l.quantity, 0) + b.reduce((n, l) => n + l.quantity, 0));
    }));
    // Cents never become floating euros: 3 × 0,10 € is 0,30 €, not 0.30000000000000004.
    expect(totalCents([{ unitPriceCents: 10, quantity: 3 }])).toBe(30);
  });

  it('writes the history detail with reference, units and total, no address', () => {
    expect(orderHistoryDetail('CMD-ABCDEFGH', 1, 152)).toMatch(/^CMD-ABCDEFGH · 1 article · 1,52\s€$/);
    expect(orderHistoryDetail('CMD-ABCDEFGH', 5, 123456)).toMatch(/^CMD-ABCDEFGH · 5 articles · 1\s234,56\s€$/);
  });

  it('says where the payment stands (online card payment is not built)', () => {
    expect(paymentLabel('paid_at_counter', 'home')).toBe('Payée au guichet');
    expect(paymentLabel('paid_at_counter', 'collect')).toBe('Payée au guichet');
    expect(paymentLabel('due', 'collect')).toBe('À payer au guichet au moment du retrait');
    expect(paymentLabel('due', 'home')).toContain('le paiement en ligne n’est pas encore ouvert');
  });
});

describe('ordering again', () => {
  const pastArb = catalogueArb.chain((catalogue) => fc.tuple(
    fc.constant(catalogue),
    fc.uniqueArray(fc.constantFrom(...catalogue.keys()), { minLength: 1, maxLength: 12 }).chain((skus) => fc.tuple(...skus.map((sku) => fc.record({
      sku: fc.constant(sku), name: fc.string({ minLength: 1, maxLength: 20 }), quantity: fc.integer({ min: 1, max: 20 }), unitPriceCents: fc.integer({ min: 1, max: 100_000 }),
    })))),
  ));

  it('keeps exactly the lines still on sale, sold online and in stock online, and names the others with why', () => {
    fc.assert(fc.property(pastArb, ([catalogue, past]) => {
      const plan = reorderPlan(past, catalogue);
      // A partition of the past lines, in their order.
      const keptSkus = new Set(plan.kept.map((l) => l.sku));
      const droppedSkus = new Set(plan.dropped.map((l) => l.sku));
      expect([...keptSkus].filter((s) => droppedSkus.has(s))).toEqual([]);
      expect(past.filter((l) => keptSkus.has(l.sku) || droppedSkus.has(l.sku))).toHaveLength(past.length);
      expect(plan.kept.map((l) => l.sku)).toEqual(past.filter((l) => keptSkus.has(l.sku)).map((l) => l.sku));

      for (const line of past) {
        const product = catalogue.get(line.sku)!;
        const why = oracle(product, 1);
        if (why === undefined) {
          const kept = plan.kept.find((l) => l.sku === line.sku)!;
          // Today's name and price; the past quantity, or what is left online.
          expect(kept.name).toBe(product.name);
          expect(kept.unitPriceCents).toBe(product.priceCents);
          expect(kept.quantity).toBe(line.quantity <= product.onlineStock ? line.quantity : product.onlineStock);
          expect(kept.quantity).toBeGreaterThanOrEqual(1);
          expect(kept.reducedFrom).toBe(line.quantity > product.onlineStock ? line.quantity : null);
        } else {
          // Named as it was sold, with why.
          expect(plan.dropped.find((l) => l.sku === line.sku)).toEqual({ sku: line.sku, name: line.name, reason: why, available: 0 });
        }
      }
      expect(BigInt(plan.totalCents)).toBe(bigSum(plan.kept));
      // What is kept can be priced as it is: a reorder of the plan is never refused for stock read at the same time.
      if (plan.kept.length) expect(priceLines(plan.kept, catalogue).ok).toBe(true);
    }));
  });

  it('fingerprints what the confirmation shows: another quantity or price is another fingerprint', () => {
    const kept = [{ sku: 'A-1', quantity: 2, unitPriceCents: 152 }, { sku: 'B-2', quantity: 1, unitPriceCents: 990 }];
    expect(planFingerprint(kept)).toBe('A-1*2@152,B-2*1@990');
    expect(planFingerprint([{ ...kept[0]!, quantity: 1 }, kept[1]!])).not.toBe(planFingerprint(kept));
    expect(planFingerprint([{ ...kept[0]!, unitPriceCents: 153 }, kept[1]!])).not.toBe(planFingerprint(kept));
  });
});

describe('the clerk’s selection between catalogue pages', () => {
  it('reads back what it wrote, and drops what it did not', () => {
    fc.assert(fc.property(fc.uniqueArray(skuArb, { maxLength: MAX_LINES }), fc.integer({ min: 1, max: MAX_QUANTITY }), (skus, quantity) => {
      const selection = new Map(skus.map((sku) => [sku, quantity]));
      expect(readSelection(writeSelection(selection))).toEqual(selection);
    }));
    expect(readSelection('TP-LV-C12*2,bad,EMB-BOX-M*0,EMB-BOX-L*21,EMB-BOX-S*3')).toEqual(new Map([['TP-LV-C12', 2], ['EMB-BOX-S', 3]]));
    expect(readSelection(null)).toEqual(new Map());
  });
});
