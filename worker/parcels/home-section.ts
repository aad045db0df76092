/**
 * @module
 * "Mes colis": the parcels a customer follows, each as one line (where it
 * is, and until when to collect it when it waits at a point), for the
 * signed-in home (a `SectionProvider` of worker/accounts/home.ts, passed
 * in where the home is composed: the accounts capability never imports
 * parcels) and for the account's list (`/compte/colis`).
 *
 * The home shows what is still to come: parcels on their way or waiting,
 * and finished ones (delivered, or sent back) for 2 days after their last
 * event, so the news "livré" is seen once and then leaves. Lines come from
 * the stored state (`parcels`, one query with the customer's list); only
 * waiting parcels read their place and its hours, for the deadline.
 */
import type { CustomerRow } from '../../db/schema';
import type { ProgressItem, ProgressSection, SectionProvider } from '../accounts/home';
import type { Database } from '../database';
import { bindings } from '../env';
import { locationPath } from '../locations/present';
import { collectionPoint, type HoldingDays } from './collection';
import { INCIDENT_LABELS, type Incident, STEPS } from './events';
import { type FollowedParcel, followedParcels } from './following';
import { ANNOUNCED_LABEL, deadlineWords, parcelPath } from './view';

/** How long a finished parcel (delivered or returned) stays on the home after its last event. */
export const FINISHED_SHOWN_MS = 2 * 86_400_000;
/** Parcels listed on the home at most; the rest are one link away, on /compte/colis. */
export const HOME_PARCELS_SHOWN = 5;
export const MY_PARCELS_PATH = '/compte/colis';

/** The fields of a followed parcel the lines are made from. */
export type ParcelFacts = Pick<FollowedParcel, 'trackingNumber' | 'addedAt' | 'step' | 'delivered' | 'incidents' | 'waitingLocationId' | 'waitingSince' | 'lastEventAt'>;

export interface ParcelCollection {
  /** The place's name, as the parcel page links it. */
  name: string;
  commune: string;
  path: string;
  deadline: Date | null;
  /** "à retirer avant le mercredi 16 décembre à 18 h 00" (the place's local time); null when it does not open within a year. */
  deadlineLabel: string | null;
  overdue: boolean;
}

export interface ParcelCard {
  trackingNumber: string;
  href: string;
  /** One line: "Disponible au point de retrait", "Arrivé sur le site de distribution · avisé", "Retourné à l’expéditeur". */
  state: string;
  /** Delivered or sent back: nothing more will happen. */
  finished: boolean;
  delivered: boolean;
  /** Where it waits, when it waits at a place of the network. */
  collection: ParcelCollection | null;
}

const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** Delivered, or sent back to the sender: its journey is over for the recipient. */
export const isFinished = (parcel: Pick<ParcelFacts, 'delivered' | 'incidents'>) => parcel.delivered || parcel.incidents.includes('retour');

/**
 * The parcel's state in one line, by the parcel page's rule: the step
 * (step 4 named "disponible au point de retrait" while it waits at a
 * point) with its open incidents beside it; going back to the sender
 * outweighs the step.
 */
export function stateLine(parcel: Pick<ParcelFacts, 'step' | 'incidents' | 'waitingSince'>): string {
  if (parcel.incidents.includes('retour')) return 'Retourné à l’expéditeur';
  const step = parcel.step === 0
    ? ANNOUNCED_LABEL
    : parcel.step === 4 && parcel.waitingSince !== null ? 'disponible au point de retrait' : STEPS[parcel.step - 1] ?? ANNOUNCED_LABEL;
  const incidents = parcel.incidents.flatMap((i) => (i in INCIDENT_LABELS ? [INCIDENT_LABELS[i as Incident]] : []));
  return capitalised([step, ...incidents].join(' · '));
}

