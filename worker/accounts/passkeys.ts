/**
 * @module
 * Passkeys, the use cases: a signed-in customer adds one (and lists or
 * removes them); anyone signs in with one. The checks themselves are
 * worker/accounts/webauthn.ts (no I/O); here are the challenge (random,
 * stored as a digest, five minutes, spent by the first answer that names
 * it, right or wrong), the stored keys, the history and the session.
 */
import { and, asc, count, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import { customers, passkeys, webauthnChallenges } from '../../db/schema';
import type { Database } from '../database';
import { encodeBase64url, encodeBase64urlText } from '../http/base64url';
import { randomSecret, sha256 } from '../http/crypto';
import { bindings } from '../env';
import { queueMessage } from '../messages/use-cases';
import { historyInsert, historyInsertIf } from './history';
import type { CustomerSession } from './sessions';
import { openCustomerSession } from './sessions';
import {
  CHALLENGE_TTL_MS, checkAssertion, checkRegistration, creationOptions, readClientData, type Refusal, relyingParty, requestOptions,
} from './webauthn';

/** At most this many passkeys on an account (a phone, a computer, a spare key… with room to spare). */
export const MAX_PASSKEYS = 10;

/** A passkey as its owner sees it. */
export interface PasskeyItem {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/** A browser's `PublicKeyCredential` from `create()`, its binary fields decoded. */
export interface RegistrationAnswer {
  rawId: Uint8Array;
  clientDataJSON: Uint8Array;
  attestationObject: Uint8Array;
}

/** A browser's `PublicKeyCredential` from `get()`, its binary fields decoded. */
export interface AssertionAnswer {
  rawId: Uint8Array;
  clientDataJSON: Uint8Array;
  authenticatorData: Uint8Array;
  signature: Uint8Array;
  userHandle: Uint8Array | null;
}

export type RegistrationOutcome =
  | { ok: true; passkey: PasskeyItem }
  | { ok: false; problem: 'too_many' | 'already_registered' | 'expired' }
  | { ok: false; problem: 'refused'; refusal: Refusal };

export type SignInOutcome =
  | { ok: true; cookie: string; customerId: string }
  | { ok: false; problem: 'unknown_credential' | 'expired' }
  | { ok: false; problem: 'refused'; refusal: Refusal };

/** The account's name on the authenticator: opaque bytes (the customer id), never the address. */
const userHandleOf = (customerId: string) => encodeBase64urlText(customerId);

const challengeDigest = (challenge: string) => sha256(`webauthn:${challenge}`);

/** A new challenge for one ceremony; expired ones are swept on the way. */
async function issueChallenge(db: Database, purpose: 'register' | 'sign_in', customerId: string | null, now: Date): Promise<string> {
  const challenge = randomSecret(32);
  await db.batch([
    db.delete(webauthnChallenges).where(lt(webauthnChallenges.expiresAt, now.toISOString())),
    db.insert(webauthnChallenges).values({
      challengeHash: await challengeDigest(challenge), purpose, customerId, expiresAt: new Date(now.getTime() + CHALLENGE_TTL_MS).toISOString(),
    }),
  ]);
  return challenge;
}

/**
 * Spends a challenge in one statement: true only for the first answer that
 * names it, within five minutes, for the same ceremony and customer.
 */
async function spendChallenge(db: Database, challenge: string, purpose: 'register' | 'sign_in', customerId: string | null, now: Date): Promise<boolean> {
  const spent = await db.delete(webauthnChallenges).where(and(
    eq(webauthnChallenges.challengeHash, await challengeDigest(challenge)),
    eq(webauthnChallenges.purpose, purpose),
    customerId === null ? isNull(webauthnChallenges.customerId) : eq(webauthnChallenges.customerId, customerId),
    gt(webauthnChallenges.expiresAt, now.toISOString()),
  )).returning({ challengeHash: webauthnChallenges.challengeHash });
  return spent.length === 1;
}

/** The customer's passkeys, oldest first. */
export async function passkeysOf(db: Database, customerId: string): Promise<PasskeyItem[]> {
  return db.select({ id: passkeys.id, name: passkeys.name, createdAt: passkeys.createdAt, lastUsedAt: passkeys.lastUsedAt })
    .from(passkeys).where(eq(passkeys.customerId, customerId)).orderBy(asc(passkeys.createdAt), asc(passkeys.id));
}

/** What `navigator.credentials.create()` needs to add a passkey to the signed-in customer's account. */
export async function registrationOptions(db: Database, session: CustomerSession, siteOrigin: string, now: Date) {
  const existing = await passkeysOf(db, session.customer.id);
  return creationOptions({
    rp: relyingParty(siteOrigin),
    challenge: await issueChallenge(db, 'register', session.customer.id, now),
    userHandle: userHandleOf(session.customer.id),
    userName: session.customer.email,
    exclude: existing.map((key) => key.id),
  });
}

/** What the customer sees in the list: when the key was added, in their time zone. */
function passkeyName(now: Date, timeZone: string): string {
  const format = (options: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat('fr-FR', { timeZone, ...options }).format(now);
  return `Clé ajoutée le ${format({ day: '2-digit', month: '2-digit', year: 'numeric' })} à ${format({ hour: '2-digit', minute: '2-digit' })}`;
}

/** Checks the browser's answer and stores the passkey (history in the same batch). */
export async function finishRegistration(
  db: Database, session: CustomerSession, answer: RegistrationAnswer, siteOrigin: string, now: Date,
): Promise<RegistrationOutcome> {
  const rp = relyingParty(siteOrigin);
  const client = readClientData(answer.clientDataJSON, 'create', rp);
  if (!client.ok) return { ok: false, problem: 'refused', refusal: client.refusal };
  const customerId = session.customer.id;
  if (!(await spendChallenge(db, client.challenge, 'register', customerId, now))) return { ok: false, problem: 'expired' };
  const checked = await checkRegistration({ ...answer, credentialId: answer.rawId }, rp);
  if (!checked.ok) return { ok: false, problem: 'refused', refusal: checked.refusal };

  const [owned, taken] = await db.batch([
    db.select({ n: count() }).from(passkeys).where(eq(passkeys.customerId, customerId)),
    db.select({ id: passkeys.id }).from(passkeys).where(eq(passkeys.id, checked.credentialId)),
  ]);
  if (taken.length) return { ok: false, problem: 'already_registered' };
  if ((owned[0]?.n ?? 0) >= MAX_PASSKEYS) return { ok: false, problem: 'too_many' };
  const passkey: PasskeyItem = { id: checked.credentialId, name: passkeyName(now, session.customer.timeZone), createdAt: now.toISOString(), lastUsedAt: null };
  // The owner hears of a new key by email at once, whatever the hour (a stolen session could add one).
  // Queued first: if the queue fails, no key is added unannounced.
  await queueMessage(bindings().messages.queue, {
    id: `passkey-added:${(await sha256(checked.credentialId)).slice(0, 32)}`,
    channel: 'email',
    to: session.customer.email,
    subject: 'Une clé d’accès a été ajoutée à votre compte',
    text: [
      'Bonjour,',
      '',
      `Une clé d’accès (« ${passkey.name} ») vient d’être ajoutée à votre compte Guichet. Elle permet de se connecter sans code.`,
      '',
      `Si ce n’est pas vous : connectez-vous avec un code, supprimez-la sur ${siteOrigin}/compte/cles, puis choisissez « Se déconnecter de tous les appareils ».`,
    ].join('\n'),
    urgent: true,
  }, now);
  const [stored] = await db.batch([
    db.insert(passkeys).values({ ...passkey, customerId, publicKey: checked.key.publicKey, algorithm: checked.key.algorithm, signCount: checked.key.signCount })
      .onConflictDoNothing().returning({ id: passkeys.id }),
    // Written only if this batch stored the key (a concurrent registration of the same key may have won).
    historyInsertIf(db, { customerId, kind: 'passkey.added', at: now, where: { channel: 'web' }, detail: passkey.name },
      sql`exists (select 1 from passkeys where id = ${passkey.id} and customer_id = ${customerId} and created_at = ${passkey.createdAt})`),
  ]);
  if (!stored.length) return { ok: false, problem: 'already_registered' };
  return { ok: true, passkey };
}

/** What `navigator.credentials.get()` needs: any passkey of this site, no address asked first. */
export async function signInOptions(db: Database, siteOrigin: string, now: Date) {
  return requestOptions({ rp: relyingParty(siteOrigin), challenge: await issueChallenge(db, 'sign_in', null, now) });
}

/**
 * Checks a sign-in answer against the stored key it names; on success
 * records the use and opens a session (the browser's previous one ends).
 */
export async function finishSignIn(
  db: Database, answer: AssertionAnswer, input: { siteOrigin: string; cookieHeader: string | null | undefined; now: Date },
): Promise<SignInOutcome> {
  const rp = relyingParty(input.siteOrigin);
  const client = readClientData(answer.clientDataJSON, 'get', rp);
  if (!client.ok) return { ok: false, problem: 'refused', refusal: client.refusal };
  if (!(await spendChallenge(db, client.challenge, 'sign_in', null, input.now))) return { ok: false, problem: 'expired' };
  const stored = await db.select({ key: passkeys }).from(passkeys)
    .innerJoin(customers, eq(customers.id, passkeys.customerId))
    .where(eq(passkeys.id, encodeBase64url(answer.rawId))).get();
  if (!stored) return { ok: false, problem: 'unknown_credential' };
  const { key } = stored;
  // The authenticator names the account it holds the key for: it must be the key's owner.
  if (answer.userHandle && new TextDecoder().decode(answer.userHandle) !== key.customerId) return { ok: false, problem: 'refused', refusal: 'id_mismatch' };
  const checked = await checkAssertion(answer, key, rp);
  if (!checked.ok) return { ok: false, problem: 'refused', refusal: checked.refusal };

  // Only a counter that moved forward is kept: of two assertions racing with the same counter, one signs in.
  const moved = await db.update(passkeys).set({ signCount: checked.signCount, lastUsedAt: input.now.toISOString() })
    .where(and(eq(passkeys.id, key.id), checked.signCount > 0 ? lt(passkeys.signCount, checked.signCount) : undefined))
    .returning({ id: passkeys.id });
  if (!moved.length) return { ok: false, problem: 'refused', refusal: 'counter_not_increasing' };
  const { cookie } = await openCustomerSession(db, {
    customerId: key.customerId, method: 'passkey', cookieHeader: input.cookieHeader, now: input.now, historyDetail: key.name,
  });
  return { ok: true, cookie, customerId: key.customerId };
}

/** Removes one of the customer's passkeys; false when they have none by that id. */
export async function removePasskey(db: Database, customerId: string, passkeyId: string, now: Date): Promise<boolean> {
  const owned = await db.select({ name: passkeys.name }).from(passkeys)
    .where(and(eq(passkeys.id, passkeyId), eq(passkeys.customerId, customerId))).get();
  if (!owned) return false;
  await db.batch([
    db.delete(passkeys).where(and(eq(passkeys.id, passkeyId), eq(passkeys.customerId, customerId))),
    historyInsert(db, { customerId, kind: 'passkey.removed', at: now, where: { channel: 'web' }, detail: owned.name }),
  ]);
  return true;
}
