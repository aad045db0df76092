/**
 * @module
 * Signing in with a code sent by email, whoever asks (the pages and the
 * API call these). There is no separate sign-up: a verified address with
 * no account gets one. The answer to a code request never depends on
 * whether the address has an account, so nobody can probe which do.
 *
 * The code is drawn uniformly, sent through the `messages` queue, and
 * stored only as HMAC(ACCOUNT_KEY, attempt ‖ address ‖ code). It lives 10
 * minutes, takes 5 wrong guesses (counted by one conditional UPDATE), and
 * is spent on first success. It is bound to the attempt: the browser holds
 * the attempt id in a `__Host-` cookie, an API client in the answer. It is
 * typed into a form, never followed from a link (mail scanners open links).
 */
import { and, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import * as v from 'valibot';
import { customers, signInAttempts } from '../../db/schema';
import type { QueueProducer } from '../config';
import type { Database } from '../database';
import { bindings } from '../env';
import { clearCookie, cookieValue, setCookie } from '../http/cookies';
import { randomSecret, sameToken, sha256 } from '../http/crypto';
import { queueMessage } from '../messages/use-cases';
import { accountMac } from './key';
import { historyInsertIf } from './history';
import {
  CODE_MAX_GUESSES, CODE_TTL_MS, CodeSchema, CODES_PER_ADDRESS_PER_HOUR, CODES_PER_CLIENT_PER_HOUR, drawCode, EmailSchema,
} from './model';
import { openCustomerSession } from './sessions';

/** The browser's attempt: which code it is waiting for. Strict: only our own forms use it. */
export const ATTEMPT_COOKIE = '__Host-guichet-attempt';
const ATTEMPT_ID = /^sia_[\w-]{43}$/;

export const attemptIdOf = (cookieHeader: string | null | undefined) => {
  const id = cookieValue(cookieHeader, ATTEMPT_COOKIE);
  return id && ATTEMPT_ID.test(id) ? id : undefined;
};
export const isAttemptId = (id: unknown): id is string => typeof id === 'string' && ATTEMPT_ID.test(id);
export const ATTEMPT_COOKIE_CLEARED = clearCookie(ATTEMPT_COOKIE);

export type CodeRequest =
  | { ok: true; attemptId: string; cookie: string; expiresAt: string }
  | { ok: false; problem: 'invalid_email'; reason: string }
  | { ok: false; problem: 'rate_limited' };

/** The client as the rate limits know it: a digest of its address, never the address. */
const clientDigestOf = (clientIp: string | null | undefined) => sha256(`client:${clientIp ?? 'unknown'}`);

/**
 * Sends a new code to `email` (if it is well formed and the limits allow):
 * per client and minute (the SIGN_IN_LIMITER binding), per client and hour,
 * per address and hour (D1 counts).
 */
export async function requestCode(
  db: Database,
  input: { email: unknown; clientIp: string | null | undefined; now: Date; queue?: QueueProducer },
): Promise<CodeRequest> {
  const parsed = v.safeParse(EmailSchema, input.email);
  if (!parsed.success) return { ok: false, problem: 'invalid_email', reason: parsed.issues[0].message };
  const email = parsed.output;
  const limiter = bindings().SIGN_IN_LIMITER;
  if (limiter && input.clientIp && !(await limiter.limit({ key: `sign-in:${input.clientIp}` })).success) {
    return { ok: false, problem: 'rate_limited' };
  }
  const hourAgo = new Date(input.now.getTime() - 3600_000).toISOString();
  const emailDigest = await sha256(`email:${email}`);
  const clientDigest = await clientDigestOf(input.clientIp);
  const attemptId = `sia_${randomSecret()}`;
  const code = drawCode();
  const expiresAt = new Date(input.now.getTime() + CODE_TTL_MS).toISOString();
  const codeMac = await accountMac(db, 'sign-in', attemptId, email, code);
  // Counting and inserting in one statement: a burst of concurrent requests cannot all pass the hourly limits.
  const inserted = await db.$client.prepare(
    `INSERT INTO sign_in_attempts (id, email, email_digest, client_digest, code_mac, guesses, created_at, expires_at)
     SELECT ?1, ?2, ?3, ?4, ?5, 0, ?6, ?7
     WHERE (SELECT count(*) FROM sign_in_attempts WHERE email_digest = ?3 AND created_at > ?8) < ?9
       AND (SELECT count(*) FROM sign_in_attempts WHERE client_digest = ?4 AND created_at > ?8) < ?10
     RETURNING id`,
  ).bind(attemptId, email, emailDigest, clientDigest, codeMac, input.now.toISOString(), expiresAt, hourAgo,
    CODES_PER_ADDRESS_PER_HOUR, bindings().signInCodesPerClientPerHour ?? CODES_PER_CLIENT_PER_HOUR).first<{ id: string }>();
  if (!inserted) return { ok: false, problem: 'rate_limited' };
  // Attempts older than a day only served the hourly counts.
  await db.delete(signInAttempts).where(lt(signInAttempts.createdAt, new Date(input.now.getTime() - 24 * 3600_000).toISOString()));
  const minutes = CODE_TTL_MS / 60_000;
  await queueMessage(input.queue ?? bindings().messages.queue, {
    // The key names the attempt without carrying its secret id (keys are kept and may be logged).
    id: `sign-in:${(await sha256(attemptId)).slice(0, 32)}`,
    channel: 'email',
    to: email,
    // Not in the subject: lock screens and mail logs show subjects.
    subject: 'Votre code de connexion à Guichet',
    text: [
      'Bonjour,',
      '',
      `Votre code de connexion à Guichet est : ${code}`,
      '',
      `Saisissez-le sur la page où vous l’avez demandé. Il est valable ${minutes} minutes et ne sert qu’une fois.`,
      'Ne le communiquez à personne : La Poste ne vous le demandera jamais.',
      '',
      'Si vous n’avez rien demandé, ignorez ce message : personne ne peut se connecter sans ce code.',
    ].join('\n'),
    urgent: true,
  }, input.now);
  return {
    ok: true, attemptId, expiresAt,
    cookie: setCookie(ATTEMPT_COOKIE, attemptId, { maxAgeSeconds: CODE_TTL_MS / 1000, sameSite: 'Strict' }),
  };
}

export type CodeCheck =
  | { ok: true; cookies: string[]; customerId: string; created: boolean }
  | { ok: false; problem: 'invalid_code'; reason: string }
  /** No live attempt (none, expired, used, or out of guesses): a new code is needed. */
  | { ok: false; problem: 'expired' }
  | { ok: false; problem: 'wrong_code'; guessesLeft: number };

/**
 * Checks a typed code against the attempt. A right code signs in (and
 * creates the account the first time); the browser's previous session, if
 * any, is ended and a new one opened.
 */
export async function verifyCode(
  db: Database,
  input: { attemptId: string | undefined; code: unknown; cookieHeader: string | null | undefined; now: Date },
): Promise<CodeCheck> {
  const parsed = v.safeParse(CodeSchema, input.code);
  if (!parsed.success) return { ok: false, problem: 'invalid_code', reason: parsed.issues[0].message };
  if (!input.attemptId) return { ok: false, problem: 'expired' };
  const now = input.now.toISOString();
  // One guess is spent before the code is checked, in one conditional statement: concurrent guesses cannot exceed 5.
  const [attempt] = await db.update(signInAttempts)
    .set({ guesses: sql`${signInAttempts.guesses} + 1` })
    .where(and(
      eq(signInAttempts.id, input.attemptId), lt(signInAttempts.guesses, CODE_MAX_GUESSES),
      gt(signInAttempts.expiresAt, now), isNull(signInAttempts.usedAt),
    ))
    .returning();
  if (!attempt) return { ok: false, problem: 'expired' };
  const mac = await accountMac(db, 'sign-in', attempt.id, attempt.email, parsed.output);
  if (!sameToken(mac, attempt.codeMac)) {
    const guessesLeft = CODE_MAX_GUESSES - attempt.guesses;
    return guessesLeft > 0 ? { ok: false, problem: 'wrong_code', guessesLeft } : { ok: false, problem: 'expired' };
  }
  // Single use: of two right guesses racing, one spends the attempt.
  const spent = await db.update(signInAttempts).set({ usedAt: now, email: '' })
    .where(and(eq(signInAttempts.id, attempt.id), isNull(signInAttempts.usedAt))).returning({ id: signInAttempts.id });
  if (!spent.length) return { ok: false, problem: 'expired' };

  const { customerId, created } = await customerFor(db, attempt.email, input.now);
  const { cookie } = await openCustomerSession(db, { customerId, method: 'code', cookieHeader: input.cookieHeader, now: input.now });
  return { ok: true, cookies: [cookie, ATTEMPT_COOKIE_CLEARED], customerId, created };
}

/** The account of a verified address, created on its first sign-in. */
async function customerFor(db: Database, email: string, now: Date): Promise<{ customerId: string; created: boolean }> {
  const existing = await db.select({ id: customers.id }).from(customers).where(eq(customers.email, email)).get();
  if (existing) return { customerId: existing.id, created: false };
  const id = `cus_${crypto.randomUUID()}`;
  const at = now.toISOString();
  const [inserted] = await db.batch([
    db.insert(customers).values({ id, email, counterSalt: randomSecret(), createdAt: at, lastActiveAt: at })
      .onConflictDoNothing().returning({ id: customers.id }),
    // Recorded only if this insert made the account (the fresh id exists only then): same batch, same transaction.
    historyInsertIf(db, { customerId: id, kind: 'account.created', at: now, where: { channel: 'web' } }, sql`exists (select 1 from customers where id = ${id})`),
  ]);
  if (inserted.length) return { customerId: id, created: true };
  const winner = await db.select({ id: customers.id }).from(customers).where(eq(customers.email, email)).get();
  return { customerId: winner!.id, created: false };
}
