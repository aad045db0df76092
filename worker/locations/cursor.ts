/**
 * @module
 * Opaque pagination cursors: base64url of `{"after": <id>}`. Opaque so we can
 * change the ordering later without breaking clients; checked so a forged,
 * truncated or non-canonical cursor is a 400, never a 500.
 */
import { decodeBase64url, encodeBase64urlText } from '../http/base64url';
import { LOCATION_ID } from './api-schema';

export function encodeCursor(afterId: string): string {
  return encodeBase64urlText(JSON.stringify({ after: afterId }));
}

/** The id to continue after, or undefined when the cursor is not one of ours (nor spelled as we spell it). */
export function decodeCursor(cursor: string): string | undefined {
  const bytes = decodeBase64url(cursor);
  if (!bytes) return undefined;
  try {
    const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    if (typeof value !== 'object' || value === null) return undefined;
    const after = (value as { after?: unknown }).after;
    return typeof after === 'string' && LOCATION_ID.test(after) ? after : undefined;
  } catch {
    return undefined;
  }
}
