/**
 * Requests to the Worker under test (the `main` of the Workers test pool),
 * through its own default export as the runtime would call it.
 */
import { exports } from 'cloudflare:workers';

const ORIGIN = 'https://guichet.test';

export function request(path: string, init?: RequestInit): Promise<Response> {
  const main = (exports as unknown as { default: Fetcher }).default;
  return main.fetch(new Request(new URL(path, ORIGIN), init));
}

export { ORIGIN };
