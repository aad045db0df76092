/**
 * @module
 * Where to go after signing in: a path on this site only (never another
 * origin, never a scheme-relative `//host`), so the `suite` parameter cannot
 * send anyone elsewhere.
 */
const LOCAL_PATH = /^\/(?![/\\])[\w\-./?=&%]{0,200}$/;

export function nextPath(value: unknown, fallback = '/compte'): string {
  return typeof value === 'string' && LOCAL_PATH.test(value) ? value : fallback;
}
