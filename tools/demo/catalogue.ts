/**
 * @module
 * The demo catalogue (about 200 products) and the stock the demo offices
 * hold, so that `npm start` shows the whole story at once: collections
 * sold out online but still on the shelves of offices, items only the
 * online shop carries (the counter orders them: the "endless aisle"), a
 * few withdrawn products (reorders name them).
 *
 * Deterministic: products, the offices that hold each one and the counts
 * depend only on fixed seeds and the network. Counting instants are
 * relative to `now` (up to 3 days ago).
 */
import type { ProductKind } from '../../db/vocabulary';
import { DEFAULT_STOCK_SAFETY_UNITS } from '../../worker/config';
import type { Database } from '../../worker/database';
import { feedRowsRebuild } from '../../worker/stock/inventory-feed';
import type { ImportedLocation } from '../imports/open-data';
import { type Random, seededRandom } from './random';

export const DEMO_CATALOGUE_SEED = 20261201;

export interface DemoProduct {
  sku: string;
  name: string;
  kind: ProductKind;
  priceCents: number;
  description: string;
  soldOnline: boolean;
  onlineStock: number;
  withdrawn: boolean;
  /** Kept on counter shelves (the others are online only). */
  counter: boolean;
}

export interface DemoStockRow {
  locationId: string;
  sku: string;
  quantity: number;
  countedAt: number;
}

const THEMES = [
  'Les oiseaux de nos jardins', 'Châteaux de la Loire', 'Phares de Bretagne', 'Fleurs des Alpes', 'Trains d’autrefois',
  'Métiers d’art', 'Grands navigateurs', 'Jardins remarquables', 'Papillons de France', 'Villages perchés',
  'Capitales européennes', 'Champions olympiques', 'Abbayes romanes', 'Arbres remarquables', 'Légendes du cinéma',
  'Fromages de nos régions', 'Ponts de Paris', 'Volcans d’Auvergne', 'Îles du Ponant', 'Chats et chiens',
];
const YEARS = [2024, 2025, 2026];

