/**
 * @module
 * What a stock count means to a customer, pure: the units that can still
 * be held or sold (counted, less live holds and the safety stock), the
 * band a customer reads ("en stock", "plus que quelques-uns", "épuisé"),
 * the availability Google's local inventory expects, and how old a count
 * is ("compté il y a 3 h"). A count is never perfectly fresh: Guichet says
 * how fresh it is rather than promise a unit it cannot hold.
 */

/** At most this many units left (after holds) reads "plus que quelques-uns". */
export const FEW_LEFT = 2;

/** Largest count a location may declare for one product: above it, a typo (an extra zero) is likelier than a shelf. */
export const MAX_COUNT = 100_000;

export type QuantityBand = 'in_stock' | 'few_left' | 'sold_out';

export const BAND_LABELS: Record<QuantityBand, string> = {
  in_stock: 'en stock',
  few_left: 'plus que quelques-uns',
  sold_out: 'épuisé',
};

/** Units a customer may still hold or buy: never negative (a recount below the holds leaves none). */
export function sellableUnits(counted: number, held: number, safety: number): number {
  return Math.max(0, counted - held - safety);
}

export function bandOf(sellable: number): QuantityBand {
  if (sellable <= 0) return 'sold_out';
  return sellable <= FEW_LEFT ? 'few_left' : 'in_stock';
}

/** Google Merchant Center's `availability` for a band. */
export function merchantAvailability(band: QuantityBand): 'in_stock' | 'limited_availability' | 'out_of_stock' {
  switch (band) {
    case 'in_stock':
      return 'in_stock';
    case 'few_left':
      return 'limited_availability';
    case 'sold_out':
      return 'out_of_stock';
  }
}

/** "compté à l’instant", "compté il y a 12 min", "compté il y a 3 h", "compté il y a 4 jours". */
export function countAge(countedAt: number, now: number): string {
  const minutes = Math.max(0, Math.floor((now - countedAt) / 60_000));
  if (minutes < 1) return 'compté à l’instant';
  if (minutes < 60) return `compté il y a ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `compté il y a ${hours} h`;
  return `compté il y a ${Math.floor(hours / 24)} jours`;
}
