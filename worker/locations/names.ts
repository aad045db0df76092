/**
 * @module
 * Turns the open data's shouted names into what a person reads, and builds
 * the URL slugs of office and commune pages.
 *
 * `SARTROUVILLE PRINCIPAL BP` → `Sartrouville Principal`,
 * `ST PIERRE BOIS D OLIVES BP` → `Saint-Pierre Bois d’Olives`.
 */

/** Trailing type markers of the open data: bureau, agence, relais. */
const TYPE_SUFFIXES = new Set(['BP', 'AP', 'RP', 'API', 'APC', 'APM']);
/** Words kept lower case inside a name (never at its start). */
const PARTICLES = new Set(['DE', 'DU', 'DES', 'SUR', 'SOUS', 'EN', 'ET', 'AUX', 'AU', 'LES', 'LEZ']);
/** Abbreviations kept as written. */
const ACRONYMS = new Set(['RPU', 'ZI', 'ZA', 'ZAC', 'CC', 'CHU', 'PPDC', 'CDIS', 'PDC', 'LBP', 'RN', 'BD']);
const SAINTS: Record<string, string> = { ST: 'Saint', STE: 'Sainte', SAINT: 'Saint', SAINTE: 'Sainte' };
const VOWEL_START = /^[AEIOUYHÀÂÄÉÈÊËÎÏÔÖÙÛÜ]/i;

function capitalize(word: string): string {
  return word
    .toLowerCase()
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('-');
}

function hasVowel(word: string): boolean {
  return /[AEIOUYÀÂÄÉÈÊËÎÏÔÖÙÛÜ]/i.test(word);
}

/** Display form of one upper-case source word at position `index`. */
function displayWord(word: string, index: number): string {
  if (ACRONYMS.has(word) || (/^[A-Z]+$/.test(word) && !hasVowel(word) && word.length > 1)) return word;
  if (/\d/.test(word)) return word;
  if (index > 0 && PARTICLES.has(word)) return word.toLowerCase();
  const apostrophe = word.match(/^([LD])'(.+)$/);
  if (apostrophe) {
    const elided = index > 0 && apostrophe[1] === 'D' ? 'd' : apostrophe[1];
    return `${elided}’${capitalize(apostrophe[2])}`;
  }
  return capitalize(word);
}

/**
 * Title-cases a source name word by word, restoring the apostrophes the
 * source dropped (`L ISLE` → `L’Isle`) and spelling out `ST`/`STE`.
 */
export function displayPlaceName(source: string): string {
  const words = source.trim().toUpperCase().replace(/\//g, ' / ').split(/\s+/).filter(Boolean);
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    let word = words[i];
    const next = words[i + 1];
    // The source writes `L ISLE` and `D ARMOR`: rejoin the elided article.
    if ((word === 'L' || word === 'D') && next && VOWEL_START.test(next)) {
      word = `${word}'${next}`;
      i++;
    }
    const saint = SAINTS[word];
    if (saint && next && i + 1 < words.length && !PARTICLES.has(next)) {
      // Place names hyphenate the saint: `ST DENIS` → `Saint-Denis`.
      out.push(`${saint}-${displayWord(words[++i], 1)}`);
      continue;
    }
    out.push(saint ?? displayWord(word, out.length));
  }
  return out.join(' ');
}

/** Display name of a location: the place name without the trailing type marker. */
export function displayLocationName(source: string): string {
  const words = source.trim().split(/\s+/);
  if (words.length > 1 && TYPE_SUFFIXES.has(words[words.length - 1].toUpperCase())) words.pop();
  return displayPlaceName(words.join(' '));
}

/** Lower-case ASCII words: accents dropped, ligatures spelled out, anything else a `separator`. */
export function asciiWords(text: string, separator: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/œ/g, 'oe')
    .replace(/æ/g, 'ae')
    .replace(/[^a-z0-9]+/g, separator)
    .split(separator)
    .filter(Boolean)
    .join(separator);
}

/** Lower-case ASCII words joined by hyphens: `Saint-Étienne l’Isle` → `saint-etienne-l-isle`. */
export function slugify(text: string): string {
  return asciiWords(text, '-');
}

/**
 * Slug of an office page: name, then commune unless the name already says it,
 * then the id, which alone identifies the page (so renamed offices keep working).
 */
export function locationSlug(location: { id: string; name: string; commune: string }): string {
  const name = slugify(location.name);
  const commune = slugify(location.commune);
  const parts = [name];
  if (commune && !`-${name}-`.includes(`-${commune}-`)) parts.push(commune);
  parts.push(location.id.toLowerCase());
  return parts.filter(Boolean).join('-');
}

/** The id at the end of an office slug (ids never contain a hyphen). */
export function idFromLocationSlug(slug: string): string | undefined {
  const last = slug.split('-').pop() ?? '';
  return /^[a-z0-9]{1,32}$/i.test(last) ? last.toUpperCase() : undefined;
}

export function communeSlug(commune: { name: string; inseeCode: string }): string {
  return `${slugify(commune.name)}-${commune.inseeCode.toLowerCase()}`;
}

export function inseeFromCommuneSlug(slug: string): string | undefined {
  const last = slug.split('-').pop() ?? '';
  return /^[0-9][0-9ab][0-9]{3}$/i.test(last) ? last.toUpperCase() : undefined;
}
