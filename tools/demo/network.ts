/**
 * @module
 * The demo network: about 30,000 deterministic, realistic-looking locations
 * across metropolitan and overseas France (offices, agencies, relays, lockers,
 * relay shops), so `npm start` serves something national-sized without the
 * open-data file. Commune names are invented, except each territory's main town.
 */
import { DEFAULT_SERVICES, type LocationType, type Service, normalizeServices } from '../../worker/locations/catalog';
import { findDepartment } from '../../worker/locations/departments';
import { contentHash } from '../imports/hash';
import type { ImportedLocation } from '../imports/open-data';
import { DEMO_TERRITORIES, type DemoTerritory } from './geography';
import { type Random, seededRandom } from './random';

export const DEMO_SEED = 20261123;
export const DEMO_SIZE = 30_000;

/** Share of each kind in the network (sums to 1). */
const TYPE_MIX: Array<[LocationType, number]> = [
  ['post_office', 0.3],
  ['communal_agency', 0.19],
  ['intercommunal_agency', 0.004],
  ['partner_relay', 0.08],
  ['parcel_locker', 0.18],
  ['parcel_shop', 0.246],
];

const ROOTS = ['Beau', 'Mont', 'Val', 'Bois', 'Font', 'Roche', 'Champ', 'Pont', 'Château', 'Mar', 'Bel', 'Haut',
  'Lon', 'Ver', 'Mor', 'Sav', 'Cler', 'Bour', 'Gran', 'Riv', 'Cour', 'Sain', 'Mas', 'Aub', 'Esp', 'Ro', 'Vill',
  'Ar', 'Bla', 'Cha', 'Gen', 'Lu', 'Fer', 'Tré', 'Ker', 'Plou', 'Mé', 'Sor', 'Vau', 'Bri'];
const ENDINGS = ['ville', 'court', 'mont', 'ac', 'y', 'ay', 'ieu', 'ière', 'ans', 'eux', 'igny', 'erre', 'ange',
  'ol', 'enne', 'ot', 'in', 'as', 'el', 'an', 'ais', 'ouze', 'ecq', 'heim'];
const COMPLEMENTS = ['', '', '', '', '', '-sur-Mer', '-sur-Loire', '-en-Bray', '-les-Bains', '-la-Forêt',
  '-le-Château', '-sous-Bois', '-sur-Seine', '-en-Vexin', '-la-Rivière'];
const SAINTS = ['Saint-Martin', 'Saint-Jean', 'Saint-Pierre', 'Sainte-Marie', 'Saint-Laurent', 'Saint-Georges'];
const DISTRICTS = ['Centre', 'Gare', 'République', 'Les Halles', 'Jean Jaurès', 'Victor Hugo', 'Gambetta',
  'Mairie', 'Les Tilleuls', 'Hôtel de Ville', 'Liberté', 'Pasteur', 'Le Port', 'Les Arcades', 'Bellevue'];
const STREETS = ['rue de la République', 'avenue Jean Jaurès', 'place de la Mairie', 'rue Victor Hugo',
  'boulevard Gambetta', 'rue Pasteur', 'place du Marché', 'rue de la Gare', 'avenue de la Liberté',
  'rue des Écoles', 'grande rue', 'rue du Général de Gaulle', 'chemin des Vignes', 'rue du Moulin'];
const SHOPS = ['Tabac Presse', 'Épicerie', 'Librairie', 'Supérette', 'Fleuriste', 'Pressing', 'Quincaillerie',
  'Boulangerie', 'Bazar', 'Cave'];

interface DemoCommune {
  name: string;
  inseeCode: string;
  postcode: string;
  lat: number;
  lon: number;
  territory: DemoTerritory;
}

function communeName(random: Random, taken: Set<string>): string {
  for (;;) {
    const base = random.chance(0.15)
      ? random.pick(SAINTS) + (random.chance(0.5) ? `-de-${random.pick(ROOTS)}${random.pick(ENDINGS)}` : '')
      : random.pick(ROOTS) + random.pick(ENDINGS);
    const name = base + random.pick(COMPLEMENTS);
    if (!taken.has(name)) {
      taken.add(name);
      return name;
    }
  }
}

/** Commune codes follow the territory's own numbering (01xxx, 2Axxx, 971xx, ...). */
function communeCodes(department: string, index: number): { inseeCode: string; postcode: string } {
  if (department === 'MC') return { inseeCode: '99138', postcode: '98000' };
  if (department === '975') return { inseeCode: `9750${index + 1}`, postcode: '97500' };
  if (department === '977') return { inseeCode: '97701', postcode: '97133' };
  if (department === '978') return { inseeCode: '97801', postcode: '97150' };
  if (department.length === 3) {
    const n = String(index + 1).padStart(2, '0');
    return { inseeCode: `${department}${n}`, postcode: `${department}${String(index * 3).padStart(2, '0').slice(-2)}` };
  }
  const insee = `${department}${String(index + 1).padStart(3, '0')}`;
  if (department === '2A' || department === '2B') {
    const base = department === '2A' ? 20000 : 20200;
    return { inseeCode: insee, postcode: String(base + Math.min(index * 2, 198)) };
  }
  return { inseeCode: insee, postcode: `${department}${String(index * 10).padStart(3, '0').slice(-3)}` };
}

