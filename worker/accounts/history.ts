/**
 * @module
 * One history across channels: what the customer did or had done, on the
 * website or at the counter of a named office. Entries are written in the
 * same batch as the change they record.
 */
import { desc, eq, type SQL, sql } from 'drizzle-orm';
import { customerHistory } from '../../db/schema';
import type { Database } from '../database';

/** What can appear in a history, with its French label. */
export const HISTORY_LABELS = {
  'account.created': 'Compte créé',
  'sign_in.code': 'Connexion par code reçu par courriel',
  'sign_in.passkey': 'Connexion avec une clé d’accès',
  'sign_out.everywhere': 'Déconnexion de tous les appareils',
  'passkey.added': 'Clé d’accès ajoutée',
  'passkey.removed': 'Clé d’accès supprimée',
  'profile.updated': 'Profil modifié',
  'preferences.updated': 'Préférences de notification modifiées',
  'favourite.added': 'Bureau ajouté aux favoris',
  'favourite.removed': 'Bureau retiré des favoris',
  'data.exported': 'Données exportées',
  'counter.visit': 'Vu au guichet',
  'parcel.followed': 'Colis ajouté à mon suivi',
  'parcel.unfollowed': 'Colis retiré de mon suivi',
  'parcel.message': 'Message envoyé sur un colis',
  'parcel.claim': 'Réclamation ouverte : colis livré mais pas reçu',
  'parcel.handed_over': 'Colis remis',
  'hold.reserved': 'Article réservé en bureau',
  'hold.cancelled': 'Réservation annulée',
  'hold.collected': 'Réservation retirée',
  'hold.not_collected': 'Réservation non retirée',
  'hold.expired': 'Réservation expirée',
  'order.placed': 'Commande passée',
  'pro.updated': 'Compte professionnel enregistré',
  'pro.removed': 'Compte professionnel retiré',
  'booking.held': 'Créneau retenu en bureau (à confirmer)',
  'booking.confirmed': 'Rendez-vous confirmé',
  'booking.cancelled': 'Rendez-vous annulé',
  'booking.moved': 'Rendez-vous à reprendre : le bureau ferme à cette heure',
} as const;
export type HistoryKind = keyof typeof HISTORY_LABELS;

export interface HistoryEntry {
  customerId: string;
  kind: HistoryKind;
  at: Date;
  /** Where: the website, or the counter of an office (its id and name at the time). */
  where: { channel: 'web' } | { channel: 'counter'; locationId: string; locationName: string };
  detail?: string;
}

/** The insert of one entry, to put in the batch of the change it records. */
export function historyInsert(db: Database, entry: HistoryEntry) {
  return db.insert(customerHistory).values({
    customerId: entry.customerId,
    kind: entry.kind,
    at: entry.at.toISOString(),
    channel: entry.where.channel,
    locationId: entry.where.channel === 'counter' ? entry.where.locationId : null,
    locationName: entry.where.channel === 'counter' ? entry.where.locationName : null,
    detail: entry.detail ?? null,
  });
}

/**
 * The insert of one entry that happens only if `condition` holds when the
 * batch runs (e.g. "the row this batch added exists"): a change that lost a
 * race, or was refused by its own conditional write, records nothing.
 */
export function historyInsertIf(db: Database, entry: HistoryEntry, condition: SQL) {
  const counter = entry.where.channel === 'counter' ? entry.where : null;
  return db.insert(customerHistory).select(
    db.select({
      id: sql<number>`NULL`.as('id'),
      customerId: sql<string>`${entry.customerId}`.as('customer_id'),
      at: sql<string>`${entry.at.toISOString()}`.as('at'),
      channel: sql<'web' | 'counter'>`${entry.where.channel}`.as('channel'),
      locationId: sql<string | null>`${counter?.locationId ?? null}`.as('location_id'),
      locationName: sql<string | null>`${counter?.locationName ?? null}`.as('location_name'),
      kind: sql<string>`${entry.kind}`.as('kind'),
      detail: sql<string | null>`${entry.detail ?? null}`.as('detail'),
    }).from(sql`(SELECT 1)`).where(condition),
  );
}

export interface HistoryItem {
  at: string;
  kind: string;
  label: string;
  /** "sur le site" or "au guichet de Lille Centre". */
  where: string;
  channel: 'web' | 'counter';
  locationId: string | null;
  detail: string | null;
}

const labelOf = (kind: string) => (HISTORY_LABELS as Record<string, string>)[kind] ?? kind;

/** The newest entries first. */
export async function historyOf(db: Database, customerId: string, limit = 50): Promise<HistoryItem[]> {
  const rows = await db.select().from(customerHistory).where(eq(customerHistory.customerId, customerId))
    .orderBy(desc(customerHistory.id)).limit(limit);
  return rows.map((row) => ({
    at: row.at,
    kind: row.kind,
    label: labelOf(row.kind),
    where: row.channel === 'counter' ? `au guichet de ${row.locationName ?? 'un bureau'}` : 'sur le site',
    channel: row.channel,
    locationId: row.locationId,
    detail: row.detail,
  }));
}
