/**
 * The pages under test, found in the same deterministic demo slice the
 * server loads: one of each page type, and the worst cases for size.
 *
 * URLs are written out by hand from the documented slug rule (lower-case
 * ASCII words of the name, then of the commune unless the name already
 * holds it, then the id), never computed with the product's own helpers.
 */
import { DEMO_SEED, generateDemoNetwork } from '../../tools/demo/network';
import { type DemoParcel, demoParcels, type DemoStage, parcelsByStage } from '../../tools/demo/parcels';

/** Large enough that the biggest commune spans several pages. */
export const PAGE_TEST_NETWORK_SIZE = 6000;

const network = generateDemoNetwork(DEMO_SEED, PAGE_TEST_NETWORK_SIZE);
const active = network.slice(0, -1);

function byId(id: string) {
  const found = network.find((l) => l.id === id);
  if (!found) throw new Error(`demo location ${id} is gone: the demo network changed, pick the fixtures again`);
  return found;
}

/** Communes per département, from the generated data (the input, not the product). */
function communesPerDepartment(locations: typeof network): Map<string, Set<string>> {
  const map = new Map<string, Set<string>>();
  for (const l of locations) map.set(l.department, (map.get(l.department) ?? new Set()).add(l.inseeCode));
  return map;
}

const perCommune = new Map<string, typeof network>();
for (const l of active) perCommune.set(l.inseeCode, [...(perCommune.get(l.inseeCode) ?? []), l]);
const biggest = [...perCommune.values()].sort((a, b) => b.length - a.length)[0];
if (biggest[0].inseeCode !== '59001') throw new Error('the biggest demo commune is no longer Lille (59001): update bigCommune');

/** A post office in La Réunion (its own time zone). */
export const office = { ...byId('D005834'), path: '/bureaux/saint-denis-d005834' };
/** A partner point (a shop) without address complement, and its parent office. */
export const partner = { ...byId('D000002'), path: '/bureaux/pressing-pasteur-couray-d000002' };
export const parentOfPartner = { ...byId('D000049'), path: '/bureaux/boisol-jean-jaures-d000049' };
if (partner.parentId !== parentOfPartner.id) throw new Error('the demo partner point changed parent: update the fixtures');
/** The slice's last location, which server.ts closes. */
export const closed = { ...network.at(-1)!, path: '/bureaux/boulangerie-hotel-de-ville-monaco-d005999' };
if (closed.id !== 'D005999') throw new Error('the demo slice ends elsewhere: update the closed fixture');
/** Active demo locations in Monaco and Andorra (the latter from OPEN_DATA_ROWS): not in France. */
export const abroad = {
  monaco: { ...byId('D005996'), path: '/bureaux/monaco-d005996', country: 'MC' },
  andorra: { id: '20004A', path: '/bureaux/andorre-la-vieille-20004a', country: 'AD' },
};
export const bigCommune = { slug: 'lille-59001', count: biggest.length, name: 'Lille' };

/**
 * The département with the most communes, in this slice and in the full
 * demo network `npm start` serves: the page tests must measure a
 * département page at least as long as the real one's longest page.
 */
const mostCommunes = (locations: typeof network) =>
  [...communesPerDepartment(locations).entries()].sort((a, b) => b[1].size - a[1].size)[0];
const [largestHere, communesHere] = mostCommunes(active);
const [largestFull, communesFull] = mostCommunes(generateDemoNetwork(DEMO_SEED));
if (largestHere !== '59' || largestFull !== '59') throw new Error('Nord (59) is no longer the largest demo département: update the fixtures');
export const largestDepartment = { code: '59', communes: communesHere.size, communesInFullNetwork: communesFull.size };

/**
 * Open-data rows where one INSEE code (Mâcon) carries two localities: pages,
 * breadcrumbs and sitemaps must agree on one commune name and URL.
 */
export const OPEN_DATA_ROWS = [
  '20001A;MACON PRINCIPAL BP;Bureau de Poste;;1 RUE DE LA POSTE;;;71000;MACON;71270;FRANCE;46.3069;4.8287;Géocodé au numéro;3631;',
  '20002A;MACON GARE BP;Bureau de Poste;;2 RUE DE LA GARE;;;71000;MACON;71270;FRANCE;46.3010;4.8260;Géocodé au numéro;3631;',
  '20003A;SENNECE LES MACON AP;Agence postale communale;20001A;PLACE DE LA MAIRIE;;;71000;SENNECE LES MACON;71270;FRANCE;46.3450;4.8400;Géocodé au numéro;3631;',
  // Andorra: the open data gives a French postcode, country FRANCE, and INSEE's code for Andorra.
  '20004A;ANDORRE LA VIEILLE BP;Bureau de Poste;;1 AVINGUDA MERITXELL;;;09999;ANDORRE LA VIEILLE;99130;FRANCE;42.5075;1.5218;Géocodé au centre de la commune;3631;',
];
export const deleguee = { path: '/bureaux/sennece-les-macon-20003a', communePath: '/communes/macon-71270' };

/** The locations demo parcels travel between: the slice's active ones (server.ts closes the last). */
export const PARCEL_NETWORK = active;

/**
 * The demo parcels server.ts seeds (tools/demo/parcels.ts): numbers,
 * stages, places and shelves do not depend on the clock, only the instants
 * do, so this copy names the seeded ones. `parcels.waiting_locker` is the
 * first parcel waiting in a locker, and so on for every stage.
 */
export const demoParcelSet: readonly DemoParcel[] = demoParcels(PARCEL_NETWORK, new Date());
export const parcels = parcelsByStage(demoParcelSet) as Record<DemoStage, DemoParcel>;

/** One URL per page type, with what its main heading must say. */
export const PAGES = {
  home: { path: '/', heading: 'La Poste près de chez vous' },
  departments: { path: '/departements', heading: 'Bureaux de poste et points de contact' },
  services: { path: '/services', heading: 'Tous les services' },
  department: { path: '/departements/59', heading: 'Nord (59) : La Poste par commune' },
  departmentPage2: { path: '/departements/59?page=2', heading: 'La Poste par commune (page 2 sur' },
  commune: { path: `/communes/${bigCommune.slug}`, heading: `La Poste à ${bigCommune.name}` },
  communePage2: { path: `/communes/${bigCommune.slug}?page=2`, heading: 'page 2' },
  office: { path: office.path, heading: office.name },
  partner: { path: partner.path, heading: partner.name },
  closed: { path: closed.path, heading: closed.name },
  notFound: { path: '/bureaux/nulle-part-zz99999', heading: 'Page introuvable' },
  search: { path: `/recherche?q=${encodeURIComponent(bigCommune.name)}&rayon=10`, heading: 'Trouver un point de contact', scripts: ['/position.js'] },
} as const satisfies Record<string, { path: string; heading: string; scripts?: readonly string[] }>;

/** One URL per page type whose weight and EcoIndex are measured (ecoindex.test.ts, `npm run weigh`). */
export const ECOINDEX_PAGES: Record<string, string> = {
  home: PAGES.home.path,
  département: PAGES.department.path,
  commune: PAGES.commune.path,
  office: PAGES.office.path,
  search: PAGES.search.path,
  'widget demo': '/widget/demo',
  'staff sign-in': '/staff/connexion',
};

/** The search page's optional script must stay under this size. */
export const SCRIPT_BUDGET_BYTES = 1024;
