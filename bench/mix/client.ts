/**
 * The bench's HTTP client: one undici keep-alive pool, every request timed
 * from send to the last byte of its body, answered like a browser
 * (`Accept-Encoding: gzip, br`), its `Server-Timing` read.
 *
 * undici is not a direct dependency: it comes with wrangler (miniflare) and
 * is what Node's own fetch runs on; fetch itself hides the pool and the
 * timing of the body, hence the Pool.
 */
import { performance } from 'node:perf_hooks';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { Pool } from 'undici';
import { outcomeOf, parseServerTiming, type Sample } from './stats';

export const REQUEST_TIMEOUT_MS = 30_000;

export interface Call {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  headers?: Record<string, string>;
  json?: unknown;
  /** Keep and decode the body (otherwise it is read and counted, not kept). */
  keepBody?: boolean;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Decoded body text when `keepBody`. */
  text?: string;
  sample: Sample;
}

export function newPool(base: string, connections: number): Pool {
  return new Pool(base, {
    connections,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    keepAliveMaxTimeout: 120_000,
    headersTimeout: REQUEST_TIMEOUT_MS,
    bodyTimeout: REQUEST_TIMEOUT_MS,
    connectTimeout: 10_000,
  });
}

function decode(body: Buffer, encoding: string | undefined): string {
  switch ((encoding ?? '').trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return gunzipSync(body).toString('utf8');
    case 'br':
      return brotliDecompressSync(body).toString('utf8');
    case 'deflate':
      return inflateSync(body).toString('utf8');
    default:
      return body.toString('utf8');
  }
}

const header = (headers: Answer['headers'], name: string) => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
};

export { header as headerOf };

/** One request, timed; never throws: failures come back as a sample with status 0. */
export async function send(pool: Pool, kind: string, call: Call): Promise<Answer> {
  const headers: Record<string, string> = {
    'accept-encoding': 'gzip, br',
    'user-agent': 'guichet-bench-mix',
    ...call.headers,
  };
  let body: string | undefined;
  if (call.json !== undefined) {
    body = JSON.stringify(call.json);
    headers['content-type'] = 'application/json';
  }
  const started = performance.now();
  try {
    const response = await pool.request({ method: call.method ?? 'GET', path: call.path, headers, body });
    let bytes = 0;
    const chunks: Buffer[] = [];
    for await (const chunk of response.body) {
      bytes += chunk.length;
      if (call.keepBody) chunks.push(chunk as Buffer);
    }
    const ms = performance.now() - started;
    const sample: Sample = {
      kind, start: started, status: response.statusCode, outcome: outcomeOf(response.statusCode), ms, bytes,
      timing: parseServerTiming(response.headers['server-timing']),
    };
    const answer: Answer = { status: response.statusCode, headers: response.headers, sample };
    if (call.keepBody) answer.text = decode(Buffer.concat(chunks), header(response.headers, 'content-encoding'));
    return answer;
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    const timeout = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT';
    const sample: Sample = {
      kind, start: started, status: 0, outcome: timeout ? 'timeout' : 'socket_error', ms: performance.now() - started, bytes: 0, timing: {},
    };
    return { status: 0, headers: {}, sample };
  }
}

/** A JSON body, or undefined when it is not JSON. */
export function jsonOf<T = any>(answer: Answer): T | undefined {
  if (answer.text === undefined) return undefined;
  try {
    return JSON.parse(answer.text) as T;
  } catch {
    return undefined;
  }
}
