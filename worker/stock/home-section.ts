/**
 * @module
 * "Mes réservations" on the signed-in home: the customer's live holds,
 * each as one line (what, where, until when), the nearest deadline first.
 * A `SectionProvider` of worker/accounts/home.ts, passed in where the home
 * is composed (site/pages/index.astro): the accounts capability imports
 * no other one. One query; nothing shown when nothing is held.
 */
import type { ProgressSection, SectionProvider } from '../accounts/home';
import { MY_RESERVATIONS_PATH } from './hold-messages';
import { type HoldView, liveHoldsOf } from './holds';

/** Holds listed on the home at most; the rest are one link away. */
export const HOME_HOLDS_SHOWN = 5;

/** "2 × Carnet de 12 timbres" */
export const holdLabel = (hold: Pick<HoldView, 'quantity' | 'productName'>) => `${hold.quantity} × ${hold.productName}`;

/** "à retirer à Saint-Denis avant le mardi 25 novembre à 18:00 · RSV-…" */
export const holdDetail = (hold: Pick<HoldView, 'id' | 'office' | 'deadlineLabel'>) => `à retirer à ${hold.office.name} avant le ${hold.deadlineLabel} · ${hold.id}`;

export const holdsSection: SectionProvider = async (db, customer, now): Promise<ProgressSection | undefined> => {
  const holds = await liveHoldsOf(db, customer.id, now);
  if (holds.length === 0) return undefined;
  return {
    key: 'holds',
    title: 'Mes réservations',
    items: holds.slice(0, HOME_HOLDS_SHOWN).map((hold) => ({ label: holdLabel(hold), detail: holdDetail(hold), href: `${MY_RESERVATIONS_PATH}#${hold.id}` })),
    more: { label: holds.length > HOME_HOLDS_SHOWN ? `Voir mes ${holds.length} réservations` : 'Gérer mes réservations', href: MY_RESERVATIONS_PATH },
  };
};
