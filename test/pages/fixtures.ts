/**
 * The pages under test, found in the same deterministic demo slice the
 * server loads: one of each page type, and the worst cases for size.
 */
import { DEMO_SEED, generateDemoNetwork } from '../../worker/demo/network';
import { locationPath } from '../../worker/locations/present';
import { communeSlug } from '../../worker/locations/names';
import { PARTNER_TYPES } from '../../worker/locations/catalog';

/** Large enough that the biggest commune spans several pages. */
export const PAGE_TEST_NETWORK_SIZE = 6000;

const network = generateDemoNetwork(DEMO_SEED, PAGE_TEST_NETWORK_SIZE);
const active = network.slice(0, -1);

const perCommune = new Map<string, typeof network>();
for (const l of active) perCommune.set(l.inseeCode, [...(perCommune.get(l.inseeCode) ?? []), l]);
const biggest = [...perCommune.values()].sort((a, b) => b.length - a.length)[0];
const perDepartment = new Map<string, number>();
for (const l of active) perDepartment.set(l.department, (perDepartment.get(l.department) ?? 0) + 1);
const biggestDepartment = [...perDepartment.entries()].sort((a, b) => b[1] - a[1])[0][0];

export const office = active.find((l) => l.type === 'post_office' && l.department === '974')!;
export const partner = active.find((l) => PARTNER_TYPES.has(l.type) && l.addressComplement === null && l.lieuDit === null)!;
export const parentOfPartner = network.find((l) => l.id === partner.parentId)!;
export const closed = network.at(-1)!;
export const bigCommune = {
  slug: communeSlug({ name: biggest[0].commune, inseeCode: biggest[0].inseeCode }),
  count: biggest.length,
  name: biggest[0].commune,
};

/**
 * Open-data rows where one INSEE code (Mâcon) carries two localities: pages,
 * breadcrumbs and sitemaps must agree on one commune name and URL.
 */
export const OPEN_DATA_ROWS = [
  '20001A;MACON PRINCIPAL BP;Bureau de Poste;;1 RUE DE LA POSTE;;;71000;MACON;71270;FRANCE;46.3069;4.8287;Géocodé au numéro;3631;',
  '20002A;MACON GARE BP;Bureau de Poste;;2 RUE DE LA GARE;;;71000;MACON;71270;FRANCE;46.3010;4.8260;Géocodé au numéro;3631;',
  '20003A;SENNECE LES MACON AP;Agence postale communale;20001A;PLACE DE LA MAIRIE;;;71000;SENNECE LES MACON;71270;FRANCE;46.3450;4.8400;Géocodé au numéro;3631;',
];
export const deleguee = { path: '/bureaux/sennece-les-macon-20003a', communePath: '/communes/macon-71270' };

/** One URL per page type, with what its main heading must say. */
export const PAGES = {
  home: { path: '/', heading: 'Bureaux de poste et points de contact' },
  department: { path: `/departements/${biggestDepartment.toLowerCase()}`, heading: 'La Poste par commune' },
  commune: { path: `/communes/${bigCommune.slug}`, heading: `La Poste à ${bigCommune.name}` },
  communePage2: { path: `/communes/${bigCommune.slug}?page=2`, heading: 'page 2' },
  office: { path: locationPath(office), heading: office.name },
  partner: { path: locationPath(partner), heading: partner.name },
  closed: { path: locationPath(closed), heading: closed.name },
  notFound: { path: '/bureaux/nulle-part-zz99999', heading: 'Page introuvable' },
  search: { path: `/recherche?q=${encodeURIComponent(bigCommune.name)}&rayon=10`, heading: 'Trouver un point de contact', scripts: ['/position.js'] },
} as const satisfies Record<string, { path: string; heading: string; scripts?: readonly string[] }>;

/** The search page's optional script must stay under this size. */
export const SCRIPT_BUDGET_BYTES = 1024;