/** Fixed products, the counter's everyday range. */
const EVERYDAY: Omit<DemoProduct, 'withdrawn' | 'soldOnline' | 'onlineStock' | 'counter'>[] = [
  { sku: 'TP-LV-U', name: 'Timbre Lettre verte à l’unité – Marianne', kind: 'stamps', priceCents: 152, description: 'Un timbre pour une lettre de moins de 20 g en France, distribuée en 3 jours.' },
  { sku: 'TP-LV-C12', name: 'Carnet de 12 timbres Lettre verte – Marianne', kind: 'stamps', priceCents: 1824, description: 'Douze timbres autocollants pour les lettres de moins de 20 g en France.' },
  { sku: 'TP-LS-C12', name: 'Carnet de 12 timbres Lettre services plus', kind: 'stamps', priceCents: 3120, description: 'Douze timbres pour les envois suivis de moins de 20 g.' },
  { sku: 'TP-INT-C6', name: 'Carnet de 6 timbres Lettre internationale', kind: 'stamps', priceCents: 1260, description: 'Six timbres pour une lettre de moins de 20 g vers l’étranger.' },
  { sku: 'TP-ECO-C12', name: 'Carnet de 12 timbres Écopli', kind: 'stamps', priceCents: 1764, description: 'Douze timbres pour les envois non urgents de moins de 20 g, distribués en 4 jours.' },
  { sku: 'TP-LV-F100', name: 'Feuille de 100 timbres Lettre verte', kind: 'stamps', priceCents: 15200, description: 'Cent timbres gommés pour les envois en nombre des entreprises.' },
  { sku: 'PAP-LV20-10', name: 'Prêt-à-Poster Lettre verte 20 g, lot de 10', kind: 'prepaid_envelope', priceCents: 1690, description: 'Dix enveloppes déjà affranchies, format DL, pour la France.' },
  { sku: 'PAP-LV100-5', name: 'Prêt-à-Poster Lettre verte 100 g, lot de 5', kind: 'prepaid_envelope', priceCents: 1650, description: 'Cinq enveloppes C5 déjà affranchies, jusqu’à 100 g.' },
  { sku: 'PAP-LRAR-1', name: 'Prêt-à-Poster recommandé avec avis de réception', kind: 'prepaid_envelope', priceCents: 890, description: 'Une enveloppe recommandée R1 avec avis de réception, jusqu’à 20 g.' },
  { sku: 'PAP-INT-5', name: 'Prêt-à-Poster Monde 20 g, lot de 5', kind: 'prepaid_envelope', priceCents: 1450, description: 'Cinq enveloppes déjà affranchies pour le monde entier.' },
  { sku: 'EMB-BOX-S', name: 'Boîte Colissimo taille S', kind: 'packaging', priceCents: 250, description: 'Carton de 23 × 13 × 10 cm, se monte sans ruban adhésif.' },
  { sku: 'EMB-BOX-M', name: 'Boîte Colissimo taille M', kind: 'packaging', priceCents: 320, description: 'Carton de 30 × 21 × 15 cm, se monte sans ruban adhésif.' },
  { sku: 'EMB-BOX-L', name: 'Boîte Colissimo taille L', kind: 'packaging', priceCents: 390, description: 'Carton de 40 × 27 × 19 cm, se monte sans ruban adhésif.' },
  { sku: 'EMB-BOX-XL', name: 'Boîte Colissimo taille XL', kind: 'packaging', priceCents: 480, description: 'Carton de 50 × 33 × 24 cm, se monte sans ruban adhésif.' },
  { sku: 'EMB-BUL-S', name: 'Enveloppe à bulles 18 × 23 cm', kind: 'packaging', priceCents: 190, description: 'Enveloppe matelassée pour les petits objets fragiles.' },
  { sku: 'EMB-BUL-L', name: 'Enveloppe à bulles 27 × 36 cm', kind: 'packaging', priceCents: 260, description: 'Enveloppe matelassée pour les livres et les documents épais.' },
  { sku: 'PAE-FR-1', name: 'Prêt-à-Envoyer Colissimo France jusqu’à 1 kg', kind: 'packaging', priceCents: 1190, description: 'Emballage affranchi, suivi compris, livré en 48 h.' },
  { sku: 'PAE-FR-5', name: 'Prêt-à-Envoyer Colissimo France jusqu’à 5 kg', kind: 'packaging', priceCents: 2290, description: 'Grand emballage affranchi, suivi compris, livré en 48 h.' },
];

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const slug = (index: number) => pad(index + 1);

