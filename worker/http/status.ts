/**
 * @module
 * Status lines that say what the status says: Astro renders pages with the
 * status a page sets but keeps the reason phrase "OK", so a refused sign-in
 * went out as "401 OK". Every answer gets its standard reason phrase here.
 */
import type { MiddlewareHandler } from 'hono';

export const REASON_PHRASES: Readonly<Record<number, string>> = {
  200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 206: 'Partial Content',
  301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 406: 'Not Acceptable',
  409: 'Conflict', 410: 'Gone', 412: 'Precondition Failed', 413: 'Content Too Large', 415: 'Unsupported Media Type',
  422: 'Unprocessable Content', 428: 'Precondition Required', 429: 'Too Many Requests',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

const NULL_BODY = new Set([101, 204, 205, 304]);

export const statusLine = (): MiddlewareHandler => async (c, next) => {
  await next();
  const response = c.res;
  const phrase = REASON_PHRASES[response.status];
  if (!phrase || response.statusText === phrase || response.status === 101) return;
  c.res = new Response(NULL_BODY.has(response.status) ? null : response.body, {
    status: response.status,
    statusText: phrase,
    headers: response.headers,
  });
};