function communeCount(territory: DemoTerritory): number {
  const { department } = territory;
  if (department === 'MC' || department === '977' || department === '978') return 1;
  if (department === '975') return 2;
  const wanted = Math.max(3, Math.round(territory.weight * 12));
  return department.length === 3 ? Math.min(wanted, 60) : Math.min(wanted, 900);
}

function makeCommunes(random: Random, territory: DemoTerritory): DemoCommune[] {
  const taken = new Set([territory.mainTown]);
  const count = communeCount(territory);
  const communes: DemoCommune[] = [];
  for (let i = 0; i < count; i++) {
    const centre = i === 0;
    communes.push({
      name: centre ? territory.mainTown : communeName(random, taken),
      ...communeCodes(territory.department, i),
      lat: centre ? territory.lat : territory.lat + random.gaussian() * territory.spread,
      lon: centre ? territory.lon : territory.lon + (random.gaussian() * territory.spread) / Math.cos((territory.lat * Math.PI) / 180),
      territory,
    });
  }
  return communes;
}

function pickType(random: Random): LocationType {
  let roll = random.next();
  for (const [type, share] of TYPE_MIX) {
    roll -= share;
    if (roll < 0) return type;
  }
  return 'parcel_shop';
}

function servicesFor(random: Random, type: LocationType): Service[] {
  const services = new Set<Service>(DEFAULT_SERVICES[type]);
  if (type === 'post_office') {
    if (random.chance(0.2)) services.delete('cash_machine');
    if (random.chance(0.1)) services.delete('banking');
    if (random.chance(0.15)) services.delete('money_transfer');
  } else if (type === 'partner_relay' || type === 'communal_agency') {
    if (random.chance(0.3)) services.delete('cash_withdrawal');
    if (random.chance(0.2)) services.delete('packaging');
  } else if (type === 'parcel_shop' && random.chance(0.1)) {
    services.delete('parcel_drop');
  }
  return normalizeServices(services);
}

function locationName(random: Random, type: LocationType, commune: DemoCommune, nth: number): string {
  switch (type) {
    case 'post_office':
      return nth === 0 ? commune.name : `${commune.name} ${random.pick(DISTRICTS)}`;
    case 'communal_agency':
    case 'intercommunal_agency':
      return nth === 0 ? commune.name : `${commune.name} ${random.pick(DISTRICTS)}`;
    case 'partner_relay':
    case 'parcel_shop':
      return `${random.pick(SHOPS)} ${random.pick(DISTRICTS)}`;
    case 'parcel_locker':
      return `Consigne ${commune.name} ${random.pick(DISTRICTS)}`;
    default:
      return commune.name;
  }
}

/** Generates the demo network; the same (seed, size) always gives the same rows. */
export function generateDemoNetwork(seed = DEMO_SEED, size = DEMO_SIZE): ImportedLocation[] {
  const random = seededRandom(seed);
  const totalWeight = DEMO_TERRITORIES.reduce((sum, t) => sum + t.weight, 0);
  const locations: ImportedLocation[] = [];
  let serial = 0;

  for (const territory of DEMO_TERRITORIES) {
    const department = findDepartment(territory.department);
    if (!department) throw new Error(`demo geography names unknown territory ${territory.department}`);
    const communes = makeCommunes(random, territory);
    const count = Math.max(2, Math.round((size * territory.weight) / totalWeight));
    const offices: string[] = [];
    const perCommune = new Map<string, number>();
    const pending: Array<{ location: Omit<ImportedLocation, 'sourceHash' | 'parentId'>; partner: boolean }> = [];

    for (let i = 0; i < count; i++) {
      // The main town gets a large share; the rest follow a long tail.
      const commune = i === 0 || random.chance(0.25) ? communes[0] : communes[Math.floor(random.next() ** 2 * communes.length)];
      const type = i === 0 ? 'post_office' : pickType(random);
      const nth = perCommune.get(`${commune.inseeCode}:${type}`) ?? 0;
      perCommune.set(`${commune.inseeCode}:${type}`, nth + 1);
      const id = `D${String(++serial).padStart(6, '0')}`;
      if (type === 'post_office') offices.push(id);
      const jitter = commune.territory.spread > 0.05 ? 0.02 : 0.003;
      pending.push({
        partner: type !== 'post_office',
        location: {
          id,
          name: locationName(random, type, commune, nth),
          sourceName: '',
          type,
          addressLine: type === 'parcel_locker' ? random.pick(STREETS) : `${1 + random.int(120)} ${random.pick(STREETS)}`,
          addressComplement: type === 'parcel_locker' ? 'Accessible depuis le parvis' : null,
          lieuDit: null,
          postcode: commune.postcode,
          commune: commune.name,
          inseeCode: commune.inseeCode,
          department: department.code,
          latitude: round6(commune.lat + random.gaussian() * jitter),
          longitude: round6(commune.lon + random.gaussian() * jitter),
          geocodePrecision: 'address',
          phone: type === 'parcel_locker' || type === 'parcel_shop' ? null : '3631',
          timeZone: department.timeZone,
          services: servicesFor(random, type),
          stepFreeAccess: random.chance(0.1) ? null : random.chance(0.75),
          source: 'demo',
        },
      });
    }
    for (const { location, partner } of pending) {
      const parentId = partner ? offices[random.int(offices.length)] : null;
      const row = { ...location, sourceName: location.name.toUpperCase(), parentId };
      locations.push({ ...row, sourceHash: contentHash(row) });
    }
  }
  return locations;
}

const round6 = (value: number) => Math.round(value * 1e6) / 1e6;
