/**
 * @module
 * One request's own database handle: a D1 session (so that read replicas
 * can be switched on) wrapped by the request's meter. Kept in an
 * AsyncLocalStorage entered by the edge layer, so `database()` finds it
 * wherever the request's code runs; nothing of it outlives the request or
 * is seen by another one.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { type D1Like, type D1Target, Meter, meteredD1 } from './meter';

/**
 * Where a request's session starts:
 * - a bookmark: at least that recent (a staff member's own last write, or
 *   the state the edge cache's versions were read at);
 * - `first-primary`: the primary itself (a staff request without bookmark);
 * - `first-unconstrained`: any replica (public reads tolerate its lag).
 */
export type SessionStart = string | 'first-primary' | 'first-unconstrained';

export interface RequestScope {
  /** What the answer itself read and wrote. */
  meter: Meter;
  /** What reading the edge versions cost, when this request had to wait for it (the edge's bookkeeping, not the answer's). */
  versionsMeter: Meter;
  start: SessionStart;
  /** `start` is a bookmark the client sent back: D1 may refuse it, then the request reads from the primary. */
  startFromClient: boolean;
  /** Work that may finish after the answer is sent (the request's `ctx.waitUntil`). */
  waitUntil: (work: Promise<unknown>) => void;
  /** The session, opened on the first query. */
  session?: D1DatabaseSession;
  d1?: D1Database;
}

const storage = new AsyncLocalStorage<RequestScope>();

export function newScope(start: SessionStart, waitUntil: (work: Promise<unknown>) => void, startFromClient = false): RequestScope {
  return { meter: new Meter(), versionsMeter: new Meter(), start, startFromClient, waitUntil };
}

/** Runs `work` with `scope` as the current request's. */
export function inScope<T>(scope: RequestScope, work: () => T): T {
  return storage.run(scope, work);
}

/** The current request's scope, if any (none in the cron job or a Node script). */
export function currentScope(): RequestScope | undefined {
  return storage.getStore();
}

/** The request's metered session over `binding`, opened once per request. */
export function scopedD1(scope: RequestScope, binding: D1Database): D1Database {
  if (!scope.d1) {
    const target: D1Target = {
      // Opened on the first query: the edge layer may still move `start` before it.
      current: () => (scope.session ??= openSession(binding, scope.start)) ?? binding,
      recover: () => {
        // A bookmark we did not check (the client's) failed: once, read from the primary instead.
        if (!scope.startFromClient) return false;
        scope.startFromClient = false;
        scope.start = 'first-primary';
        scope.session = openSession(binding, 'first-primary');
        return true;
      },
    };
    scope.d1 = meteredD1(target, scope.meter);
  }
  return scope.d1;
}

/** A D1 session, or undefined where the binding has none (an old runtime): then the binding itself, metered. */
function openSession(binding: D1Database, start: SessionStart): D1DatabaseSession | undefined {
  return typeof binding.withSession === 'function' ? binding.withSession(start) : undefined;
}

/** The bookmark the request's session reached, for the next request of the same person. */
export function sessionBookmark(scope: RequestScope): string | null {
  return scope.session?.getBookmark() ?? null;
}

export type { D1Like };
