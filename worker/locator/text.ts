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
