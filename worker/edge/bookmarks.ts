/**
 * @module
 * Who is asking, as far as the edge needs to know: a request with
 * credentials is personal (never cached, its D1 figures never shown) and
 * may carry the D1 bookmark of its own last write.
 */
import { SESSION_COOKIE } from '../staff/sessions';

/** Response and request header carrying a staff API client's D1 bookmark. */
export const STAFF_BOOKMARK_HEADER = 'guichet-bookmark';
/** The staff pages' bookmark cookie (the session cookie is `__Host-guichet-staff`). */
export const STAFF_BOOKMARK_COOKIE = '__Host-guichet-bookmark';

/**
 * D1 bookmarks are short runs of hex digits and dashes; anything else is
 * ignored. One that passes but that D1 refuses makes the request read from
 * the primary (scope.ts), never fail.
 */
const BOOKMARK = /^[0-9A-Fa-f]{1,64}(?:-[0-9A-Fa-f]{1,64}){0,7}$/;

/** How long the staff pages' bookmark cookie lives: a staff session's read-your-writes window, not a tracker. */
export const STAFF_BOOKMARK_MAX_AGE_S = 3600;

export function hasCredentials(request: Request): boolean {
  return request.headers.has('authorization') || request.headers.has('cookie');
}

/** A staff page's request: it carries the staff session cookie. */
export function hasStaffSession(request: Request): boolean {
  return (request.headers.get('cookie') ?? '').split(';').some((part) => part.trim().startsWith(`${SESSION_COOKIE}=`));
}

/** The bookmark the request brings back, if it is well formed. */
export function bookmarkOf(request: Request): string | undefined {
  const header = request.headers.get(STAFF_BOOKMARK_HEADER)?.trim();
  if (header && BOOKMARK.test(header)) return header;
  for (const part of (request.headers.get('cookie') ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === STAFF_BOOKMARK_COOKIE && BOOKMARK.test(value.join('='))) return value.join('=');
  }
  return undefined;
}
