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
 * tenfold, so about a thousand fit) and inflated per request by the
 * runtime's native DecompressionStream.
 *
 * Bounded, whatever the addresses asked (any query string makes a key of
 * its own): every entry counts its gzipped body, its key, its headers and
 * {@link ENTRY_OVERHEAD_BYTES}, within {@link KEPT_ANSWERS_MAX_BYTES} in
 * all and {@link MAX_KEPT_ANSWERS} entries, least recently used dropped
 * first, and expired entries are dropped as new ones come. A flood of
 * distinct addresses only costs misses. An answer larger than
 * {@link KEPT_ANSWER_MAX_BYTES} gzipped is not kept here (the Cache API
 * still may, unless its plan says `isolateOnly`).
 */

/** All entries together (bodies gzipped, keys, headers): the isolate also keeps the network, its hours and hot shelves (128 MB in all). */
export const KEPT_ANSWERS_MAX_BYTES = 8 * 1024 * 1024;
/** Entries at most, however small. */
export const MAX_KEPT_ANSWERS = 4_000;
/** One answer at most, gzipped: a 4 weeks' listing of an office open round the clock is about 30 kB. */
export const KEPT_ANSWER_MAX_BYTES = 128 * 1024;
/** An answer is not even compressed past this size as sent. */
const RAW_MAX_BYTES = 2 * 1024 * 1024;
/** What an entry costs beyond its bytes: the Map slot, the objects, the typed array. */
export const ENTRY_OVERHEAD_BYTES = 512;
/** Expired entries looked at (oldest first) each time one is kept. */
const SWEEP_PER_KEEP = 8;

interface KeptAnswer {
  status: number;
  statusText: string;
  headers: Array<[string, string]>;
  /** The body, gzipped. */
  gzipped: Uint8Array;
  expiresAt: number;
  /** What it counts against the bound. */
  cost: number;
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
  if (body.byteLength > RAW_MAX_BYTES || ttlSeconds <= 0) return;
  const gzipped = new Uint8Array(await new Response(new Response(body.slice(0)).body!.pipeThrough(new CompressionStream('gzip'))).arrayBuffer());
  if (gzipped.byteLength > KEPT_ANSWER_MAX_BYTES) return;
  const headers = [...response.headers];
  const cost = gzipped.byteLength + key.length * 2 + headers.reduce((sum, [name, value]) => sum + (name.length + value.length) * 2, 0) + ENTRY_OVERHEAD_BYTES;
  const previous = kept.get(key);
  if (previous) drop(key, previous);
  sweepExpired(now);
  kept.set(key, { status: response.status, statusText: response.statusText, headers, gzipped, expiresAt: now + ttlSeconds * 1000, cost });
  keptBytes += cost;
  for (const [oldest, old] of kept) {
    if (keptBytes <= KEPT_ANSWERS_MAX_BYTES && kept.size <= MAX_KEPT_ANSWERS) break;
    drop(oldest, old);
  }
}

/** Drops the expired among the least recently used few: dead answers do not hold the room of live ones. */
function sweepExpired(now: number): void {
  let looked = 0;
  for (const [key, entry] of kept) {
    if (looked++ >= SWEEP_PER_KEEP) break;
    if (now >= entry.expiresAt) drop(key, entry);
  }
}

/** What the kept entries count against the bound now (tests). */
export const keptAnswersBytes = () => keptBytes;
/** How many entries are kept now (tests). */
export const keptAnswersCount = () => kept.size;

/** Forgets every kept answer (tests). */
export function forgetKeptAnswers(): void {
  kept.clear();
  keptBytes = 0;
}

function drop(key: string, entry: KeptAnswer): void {
  kept.delete(key);
  keptBytes -= entry.cost;
}