/** The about 200 products of the demo catalogue, always the same. */
export function demoCatalogue(): DemoProduct[] {
  const random = seededRandom(DEMO_CATALOGUE_SEED);
  const products: DemoProduct[] = EVERYDAY.map((p) => ({ ...p, soldOnline: true, onlineStock: 500 + random.int(5000), withdrawn: false, counter: true }));

  // Collections: the story of the issue. Recent ones sell out online within days while offices keep them.
  THEMES.forEach((theme, t) => {
    YEARS.forEach((year) => {
      if (random.chance(0.1)) return;
      const recent = year === 2026;
      const soldOut = recent ? random.chance(0.6) : random.chance(0.2);
      products.push({
        sku: `COL-${year}-${slug(t)}`,
        name: `Collection « ${theme} » ${year}`,
        kind: 'stamp_collection',
        priceCents: 990 + random.int(8) * 250,
        description: `Un feuillet de timbres sur le thème « ${theme} », émis en ${year}, sous pochette illustrée.`,
        soldOnline: true,
        onlineStock: soldOut ? 0 : 20 + random.int(400),
        // An old issue is sometimes withdrawn: a reorder names it.
        withdrawn: year === 2024 && random.chance(0.3),
        counter: recent || random.chance(0.3),
      });
    });
  });

  // Thematic stamps of the year, sold at the counter.
  THEMES.slice(0, 12).forEach((theme, t) => {
    products.push({
      sku: `TP-2026-${slug(t)}`,
      name: `Timbre « ${theme} » 2026, feuillet de 12`,
      kind: 'stamps',
      priceCents: 1824,
      description: `Douze timbres Lettre verte illustrés « ${theme} ».`,
      soldOnline: true,
      onlineStock: random.chance(0.3) ? 0 : 50 + random.int(800),
      withdrawn: false,
      counter: true,
    });
  });

  // Collector's items: online only (the counter orders them).
  THEMES.forEach((theme, t) => {
    products.push({
      sku: `PHI-BF-${slug(t)}`,
      name: `Bloc-feuillet « ${theme} »`,
      kind: 'collector',
      priceCents: 450 + random.int(10) * 100,
      description: `Un bloc-feuillet numéroté « ${theme} », tirage limité.`,
      soldOnline: true,
      onlineStock: random.int(300),
      withdrawn: false,
      counter: false,
    });
  });
  THEMES.forEach((theme, t) => {
    products.push({
      sku: `PHI-EPJ-${slug(t)}`,
      name: `Enveloppe premier jour « ${theme} »`,
      kind: 'collector',
      priceCents: 590,
      description: `L’enveloppe illustrée oblitérée le premier jour d’émission du timbre « ${theme} ».`,
      soldOnline: true,
      onlineStock: random.int(200),
      withdrawn: false,
      counter: false,
    });
    if (t < 12) {
      products.push({
        sku: `PHI-SOU-${slug(t)}`,
        name: `Souvenir philatélique « ${theme} »`,
        kind: 'collector',
        priceCents: 750,
        description: `Une carte souvenir et son timbre gommé « ${theme} », sous pochette.`,
        soldOnline: true,
        onlineStock: random.chance(0.25) ? 0 : random.int(300),
        withdrawn: false,
        counter: t < 3,
      });
    }
  });
  for (const [i, year] of YEARS.entries()) {
    products.push({
      sku: `PHI-LIV-${year}`,
      name: `Le livre des timbres ${year}`,
      kind: 'collector',
      priceCents: 8900 + i * 500,
      description: `Tous les timbres de l’année ${year}, présentés et commentés, avec leurs pochettes de conservation.`,
      soldOnline: true,
      onlineStock: year === 2026 ? 0 : 40 + random.int(200),
      withdrawn: false,
      counter: year === 2026,
    });
  }

  // Illustrated prepaid envelopes by region, online only.
  const REGIONS = ['Bretagne', 'Normandie', 'Provence', 'Alsace', 'Corse', 'Auvergne', 'Occitanie', 'Hauts-de-France', 'Pays de la Loire', 'Bourgogne', 'Guadeloupe', 'La Réunion'];
  REGIONS.forEach((region, r) => {
    products.push({
      sku: `PAP-ILL-${slug(r)}`,
      name: `Prêt-à-Poster illustré « ${region} », lot de 5`,
      kind: 'prepaid_envelope',
      priceCents: 990,
      description: `Cinq enveloppes illustrées de paysages de ${region}, affranchies pour la France.`,
      soldOnline: true,
      onlineStock: 30 + random.int(500),
      withdrawn: r === 11,
      counter: false,
    });
  });

  // Packaging in more sizes and stationery: the deep online catalogue.
  const SIZES = ['A5', 'A4', 'A3', '25 × 35 cm', '32 × 45 cm'];
  for (const [i, size] of SIZES.entries()) {
    products.push({ sku: `EMB-POC-${slug(i)}`, name: `Pochette carton ${size}, lot de 10`, kind: 'packaging', priceCents: 690 + i * 150, description: `Dix pochettes en carton rigide, format ${size}, fermeture adhésive.`, soldOnline: true, onlineStock: 100 + random.int(900), withdrawn: false, counter: false });
    products.push({ sku: `EMB-TUB-${slug(i)}`, name: `Tube d’expédition ${size}`, kind: 'packaging', priceCents: 350 + i * 60, description: `Un tube en carton pour affiches et plans au format ${size}.`, soldOnline: true, onlineStock: 100 + random.int(900), withdrawn: false, counter: false });
    products.push({ sku: `EMB-ISO-${slug(i)}`, name: `Enveloppe isotherme ${size}`, kind: 'packaging', priceCents: 420 + i * 80, description: `Une enveloppe doublée pour les envois sensibles à la chaleur, format ${size}.`, soldOnline: true, onlineStock: random.int(400), withdrawn: false, counter: false });
  }
  const CARDS = ['Joyeux anniversaire', 'Félicitations', 'Meilleurs vœux', 'Merci', 'Bonne fête', 'Naissance', 'Mariage', 'Condoléances', 'Bon rétablissement', 'Bienvenue'];
  CARDS.forEach((card, c) => {
    products.push({ sku: `PAP-CRT-${slug(c)}`, name: `Carte « ${card} » prête à poster`, kind: 'stationery', priceCents: 390, description: `Une carte double illustrée « ${card} » et son enveloppe affranchie.`, soldOnline: true, onlineStock: 50 + random.int(600), withdrawn: false, counter: c < 4 });
    products.push({ sku: `PAP-LOT-${slug(c)}`, name: `Lot de 5 cartes « ${card} »`, kind: 'stationery', priceCents: 1490, description: `Cinq cartes illustrées « ${card} » avec leurs enveloppes.`, soldOnline: true, onlineStock: random.int(300), withdrawn: false, counter: false });
  });
  for (const [i, item] of ['Papier cadeau « Étoiles »', 'Papier cadeau « Forêt »', 'Ruban bolduc doré', 'Étiquettes d’adresse, lot de 50', 'Ruban adhésif d’emballage', 'Carnet de correspondance', 'Bloc de papier à lettres', 'Enveloppes kraft, lot de 25', 'Enveloppes blanches C6, lot de 50', 'Marque-pages philatéliques, lot de 4'].entries()) {
    products.push({ sku: `PAP-DIV-${slug(i)}`, name: item, kind: 'stationery', priceCents: 250 + i * 90, description: `${item}, vendu par La Poste.`, soldOnline: i !== 9, onlineStock: i === 9 ? 0 : 100 + random.int(900), withdrawn: false, counter: i < 5 });
  }
  return products;
}

