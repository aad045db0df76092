/**
 * Global setup of the Workers tests: a local HTTP receiver standing in for
 * the publication targets (IndexNow, the Google webhook). It records what it
 * receives and can be told to fail, so retries are tested for real.
 *   POST /<anything>      recorded; answers 503 while failures are queued
 *   POST /__fail?n=N      the next N deliveries fail
 *   GET  /__received      what was delivered, oldest first
 *   POST /__reset         forget everything
 */
import { createServer } from 'node:http';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    receiverUrl: string;
  }
}

export default async function setup(project: TestProject) {
  let received: Array<{ path: string; body: unknown }> = [];
  let failures = 0;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://receiver');
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      const reply = (status: number, body: unknown = {}) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (url.pathname === '/__received') return reply(200, received);
      if (url.pathname === '/__reset') { received = []; failures = 0; return reply(200); }
      if (url.pathname === '/__fail') { failures = Number(url.searchParams.get('n') ?? 1); return reply(200); }
      if (failures > 0) { failures--; return reply(503, { error: 'unavailable' }); }
      received.push({ path: url.pathname, body: raw ? JSON.parse(raw) : null });
      return reply(200);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  project.provide('receiverUrl', `http://127.0.0.1:${port}`);
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
