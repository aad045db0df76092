/**
 * @module
 * Every commune of France, from the official geography
 * (`@etalab/decoupage-administratif`, see scripts/communes-fr.ts): code,
 * accented name, postcodes, intercommunality, population. No positions: the
 * gazetteer places each commune from the network's own points.
 *
 * Shipped as one compact string (about 1 MB, 300 KB gzipped) decoded once
 * per isolate on the first text search; the decoded list is plain data.
 */
import { COMMUNES_FR } from './communes-fr.data';
import { searchKey } from './text';

export interface FrenchCommune {
  /** INSEE code (`01001`, `2A004`, `75111` for an arrondissement). */
  code: string;
  /** Official name, with its accents: `Saint-Étienne`, `Paris 11e Arrondissement`. */
  name: string;
  department: string;
  postcodes: string[];
  /** Index of its intercommunality (EPCI) in the generated list, if any. */
  epci: number | null;
  /** Population as a rank, 1.5 times more a step (see `populationRank`). */
  population: number;
}

/** The commune a municipal arrondissement belongs to: Paris, Lyon, Marseille. */
export function arrondissementOf(code: string): string | undefined {
  if (/^751(0[1-9]|1\d|20)$/.test(code)) return '75056';
  if (/^6938[1-9]$/.test(code)) return '69123';
  if (/^132(0[1-9]|1[0-6])$/.test(code)) return '13055';
  return undefined;
}

const departmentOf = (code: string) => (code.startsWith('97') || code.startsWith('98') ? code.slice(0, 3) : code.slice(0, 2));

/**
 * Population in a one-character scale (×1.5 a step): enough to rank
 * homonyms and near-misses, at a fraction of the size.
 */
export const populationRank = (population: number) => Math.min(35, Math.floor(Math.log(population + 1) / Math.log(1.5)));

/**
 * One line per commune, `code|name|postcodes|intercommunality|population`;
 * empty code: the one before plus one; empty postcodes or intercommunality:
 * as the line before; population as a rank (see `populationRank`), base 36.
 */
export function encodeCommunes(list: FrenchCommune[]): string {
  let previous: FrenchCommune | undefined;
  return list.map((c) => {
    if (departmentOf(c.code) !== c.department) throw new Error(`${c.code}: département ${c.department} not derivable from the code`);
    const postcodes = c.postcodes.join(',');
    const line = [
      previous && nextCode(previous.code) === c.code ? '' : c.code,
      c.name,
      previous && previous.postcodes.join(',') === postcodes ? '' : postcodes || '-',
      previous && previous.epci === c.epci ? '' : c.epci === null ? '-' : c.epci.toString(36),
      c.population.toString(36),
    ].join('|');
    previous = c;
    return line;
  }).join('\n');
}

/** `01001` → `01002`, `2A009` → `2A010`. */
function nextCode(code: string): string {
  const n = String(Number(code.slice(2)) + 1).padStart(3, '0');
  return n.length === 3 ? code.slice(0, 2) + n : '';
}

export function decodeCommunes(text: string): FrenchCommune[] {
  let previous: FrenchCommune | undefined;
  return text.split('\n').map((line) => {
    const [code, name, postcodes, epci, population] = line.split('|');
    const commune: FrenchCommune = {
      code: code || nextCode(previous!.code),
      name,
      department: '',
      postcodes: postcodes ? (postcodes === '-' ? [] : postcodes.split(',')) : previous!.postcodes,
      epci: epci ? (epci === '-' ? null : parseInt(epci, 36)) : previous!.epci,
      population: parseInt(population, 36),
    };
    commune.department = departmentOf(commune.code);
    previous = commune;
    return commune;
  });
}

let decoded: Array<FrenchCommune & { key: string }> | undefined;

/** The decoded list with search keys, kept for the isolate's life (plain data, safe to share across requests). */
export function frenchCommunes(): Array<FrenchCommune & { key: string }> {
  decoded ??= decodeCommunes(COMMUNES_FR).map((c) => ({ ...c, key: searchKey(c.name) }));
  return decoded;
}