/**
 * The stock of the demo offices: each post office holds 10 to 18 products
 * of the counter range (more in big towns would be truer; this is enough
 * for every story), agencies a few stamps and envelopes. Counts run from 0
 * to about 40, counted up to 3 days before `now`.
 */
export function demoStock(network: readonly ImportedLocation[], catalogue: readonly DemoProduct[], now: Date): DemoStockRow[] {
  const random = seededRandom(DEMO_CATALOGUE_SEED + 1);
  const counterRange = catalogue.filter((p) => p.counter && !p.withdrawn).map((p) => p.sku);
  const agencyRange = catalogue.filter((p) => p.counter && !p.withdrawn && (p.kind === 'stamps' || p.kind === 'prepaid_envelope') && !p.sku.startsWith('TP-2026')).map((p) => p.sku);
  const rows: DemoStockRow[] = [];
  const count = (r: Random) => (r.chance(0.12) ? 0 : r.chance(0.15) ? 1 + r.int(2) : 3 + r.int(38));
  const countedAt = (r: Random) => now.getTime() - r.int(72 * 60) * 60_000;
  for (const location of network) {
    if (location.type === 'post_office') {
      for (const sku of sample(random, counterRange, 10 + random.int(9))) rows.push({ locationId: location.id, sku, quantity: count(random), countedAt: countedAt(random) });
    } else if (location.type === 'communal_agency' || location.type === 'intercommunal_agency') {
      for (const sku of sample(random, agencyRange, 3 + random.int(3))) rows.push({ locationId: location.id, sku, quantity: count(random), countedAt: countedAt(random) });
    }
  }
  return rows;
}