/** On the home at `now`: not finished, or finished less than 2 days ago. */
export const onHome = (parcel: Pick<ParcelFacts, 'delivered' | 'incidents' | 'lastEventAt'>, now: Date) =>
  !isFinished(parcel) || (parcel.lastEventAt !== null && now.getTime() - parcel.lastEventAt < FINISHED_SHOWN_MS);

/**
 * The home's order: parcels waiting at a point first, the longest-waiting
 * first (their deadline is nearest), then the others as given (newest
 * added first).
 */
export function homeOrder<P extends Pick<ParcelFacts, 'waitingSince'>>(parcels: readonly P[]): P[] {
  const waiting = parcels.filter((p) => p.waitingSince !== null).sort((a, b) => a.waitingSince! - b.waitingSince!);
  return [...waiting, ...parcels.filter((p) => p.waitingSince === null)];
}

/** Lines for these parcels at `now`; the waiting ones read their place and its calendar (in parallel). */
export async function parcelCards(db: Database, parcels: readonly ParcelFacts[], now: Date, holdingDays: HoldingDays): Promise<ParcelCard[]> {
  return Promise.all(parcels.map(async (parcel) => {
    const waiting = parcel.waitingLocationId !== null && parcel.waitingSince !== null && !isFinished(parcel);
    const point = waiting ? await collectionPoint(db, parcel.waitingLocationId!, new Date(parcel.waitingSince!), now, holdingDays) : undefined;
    const deadline = point?.deadline ?? null;
    return {
      trackingNumber: parcel.trackingNumber,
      href: parcelPath(parcel.trackingNumber),
      state: stateLine(parcel),
      finished: isFinished(parcel),
      delivered: parcel.delivered,
      collection: point
        ? {
          name: point.location.name,
          commune: point.location.commune,
          path: locationPath(point.location),
          deadline: deadline?.deadline ?? null,
          deadlineLabel: deadline ? deadlineWords(deadline, point.location.timeZone, now) : null,
          overdue: deadline !== null && now.getTime() >= deadline.deadline.getTime(),
        }
        : null,
    };
  }));
}

/** Every parcel the customer follows, newest added first, as lines (the account's list). */
export async function myParcels(db: Database, customerId: string, now: Date, holdingDays: HoldingDays = bindings().holdingDays): Promise<ParcelCard[]> {
  return parcelCards(db, await followedParcels(db, customerId), now, holdingDays);
}

/** "Disponible au point de retrait : Saint-Denis · à retirer avant le …" */
export function homeDetail(card: ParcelCard): string {
  const point = card.collection;
  if (!point) return card.state;
  const when = point.overdue ? 'délai de retrait dépassé' : point.deadlineLabel ?? 'appelez le 3631 pour le délai de retrait';
  return `${card.state} : ${point.name} · ${when}`;
}

/** The home's "Mes colis" with the configured holding periods given (tests, other configurations). */
export function parcelsSectionWith(holdingDays: HoldingDays): SectionProvider {
  return async (db: Database, customer: CustomerRow, now: Date): Promise<ProgressSection | undefined> => {
    const shown = homeOrder((await followedParcels(db, customer.id)).filter((p) => onHome(p, now)));
    if (shown.length === 0) return undefined;
    const cards = await parcelCards(db, shown.slice(0, HOME_PARCELS_SHOWN), now, holdingDays);
    const items: ProgressItem[] = cards.map((card) => ({ label: card.trackingNumber, detail: homeDetail(card), href: card.href }));
    const more = shown.length > HOME_PARCELS_SHOWN ? `Voir mes ${shown.length} colis` : 'Gérer mes colis';
    return { key: 'parcels', title: 'Mes colis', items, more: { label: more, href: MY_PARCELS_PATH } };
  };
}

/** The home's "Mes colis", with the Worker's configured holding periods (`PARCEL_HOLDING_DAYS`). */
export const parcelsSection: SectionProvider = (db, customer, now) => parcelsSectionWith(bindings().holdingDays)(db, customer, now);
