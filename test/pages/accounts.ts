/**
 * Signing in as a customer in page tests, the real way: the code is read
 * from the outbox with `npm run outbox` (what a developer does), never from
 * the database or a stub.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { expect, inject } from 'vitest';

const BIN = join(process.cwd(), 'node_modules', '.bin');

/** The outbox's messages to an address, newest first, as `npm run outbox` prints them. */
export function outboxOf(email: string): Array<{ to: string; channel: string; subject: string; text: string; sent_at: string }> {
  const result = spawnSync(join(BIN, 'tsx'), ['scripts/outbox.ts', '--to', email, '--persist-to', inject('statePath')], {
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' }, encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`npm run outbox failed:\n${result.stderr}`);
  return result.stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line));
}

/** The ids of the messages an address has received so far. */
export const outboxIds = (email: string) => new Set(outboxOf(email).map((m) => (m as { id?: string }).id ?? m.sent_at));

/**
 * The newest sign-in code sent to `email` that is not among `seen` (the
 * messages before the request; the queue delivers within a couple of
 * seconds, so it is polled). Without `seen`, the newest code at all.
 */
export async function readCode(email: string, seen: Set<string> = new Set()): Promise<string> {
  let code: string | undefined;
  await expect.poll(() => {
    const message = outboxOf(email).find((m) => !seen.has((m as { id?: string }).id ?? m.sent_at) && /code/i.test(m.subject));
    code = message && /\b(\d{6})\b/.exec(message.text)?.[1];
    return code;
  }, { timeout: 20_000, interval: 300 }).toBeDefined();
  return code!;
}

/** Signs in (or up) in a browser context, as a person does: ends on /compte. */
export async function signInWithCode(context: BrowserContext, email: string): Promise<Page> {
  const baseUrl = inject('baseUrl');
  const tab = await context.newPage();
  const seen = outboxIds(email);
  await tab.goto(`${baseUrl}/connexion`);
  await tab.getByLabel('Adresse électronique').fill(email);
  await tab.getByRole('button', { name: 'Recevoir un code' }).click();
  await tab.waitForURL(/\/connexion\/code/);
  await tab.getByLabel('Code reçu').fill(await readCode(email, seen));
  await tab.getByRole('button', { name: 'Se connecter' }).click();
  await tab.waitForURL(`${baseUrl}/compte`);
  return tab;
}

/** `name=value` of each cookie a response sets. */
const cookiePairs = (response: Response) => response.headers.getSetCookie().map((c) => c.split(';')[0]!);

/**
 * Signs in (or up) over plain HTTP; answers the `__Host-guichet-session=…`
 * pair to send as a Cookie header. `wrangler dev` sometimes closes a kept-alive
 * socket as the next request is written (undici: "other side closed"): the
 * whole flow is then run once more, with a new code.
 */
export async function sessionCookieOverHttp(email: string): Promise<string> {
  try {
    return await signInOverHttp(email);
  } catch (error) {
    if (!(error instanceof TypeError && /fetch failed/.test(error.message))) throw error;
    return signInOverHttp(email);
  }
}

async function signInOverHttp(email: string): Promise<string> {
  const baseUrl = inject('baseUrl');
  const seen = outboxIds(email);
  // A browser sends its Origin with a form post (Astro refuses a cross-site one).
  const asked = await fetch(`${baseUrl}/connexion`, { method: 'POST', body: new URLSearchParams({ email }), headers: { origin: baseUrl }, redirect: 'manual' });
  expect(asked.status).toBe(303);
  const attempt = cookiePairs(asked).find((c) => c.startsWith('__Host-guichet-attempt='));
  expect(attempt).toBeDefined();
  const code = await readCode(email, seen);
  const signedIn = await fetch(`${baseUrl}/connexion/code`, {
    method: 'POST', body: new URLSearchParams({ code }), headers: { cookie: attempt!, origin: baseUrl }, redirect: 'manual',
  });
  expect(signedIn.status).toBe(303);
  const session = cookiePairs(signedIn).find((c) => c.startsWith('__Host-guichet-session='));
  expect(session).toBeDefined();
  return session!;
}
