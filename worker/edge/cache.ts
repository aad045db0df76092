/**
 * @module
 * The edge layer in front of the app: answers public pages and API answers
 * from the Workers Cache API under versioned keys, opens each request's D1
 * session, and says on every response what it cost (`Server-Timing`).
 *
 * A copy is also kept in the isolate's memory (kept-answers.ts), read
 * before the Cache API. A key is the address plus the versions its content depends on
 * (versions.ts), and for an answer about one row (a parcel) the state that
 * row is at, read per request by the plan's lookup (resources.ts), so a
 * change purges exactly what it touches: the next request asks for a key
 * nobody has stored. Old entries are never read again and expire on their
 * own.
 *
 * Never cached: anything but GET/HEAD, any request with credentials
 * (`Authorization`, a cookie) or a partner's key or `Origin`, and any answer
 * that is not a public 200 or that sets a cookie. Personalised and staff
 * answers are `private, no-store` and never reach `cache.put`.
 */
import { configOf } from '../config';
import { FRESH_UNTIL_HEADER } from '../http/headers';
import { SESSION_COOKIE } from '../staff/sessions';
import { bookmarkOf, hasCredentials, hasStaffSession, STAFF_BOOKMARK_COOKIE, STAFF_BOOKMARK_HEADER, STAFF_BOOKMARK_MAX_AGE_S } from './bookmarks';
import { BUILD_ID } from './build';
import { keepAnswer, keptAnswer } from './kept-answers';
import { meteredD1, serverTiming } from './meter';
import { edgePlan, type EdgePlan } from './resources';
import { inScope, newScope, type RequestScope, scopedD1, sessionBookmark } from './scope';
import { edgeVersions, noteWrite, refreshInBackground, versionsBookmark, versionTag, type VersionSource } from './versions';

type Handler = (request: Request, env: unknown, ctx: ExecutionContext) => Response | Promise<Response>;

/** Internal header of a stored copy: the `Cache-Control` the client gets. */
const CLIENT_CACHE_HEADER = 'guichet-client-cache';
const MAX_EDGE_TTL = 86_400;

/** Wraps the app's fetch handler with the edge cache and the request scope. */
export function withEdgeCache(handler: Handler) {
  return async (request: Request, env: unknown, ctx: ExecutionContext): Promise<Response> => {
    const personal = hasCredentials(request);
    const bookmark = personal ? bookmarkOf(request) : undefined;
    const scope = newScope(bookmark ?? (personal ? 'first-primary' : 'first-unconstrained'), (work) => ctx.waitUntil(work), bookmark !== undefined);
    return inScope(scope, async () => {
      const url = new URL(request.url);
      const plan = cacheable(request, url, personal);
      let config;
      try {
        config = configOf(env);
      } catch {
        // The app answers the misconfiguration itself (a logged 500 naming it).
        return finish(await handler(request, env, ctx), 'bypass', scope);
      }
      const binding = config.DB;
      const waitUntil = (work: Promise<unknown>) => ctx.waitUntil(work);
      if (!plan) {
        // Uncached answers use the versions too (the locator's schedules): keep them fresh.
        refreshInBackground(() => pollSource(binding, scope), waitUntil);
        const response = await handler(request, env, ctx);
        // A staff write that succeeded (a form's 303 included): this isolate reads the versions before its next answer.
        if (personal && !isRead(request) && response.status < 400) noteWrite();
        return finish(response, 'bypass', scope, personal ? bookmarkHeaders(request, response, scope) : undefined);
      }
      let versions;
      try {
        versions = await edgeVersions(() => pollSource(binding, scope), waitUntil);
      } catch (error) {
        // Without current versions no key can be trusted: answer from the app, store nothing.
        console.error('edge versions unavailable', String(error));
        return finish(await handler(request, env, ctx), 'bypass', scope);
      }
      // Public reads start no older than the versions the key names.
      if (versions.bookmark) scope.start = versions.bookmark;
      let tag = versionTag(versions, plan.scope);
      if (plan.lookup) {
        let found;
        try {
          // On the request's own session: the answer, if computed, reads from the state the key names, or a later one.
          found = await plan.lookup(scopedD1(scope, binding));
        } catch (error) {
          console.error('edge lookup', String(error));
          found = undefined;
        }
        if (!found) return finish(await handler(request, env, ctx), 'bypass', scope);
        tag = `${versionTag(versions, { ...plan.scope, ...found.scope })}.${found.tag}`;
      }
      const key = `${config.SITE_ORIGIN}/.edge/${BUILD_ID}/${tag}${url.pathname}${sortedQuery(url)}`;
      // This isolate's copy first (kept-answers.ts), then the data centre's.
      const inMemory = keptAnswer(key, Date.now());
      if (inMemory) return await fromCache(inMemory, request, scope, 'isolate');
      const cache = plan.isolateOnly ? undefined : edgeCache();
      const stored = await cache?.match(key);
      if (stored) return await fromCache(stored, request, scope, 'cache');
      const response = await handler(request, env, ctx);
      const ttl = edgeTtl(response, plan);
      if (request.method === 'GET' && ttl > 0) ctx.waitUntil(store(cache, key, storedCopy(response.clone(), ttl), ttl));
      return finish(response, 'miss', scope);
    });
  };
}

/** The data centre's cache (`caches.default` is Cloudflare's; the DOM typings do not know it). */
const edgeCache = () => (caches as unknown as { default: Cache }).default;

const isRead = (request: Request) => request.method === 'GET' || request.method === 'HEAD';

