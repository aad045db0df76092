/**
 * Global setup of the Workers tests: a local HTTP receiver standing in for
 * the publication targets (IndexNow, the Google webhook). It records what it
 * receives and can be told to fail or to hang, so retries, time-outs and
 * overlapping runs are tested for real.
 *
 * Test files run in parallel and share it, so each uses its own channel, the
 * first path segment (`/<channel>/google`); state is kept per channel.
 *   POST /<ch>/<path>                         recorded as `<path>` once answered 2xx
 *   POST /<ch>/__fail?n=N[&status=503][&path=/google]
 *                                             the next N matching deliveries answer `status`
 *   POST /<ch>/__hang?n=N&ms=M[&status=200][&path=/google]
 *                                             the next N matching deliveries answer after M ms;
 *                                             a 2xx is recorded when answered (not when it
 *                                             arrived), unless the sender gave up first
 *   GET  /<ch>/__received                     what was delivered, in the order it was answered
 *   GET  /<ch>/__arrivals                     paths of deliveries that arrived, answered or not
 *   POST /<ch>/__reset                        forget everything of this channel
 */
import { createServer } from 'node:http';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    receiverUrl: string;
  }
}

interface Rule {
  path: string | null;
  remaining: number;
  status: number;
  delayMs: number;
}

interface Channel {
  received: Array<{ path: string; body: unknown }>;
  arrivals: string[];
  rules: Rule[];
}

export default async function setup(project: TestProject) {
  const channels = new Map<string, Channel>();
  const channel = (name: string) => {
    let state = channels.get(name);
    if (!state) channels.set(name, (state = { received: [], arrivals: [], rules: [] }));
    return state;
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://receiver');
    const [, name = '', ...rest] = url.pathname.split('/');
    const path = `/${rest.join('/')}`;
    const state = channel(name);
    const chunks: Buffer[] = [];
    let abandoned = false;
    res.on('close', () => {
      if (!res.writableEnded) abandoned = true;
    });
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const reply = (status: number, body: unknown = {}) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const number = (key: string, fallback: number) => Number(url.searchParams.get(key) ?? fallback);
      if (path === '/__received') return reply(200, state.received);
      if (path === '/__arrivals') return reply(200, state.arrivals);
      if (path === '/__reset') {
        channels.delete(name);
        return reply(200);
      }
      if (path === '/__fail' || path === '/__hang') {
        state.rules.push({
          path: url.searchParams.get('path'),
          remaining: number('n', 1),
          status: number('status', path === '/__fail' ? 503 : 200),
          delayMs: path === '/__hang' ? number('ms', 1000) : 0,
        });
        return reply(200);
      }
      state.arrivals.push(path);
      const rule = state.rules.find((r) => r.remaining > 0 && (r.path === null || r.path === path));
      if (rule) rule.remaining--;
      const status = rule?.status ?? 200;
      const answer = () => {
        if (abandoned) return;
        if (status >= 200 && status < 300) state.received.push({ path, body: raw ? JSON.parse(raw) : null });
        reply(status, status < 300 ? {} : { error: 'refused by the test receiver' });
      };
      if (rule?.delayMs) setTimeout(answer, rule.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  project.provide('receiverUrl', `http://127.0.0.1:${port}`);
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
