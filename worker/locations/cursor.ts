/**
 * @module
 * Opaque pagination cursors: base64url of `{"after": <id>}`. Opaque so we can
 * change the ordering later without breaking clients; checked so a forged or
 * truncated cursor is a 400, never a 500.
 */
import { LOCATION_ID } from './api-schema';

export function encodeCursor(afterId: string): string {
  return btoa(JSON.stringify({ after: afterId })).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The id to continue after, or undefined when the cursor is not one of ours. */
export function decodeCursor(cursor: string): string | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  try {
    const base64 = cursor.replace(/-/g, '+').replace(/_/g, '/');
    const json = atob(base64.padEnd(base64.length + ((4 - (base64.length % 4)) % 4), '='));
    const value: unknown = JSON.parse(json);
    if (typeof value !== 'object' || value === null) return undefined;
    const after = (value as { after?: unknown }).after;
    return typeof after === 'string' && LOCATION_ID.test(after) ? after : undefined;
  } catch {
    return undefined;
  }
}