function cacheable(request: Request, url: URL, personal: boolean): EdgePlan | undefined {
  if (!isRead(request) || personal) return undefined;
  // A partner's call gets its own CORS answer and counts against its key's limit.
  if (request.headers.has('origin') || request.headers.has('x-guichet-key')) return undefined;
  return edgePlan(url);
}

/** The same query, parameters in a stable order: `?a=1&b=2` and `?b=2&a=1` share an entry. */
function sortedQuery(url: URL): string {
  if (!url.search) return '';
  const params = [...url.searchParams.entries()].sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0));
  return `?${new URLSearchParams(params).toString()}`;
}

/** Seconds the edge may keep `response`; 0 when it must not. */
function edgeTtl(response: Response, plan: EdgePlan): number {
  if (response.status !== 200 || response.headers.has('set-cookie')) return 0;
  const policy = response.headers.get('cache-control') ?? '';
  if (!/\bpublic\b/.test(policy) || /\b(no-store|private)\b/.test(policy)) return 0;
  const until = response.headers.get(FRESH_UNTIL_HEADER);
  const ttl = until ? Math.floor((Date.parse(until) - Date.now()) / 1000) : plan.ttl;
  return Number.isFinite(ttl) ? Math.max(0, Math.min(ttl, MAX_EDGE_TTL)) : 0;
}

/** The copy into this isolate's memory and (unless the plan keeps it there only) the Cache API, read once: after the answer, in its `waitUntil`. */
async function store(cache: Cache | undefined, key: string, copy: Response, ttl: number): Promise<void> {
  try {
    const body = await copy.arrayBuffer();
    await keepAnswer(key, copy, body, ttl, Date.now());
    await cache?.put(key, new Response(body, { status: copy.status, statusText: copy.statusText, headers: copy.headers }));
  } catch (error) {
    console.error('edge put', String(error));
  }
}

function storedCopy(response: Response, ttl: number): Response {
  const headers = new Headers(response.headers);
  headers.set(CLIENT_CACHE_HEADER, headers.get('cache-control') ?? '');
  headers.set('cache-control', `public, max-age=${ttl}`);
  headers.delete(FRESH_UNTIL_HEADER);
  headers.delete('server-timing');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/** A stored copy as sent, saying in `Server-Timing` whose copy it was: this isolate's or the Cache API's. */
async function fromCache(stored: Response, request: Request, scope: RequestScope, copy: 'isolate' | 'cache'): Promise<Response> {
  const headers = new Headers(stored.headers);
  headers.set('cache-control', headers.get(CLIENT_CACHE_HEADER) ?? '');
  headers.delete(CLIENT_CACHE_HEADER);
  headers.delete('cf-cache-status');
  headers.set('server-timing', `${serverTiming('hit', scope, false)}, edge-copy;desc=${copy}`);
  const etag = headers.get('etag');
  const asked = request.headers.get('if-none-match');
  const notModified = etag !== null && asked !== null && asked.split(',').some((tag) => weak(tag.trim()) === weak(etag));
  if (notModified || request.method === 'HEAD') {
    // A body left unread holds the cache's stream open: release it.
    await stored.body?.cancel();
    return new Response(null, notModified ? { status: 304, statusText: 'Not Modified', headers } : { status: stored.status, statusText: stored.statusText, headers });
  }
  return new Response(stored.body, { status: stored.status, statusText: stored.statusText, headers });
}

const weak = (tag: string) => tag.replace(/^W\//, '');

/** The answer as sent: its cost, and for a personal one (`personal` given) the bookmark to come back with. */
function finish(response: Response, edge: 'miss' | 'bypass', scope: RequestScope, personal?: Headers): Response {
  const headers = new Headers(response.headers);
  headers.delete(FRESH_UNTIL_HEADER);
  headers.set('server-timing', serverTiming(edge, scope, personal !== undefined));
  personal?.forEach((value, name) => headers.append(name, value));
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/**
 * A staff member reads their own writes: the bookmark their session
 * reached goes back to them (a header for API clients, a cookie for the
 * staff pages) and starts their next request's session.
 */
function bookmarkHeaders(request: Request, response: Response, scope: RequestScope): Headers {
  const headers = new Headers();
  const bookmark = sessionBookmark(scope);
  if (request.headers.has('authorization')) {
    if (bookmark) headers.set(STAFF_BOOKMARK_HEADER, bookmark);
  } else if (hasStaffSession(request)) {
    // Signing out ends the session cookie: the bookmark goes with it.
    const signingOut = (response.headers.get('set-cookie') ?? '').includes(`${SESSION_COOKIE}=;`);
    if (signingOut) headers.append('set-cookie', `${STAFF_BOOKMARK_COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0`);
    else if (bookmark) headers.append('set-cookie', `${STAFF_BOOKMARK_COOKIE}=${bookmark}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=${STAFF_BOOKMARK_MAX_AGE_S}`);
  }
  return headers;
}

/**
 * The versions' own reads: a session of their own, starting where the last
 * read of them ended (a replica never takes them back in time), counted in
 * the request that waits for them.
 */
function pollSource(binding: D1Database, scope: RequestScope): VersionSource {
  const session = typeof binding.withSession === 'function' ? binding.withSession(versionsBookmark() ?? 'first-unconstrained') : undefined;
  const d1 = meteredD1({ current: () => session ?? binding }, scope.versionsMeter);
  return { prepare: (sql) => d1.prepare(sql), batch: (s) => d1.batch(s), getBookmark: () => session?.getBookmark() ?? null };
}
