/**
 * @module
 * The edge's answers also kept in this isolate, in front of the Cache API:
 * a repeated answer (the same key: the same address and versions, so the
 * same content) is served from memory without a round trip to the data
 * centre's cache, which costs more than the answer itself for a large
 * JSON listing (an office's 4 weeks of slots).
 *
 * Same rules as the Cache API entry it mirrors: kept under the same key for
 * the same time (the answer's own `Guichet-Fresh-Until`, or its plan's
 * time), filled when the edge stores a copy. Plain data only (the status,
 * the headers and the body's bytes), never a Response or a stream: each
 * request gets its own Response over its own copy of the bytes (Workers
 * discipline). Bodies are kept gzipped (a listing's JSON shrinks about
 * tenfold, so a few thousand fit) and inflated per request by the
 * runtime's native DecompressionStream. Bounded:
 * {@link KEPT_ANSWERS_MAX_BYTES} of gzipped bodies in all, least recently
 * used dropped first; an answer over {@link KEPT_ANSWER_MAX_BYTES} is left
 * to the Cache API.
 */

/** All kept bodies together, gzipped: the isolate also keeps the network, its hours and hot shelves (128 MB in all). */
export const KEPT_ANSWERS_MAX_BYTES = 8 * 1024 * 1024;
/** One answer at most, as sent: a 4 weeks' listing is under 100 kB. */
export const KEPT_ANSWER_MAX_BYTES = 256 * 1024;

interface KeptAnswer {
  status: number;
  statusText: string;
  headers: Array<[string, string]>;
  /** The body, gzipped. */
  gzipped: Uint8Array;
  expiresAt: number;
}

// Insertion order is recency: a hit moves its entry to the end.
const kept = new Map<string, KeptAnswer>();
let keptBytes = 0;

/** The answer kept under `key`, as a new Response of its own, while it holds at `now`. */
export function keptAnswer(key: string, now: number): Response | undefined {
  const entry = kept.get(key);
  if (!entry) return undefined;
  if (now >= entry.expiresAt) {
    drop(key, entry);
    return undefined;
  }
  kept.delete(key);
  kept.set(key, entry);
  const body = new Response(entry.gzipped.slice()).body!.pipeThrough(new DecompressionStream('gzip'));
  return new Response(body, { status: entry.status, statusText: entry.statusText, headers: entry.headers });
}

/** Keeps `body` with `response`'s status and headers under `key` for `ttlSeconds` from `now`. */
export async function keepAnswer(key: string, response: Response, body: ArrayBuffer, ttlSeconds: number, now: number): Promise<void> {
  if (body.byteLength > KEPT_ANSWER_MAX_BYTES || ttlSeconds <= 0) return;
  const gzipped = new Uint8Array(await new Response(new Response(body.slice(0)).body!.pipeThrough(new CompressionStream('gzip'))).arrayBuffer());
  const previous = kept.get(key);
  if (previous) drop(key, previous);
  const entry: KeptAnswer = {
    status: response.status, statusText: response.statusText, headers: [...response.headers], gzipped, expiresAt: now + ttlSeconds * 1000,
  };
  kept.set(key, entry);
  keptBytes += entry.gzipped.byteLength;
  for (const [oldest, old] of kept) {
    if (keptBytes <= KEPT_ANSWERS_MAX_BYTES) break;
    drop(oldest, old);
  }
}

/** Gzipped bytes kept now (tests, and the bound's check). */
export const keptAnswersBytes = () => keptBytes;

/** Forgets every kept answer (tests). */
export function forgetKeptAnswers(): void {
  kept.clear();
  keptBytes = 0;
}

function drop(key: string, entry: KeptAnswer): void {
  kept.delete(key);
  keptBytes -= entry.gzipped.byteLength;
}
