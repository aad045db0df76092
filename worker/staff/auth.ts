/**
 * @module
 * Who is calling: the bearer token of an API request. Problems, not
 * exceptions, for every refusal: 401 without a valid token, 403 outside the
 * token's role or scope.
 */
import { createMiddleware } from 'hono/factory';
import type { LocationRow } from '../../db/schema';
import type { Database } from '../database';
import { database } from '../env';
import { PRIVATE_NO_STORE } from '../http/headers';
import { Problem } from '../http/problem';
import { findStaffByToken, inScope, mayDo, type Staff, type StaffAction } from './tokens';

const CHALLENGE = { 'www-authenticate': 'Bearer realm="guichet"' };

export async function requireStaff(db: Database, authorization: string | undefined, now: Date): Promise<Staff> {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  if (!token) throw new Problem('unauthorized', 'Jeton d’accès requis : en-tête Authorization: Bearer <jeton>.', [], CHALLENGE);
  const staff = await findStaffByToken(db, token, now.toISOString());
  if (!staff) throw new Problem('unauthorized', 'Jeton inconnu, expiré ou révoqué.', [], CHALLENGE);
  return staff;
}

/** The Hono variables of a staff route: the caller, looked up once by `staffOnly`. */
export type StaffEnv = { Variables: { staff: Staff } };

/**
 * Route middleware for staff routes, placed before any validator: a caller
 * without a valid token learns nothing about the body it sent (401 first).
 * The staff member is then `c.get('staff')` (the token is looked up once per
 * call). Every answer of a staff route is `private, no-store`: no cache
 * keeps what an authenticated call saw or did.
 */
export const staffOnly = createMiddleware<StaffEnv>(async (c, next) => {
  c.set('staff', await requireStaff(database(), c.req.header('authorization'), new Date()));
  await next();
  c.header('cache-control', PRIVATE_NO_STORE);
});
