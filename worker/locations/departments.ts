/**
 * @module
 * French départements (and the other territories the postal network serves):
 * their names, and the IANA time zone a location there keeps its hours in.
 */

export interface Department {
  code: string;
  name: string;
  timeZone: string;
}

const PARIS = 'Europe/Paris';

const METROPOLITAN: Array<[string, string]> = [
  ['01', 'Ain'], ['02', 'Aisne'], ['03', 'Allier'], ['04', 'Alpes-de-Haute-Provence'],
  ['05', 'Hautes-Alpes'], ['06', 'Alpes-Maritimes'], ['07', 'Ardèche'], ['08', 'Ardennes'],
  ['09', 'Ariège'], ['10', 'Aube'], ['11', 'Aude'], ['12', 'Aveyron'],
  ['13', 'Bouches-du-Rhône'], ['14', 'Calvados'], ['15', 'Cantal'], ['16', 'Charente'],
  ['17', 'Charente-Maritime'], ['18', 'Cher'], ['19', 'Corrèze'], ['2A', 'Corse-du-Sud'],
  ['2B', 'Haute-Corse'], ['21', 'Côte-d’Or'], ['22', 'Côtes-d’Armor'], ['23', 'Creuse'],
  ['24', 'Dordogne'], ['25', 'Doubs'], ['26', 'Drôme'], ['27', 'Eure'],
  ['28', 'Eure-et-Loir'], ['29', 'Finistère'], ['30', 'Gard'], ['31', 'Haute-Garonne'],
  ['32', 'Gers'], ['33', 'Gironde'], ['34', 'Hérault'], ['35', 'Ille-et-Vilaine'],
  ['36', 'Indre'], ['37', 'Indre-et-Loire'], ['38', 'Isère'], ['39', 'Jura'],
  ['40', 'Landes'], ['41', 'Loir-et-Cher'], ['42', 'Loire'], ['43', 'Haute-Loire'],
  ['44', 'Loire-Atlantique'], ['45', 'Loiret'], ['46', 'Lot'], ['47', 'Lot-et-Garonne'],
  ['48', 'Lozère'], ['49', 'Maine-et-Loire'], ['50', 'Manche'], ['51', 'Marne'],
  ['52', 'Haute-Marne'], ['53', 'Mayenne'], ['54', 'Meurthe-et-Moselle'], ['55', 'Meuse'],
  ['56', 'Morbihan'], ['57', 'Moselle'], ['58', 'Nièvre'], ['59', 'Nord'],
  ['60', 'Oise'], ['61', 'Orne'], ['62', 'Pas-de-Calais'], ['63', 'Puy-de-Dôme'],
  ['64', 'Pyrénées-Atlantiques'], ['65', 'Hautes-Pyrénées'], ['66', 'Pyrénées-Orientales'], ['67', 'Bas-Rhin'],
  ['68', 'Haut-Rhin'], ['69', 'Rhône'], ['70', 'Haute-Saône'], ['71', 'Saône-et-Loire'],
  ['72', 'Sarthe'], ['73', 'Savoie'], ['74', 'Haute-Savoie'], ['75', 'Paris'],
  ['76', 'Seine-Maritime'], ['77', 'Seine-et-Marne'], ['78', 'Yvelines'], ['79', 'Deux-Sèvres'],
  ['80', 'Somme'], ['81', 'Tarn'], ['82', 'Tarn-et-Garonne'], ['83', 'Var'],
  ['84', 'Vaucluse'], ['85', 'Vendée'], ['86', 'Vienne'], ['87', 'Haute-Vienne'],
  ['88', 'Vosges'], ['89', 'Yonne'], ['90', 'Territoire de Belfort'], ['91', 'Essonne'],
  ['92', 'Hauts-de-Seine'], ['93', 'Seine-Saint-Denis'], ['94', 'Val-de-Marne'], ['95', 'Val-d’Oise'],
];

/** Overseas territories keep their own clocks: never assume Paris time. */
const OVERSEAS: Department[] = [
  { code: '971', name: 'Guadeloupe', timeZone: 'America/Guadeloupe' },
  { code: '972', name: 'Martinique', timeZone: 'America/Martinique' },
  { code: '973', name: 'Guyane', timeZone: 'America/Cayenne' },
  { code: '974', name: 'La Réunion', timeZone: 'Indian/Reunion' },
  { code: '975', name: 'Saint-Pierre-et-Miquelon', timeZone: 'America/Miquelon' },
  { code: '976', name: 'Mayotte', timeZone: 'Indian/Mayotte' },
  { code: '977', name: 'Saint-Barthélemy', timeZone: 'America/St_Barthelemy' },
  { code: '978', name: 'Saint-Martin', timeZone: 'America/Marigot' },
  { code: '986', name: 'Wallis-et-Futuna', timeZone: 'Pacific/Wallis' },
  { code: '987', name: 'Polynésie française', timeZone: 'Pacific/Tahiti' },
  { code: '988', name: 'Nouvelle-Calédonie', timeZone: 'Pacific/Noumea' },
  // The network also runs offices in Monaco (postcodes 980xx) and Andorra.
  { code: 'MC', name: 'Monaco', timeZone: 'Europe/Monaco' },
  { code: 'AD', name: 'Andorre', timeZone: 'Europe/Andorra' },
];

/** INSEE codes of the foreign countries where the network keeps an office. */
const FOREIGN_INSEE: Record<string, string> = { '99130': 'AD', '99138': 'MC' };

export const DEPARTMENTS: readonly Department[] = [
  ...METROPOLITAN.map(([code, name]) => ({ code, name, timeZone: PARIS })),
  ...OVERSEAS,
];

const BY_CODE = new Map(DEPARTMENTS.map((d) => [d.code, d]));

export function findDepartment(code: string): Department | undefined {
  return BY_CODE.get(code.toUpperCase());
}

/**
 * The département of a commune, from its INSEE code when it is a French one
 * (it tells Corsica's 2A/2B apart) and from the postcode otherwise.
 * Returns undefined when neither identifies a known territory.
 */
export function departmentOf(postcode: string, inseeCode: string): Department | undefined {
  const insee = inseeCode.toUpperCase();
  if (FOREIGN_INSEE[insee]) return BY_CODE.get(FOREIGN_INSEE[insee]);
  if (postcode.startsWith('980')) return BY_CODE.get('MC');
  if (/^(97|98)\d{3}$/.test(insee)) return BY_CODE.get(insee.slice(0, 3));
  if (/^(\d{2}|2[AB])\d{3}$/.test(insee)) return BY_CODE.get(insee.slice(0, 2));
  if (/^9[78]\d{3}$/.test(postcode)) return BY_CODE.get(postcode.slice(0, 3));
  if (/^20\d{3}$/.test(postcode)) return BY_CODE.get(Number(postcode) < 20200 ? '2A' : '2B');
  if (/^\d{5}$/.test(postcode)) return BY_CODE.get(postcode.slice(0, 2));
  return undefined;
}
