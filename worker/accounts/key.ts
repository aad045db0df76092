/**
 * @module
 * The accounts' secret: keys the sign-in codes' MACs and the counter codes.
 * It is the `ACCOUNT_KEY` Worker secret (32 bytes or more, required in
 * production, see worker/config.ts), never a database value there: a copy
 * of the tables alone cannot check a code or compute a counter code. Local
 * runs without the secret generate one, once, in `settings`.
 */
import { type Database, readOrCreateSetting } from '../database';
import { bindings } from '../env';
import { hmacSha256, randomSecret } from '../http/crypto';

/** Only the resolved value is kept across requests, never a promise. */
let generated: string | undefined;

async function accountKey(db: Database): Promise<string> {
  const configured = bindings().ACCOUNT_KEY;
  if (configured) return configured;
  generated ??= await readOrCreateSetting(db, 'account_key', () => randomSecret(32));
  return generated;
}

/** HMAC-SHA-256 under the account key of the parts, each length-prefixed so no two lists collide. */
export async function accountMac(db: Database, purpose: string, ...parts: string[]): Promise<string> {
  const text = [purpose, ...parts].map((part) => `${part.length}:${part}`).join('|');
  return hmacSha256(await accountKey(db), text);
}
