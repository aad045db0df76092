/**
 * @module
 * "Mes rendez-vous" on the signed-in home: the customer's next live
 * bookings (held or booked, not started), soonest first, each as one line
 * ("Dépôt de colis, mardi 1 déc. à 10 h 15", the office). A
 * `SectionProvider` of worker/accounts/home.ts, passed in where the home
 * is composed (site/pages/index.astro): the accounts capability imports no
 * other one. One query; nothing shown when nothing is coming.
 */
import type { ProgressSection, SectionProvider } from '../accounts/home';
import { bookingsOf } from './bookings';
import { bookingLine, isUpcomingLive, MY_BOOKINGS_PATH, timeWords } from './page-forms';

/** Bookings listed on the home at most; the rest are one link away. */
export const HOME_BOOKINGS_SHOWN = 3;

export const bookingsSection: SectionProvider = async (db, customer, now): Promise<ProgressSection | undefined> => {
  // bookingsOf lists the upcoming live ones first, soonest first.
  const upcoming = (await bookingsOf(db, customer.id, now)).filter((b) => isUpcomingLive(b, now));
  if (upcoming.length === 0) return undefined;
  return {
    key: 'bookings',
    title: 'Mes rendez-vous',
    items: upcoming.slice(0, HOME_BOOKINGS_SHOWN).map((b) => ({
      label: bookingLine(b),
      detail: b.status === 'held' ? `${b.officeName} · à confirmer avant ${timeWords(b.holdExpiresAt, b.timeZone)}` : b.officeName,
      href: `${MY_BOOKINGS_PATH}#${b.id}`,
    })),
    more: { label: upcoming.length > HOME_BOOKINGS_SHOWN ? `Voir mes ${upcoming.length} rendez-vous` : 'Gérer mes rendez-vous', href: MY_BOOKINGS_PATH },
  };
};
