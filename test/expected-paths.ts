/**
 * Page paths as the documentation describes them (docs/api.md, README
 * "Pages"), written here independently of the product's slug code
 * (worker/locations/names.ts) so that tests do not check the product
 * against itself. Pinned by hand-written examples in
 * test/unit/expected-paths.test.ts.
 *
 * A slug is the lower-case ASCII words of the name (accents dropped, œ/æ
 * spelled out, anything else a separator), then those of the commune unless
 * the name already holds them in a row, then the id; a commune's slug is its
 * name's words then its INSEE code.
 */

const FOLDED: Record<string, string> = {
  à: 'a', á: 'a', â: 'a', ä: 'a', ç: 'c', è: 'e', é: 'e', ê: 'e', ë: 'e', ì: 'i', í: 'i', î: 'i', ï: 'i',
  ñ: 'n', ò: 'o', ó: 'o', ô: 'o', ö: 'o', ù: 'u', ú: 'u', û: 'u', ü: 'u', ÿ: 'y', œ: 'oe', æ: 'ae',
};

function words(text: string): string[] {
  let ascii = '';
  for (const ch of text.toLowerCase()) ascii += FOLDED[ch] ?? ch;
  return ascii.split(/[^a-z0-9]+/).filter(Boolean);
}

export function expectedOfficePath(location: { id: string; name: string; commune: string }): string {
  const name = words(location.name);
  const commune = words(location.commune);
  const holdsCommune = commune.length > 0 && name.some((_, i) => commune.every((word, j) => name[i + j] === word));
  return `/bureaux/${[...name, ...(holdsCommune ? [] : commune), location.id.toLowerCase()].join('-')}`;
}

export function expectedCommunePath(commune: { name: string; inseeCode: string }): string {
  return `/communes/${[...words(commune.name), commune.inseeCode.toLowerCase()].join('-')}`;
}
