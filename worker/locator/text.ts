/**
 * @module
 * What a person types in the search box, made comparable with the network's
 * names: no accents, no case, hyphens and apostrophes as spaces, and the
 * open data's `ST`/`STE` abbreviations read as `saint`/`sainte`.
 */
import { asciiWords } from '../locations/names';

const ABBREVIATIONS: Record<string, string> = { st: 'saint', ste: 'sainte', sts: 'saints', stes: 'saintes' };

/** `Saint-Étienne-du-Rouvray`, `ST ETIENNE DU ROUVRAY` → `saint etienne du rouvray`. */
export function searchKey(text: string): string {
  return asciiWords(text, ' ')
    .split(' ')
    .map((word) => ABBREVIATIONS[word] ?? word)
    .join(' ');
}

export type QueryKind =
  | { kind: 'postcode'; postcode: string }
  | { kind: 'id'; id: string }
  | { kind: 'text'; key: string };

/** A postcode, a location id, or words (a commune or an office name). */
export function classifyQuery(query: string): QueryKind {
  const trimmed = query.trim();
  if (/^\d{5}$/.test(trimmed)) return { kind: 'postcode', postcode: trimmed };
  if (/^(\d{5}[A-Za-z]|[Dd]\d{6})$/.test(trimmed)) return { kind: 'id', id: trimmed.toUpperCase() };
  return { kind: 'text', key: searchKey(trimmed) };
}

/**
 * The number of edits (insertion, deletion, substitution, swap of two
 * neighbours) between two keys if at most `max`, else undefined. Cheap
 * enough to scan every commune of France: most pairs are discarded on
 * length, and a row whose minimum exceeds `max` stops early.
 */
export function closeEnough(a: string, b: string, max: number): number | undefined {
  if (Math.abs(a.length - b.length) > max) return undefined;
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let lowest = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2] + 1);
      current.push(d);
      if (d < lowest) lowest = d;
    }
    if (lowest > max) return undefined;
    [before, previous] = [previous, current];
  }
  const distance = previous[b.length];
  return distance <= max ? distance : undefined;
}
