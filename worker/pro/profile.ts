/**
 * @module
 * Professional accounts: a signed-in customer marks their account
 * professional with a SIRET (checked by its key, worker/pro/siret.ts) and a
 * company name; deposit slots are theirs only. The status is declared, not
 * verified against the Sirene register (a later step). One row per account
 * (pro_profiles), written with its history entry in one batch.
 */
import { eq, sql } from 'drizzle-orm';
import { proProfiles } from '../../db/schema';
import { historyInsert, historyInsertIf } from '../accounts/history';
import type { Database } from '../database';
import { normalizeSiret, siretProblem } from './siret';

export const COMPANY_MAX_LENGTH = 120;

export interface ProProfile {
  siret: string;
  company: string;
  createdAt: Date;
  updatedAt: Date;
}

export type ProInvalid = { ok: false; problem: 'invalid'; field: 'siret' | 'company'; reason: string };
export type SaveProResult = { ok: true; profile: ProProfile; created: boolean } | ProInvalid;

/** Why `company` is not a company name; undefined when it is. */
export function companyProblem(company: string): string | undefined {
  const trimmed = company.trim();
  if (trimmed === '') return 'raison sociale obligatoire';
  if (trimmed.length > COMPANY_MAX_LENGTH) return `${COMPANY_MAX_LENGTH} caractères au plus`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) return 'caractères de contrôle non admis';
  return undefined;
}

const toProfile = (row: typeof proProfiles.$inferSelect): ProProfile => ({
  siret: row.siret, company: row.company, createdAt: new Date(row.createdAt), updatedAt: new Date(row.updatedAt),
});

/** The customer's professional profile, if their account is professional. */
export async function proProfileOf(db: Database, customerId: string): Promise<ProProfile | undefined> {
  const row = await db.select().from(proProfiles).where(eq(proProfiles.customerId, customerId)).get();
  return row ? toProfile(row) : undefined;
}

/** Whether the account is professional (deposit slots are reserved to them). */
export async function isProfessional(db: Database, customerId: string): Promise<boolean> {
  return (await proProfileOf(db, customerId)) !== undefined;
}

/** Marks the account professional, or changes its SIRET and company; nothing is written when either is refused. */
export async function saveProProfile(db: Database, input: { customerId: string; siret: string; company: string; now: Date }): Promise<SaveProResult> {
  const siretReason = siretProblem(input.siret);
  if (siretReason) return { ok: false, problem: 'invalid', field: 'siret', reason: `siret : ${siretReason}` };
  const companyReason = companyProblem(input.company);
  if (companyReason) return { ok: false, problem: 'invalid', field: 'company', reason: `company : ${companyReason}` };
  const siret = normalizeSiret(input.siret);
  const company = input.company.trim().replace(/\s+/g, ' ');
  const at = input.now.getTime();
  const before = await proProfileOf(db, input.customerId);
  await db.batch([
    db.insert(proProfiles).values({ customerId: input.customerId, siret, company, createdAt: at, updatedAt: at })
      .onConflictDoUpdate({ target: proProfiles.customerId, set: { siret, company, updatedAt: at } }),
    // No SIRET nor company in the detail: the history holds no personal data (the profile itself says them).
    historyInsert(db, { customerId: input.customerId, kind: 'pro.updated', at: input.now, where: { channel: 'web' } }),
  ]);
  return { ok: true, profile: (await proProfileOf(db, input.customerId))!, created: before === undefined };
}

/** The account is no longer professional (its bookings stay); false when it was not. */
export async function removeProProfile(db: Database, input: { customerId: string; now: Date }): Promise<boolean> {
  const [, removed] = await db.batch([
    historyInsertIf(db, { customerId: input.customerId, kind: 'pro.removed', at: input.now, where: { channel: 'web' } },
      sql`exists (select 1 from pro_profiles where customer_id = ${input.customerId})`),
    db.delete(proProfiles).where(eq(proProfiles.customerId, input.customerId)).returning({ id: proProfiles.customerId }),
  ]);
  return removed.length > 0;
}