/** `n` distinct items, in the list's order (partial Fisher–Yates). */
function sample<T>(random: Random, items: readonly T[], n: number): T[] {
  const copy = [...items];
  const take = Math.min(n, copy.length);
  for (let i = 0; i < take; i++) {
    const j = i + random.int(copy.length - i);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, take).sort((a, b) => items.indexOf(a) - items.indexOf(b));
}

/** The settings row that says the demo catalogue and its stock are complete (written last). */
const MARKER = 'demo_catalogue';
const STOCK_CHUNK = 2000;

/**
 * Loads the demo catalogue and the demo offices' stock, then the local
 * inventory feed, once: a completion marker is written last, so a seed
 * stopped half-way is completed by the next start (every insert skips
 * what is there), and a complete one is left alone (staff counts and
 * holds made since are kept).
 */
export async function seedDemoCatalogue(db: Database, network: readonly ImportedLocation[], now: Date): Promise<{ products: number; stockRows: number; skipped: boolean }> {
  const d1 = db.$client;
  const catalogue = demoCatalogue();
  const markerValue = `seed ${DEMO_CATALOGUE_SEED} products ${catalogue.length} locations ${network.length}`;
  const marker = await d1.prepare('select value from settings where name = ?').bind(MARKER).first<{ value: string }>();
  if (marker?.value === markerValue) return { products: catalogue.length, stockRows: 0, skipped: true };
  const at = now.getTime();
  await d1.prepare(`insert into products (sku, name, kind, price_cents, description, sold_online, online_stock, withdrawn_at, updated_at)
    select j.value ->> '$.sku', j.value ->> '$.name', j.value ->> '$.kind', j.value ->> '$.priceCents', j.value ->> '$.description',
      j.value ->> '$.soldOnline', j.value ->> '$.onlineStock', case when j.value ->> '$.withdrawn' then ?2 end, ?2
    from json_each(?1) j where true on conflict (sku) do nothing`)
    .bind(JSON.stringify(catalogue.map((p) => ({ ...p, soldOnline: p.soldOnline ? 1 : 0, withdrawn: p.withdrawn ? 1 : 0 }))), at).run();
  const rows = demoStock(network, catalogue, now);
  const statements = [];
  for (let from = 0; from < rows.length; from += STOCK_CHUNK) {
    const chunk = rows.slice(from, from + STOCK_CHUNK).map((r) => [r.locationId, r.sku, r.quantity, r.countedAt]);
    statements.push(d1.prepare(`insert into location_stock (location_id, sku, quantity, counted_at, version, updated_at)
      select j.value ->> '$[0]', j.value ->> '$[1]', j.value ->> '$[2]', j.value ->> '$[3]', 1, ?2 from json_each(?1) j
      where true on conflict (location_id, sku) do nothing`).bind(JSON.stringify(chunk), at));
  }
  // A few batches rather than one: each stays well under D1's limits on one call.
  for (let i = 0; i < statements.length; i += 10) await d1.batch(statements.slice(i, i + 10));
  await d1.batch([
    d1.prepare(`insert into stock_sheets (location_id, version, updated_at) select distinct location_id, 1, ?1 from location_stock where true on conflict (location_id) do nothing`).bind(at),
    // The demo's feed assumes the default safety stock (the seed runs in Node, without the Worker's variables).
    feedRowsRebuild(d1, at, DEFAULT_STOCK_SAFETY_UNITS),
    d1.prepare('insert into settings (name, value) values (?, ?) on conflict (name) do update set value = excluded.value').bind(MARKER, markerValue),
  ]);
  return { products: catalogue.length, stockRows: rows.length, skipped: false };
}
