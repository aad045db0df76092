/**
 * @module
 * What an office offers (appointment types, deposit slots), set by staff
 * with the `hours` role whose scope covers the office: the list is read
 * with its version and replaced whole against it (If-Match, a
 * compare-and-set on office_offer_sheets, as the stock sheet). An offer
 * left out of the list is withdrawn (`active = false`), never deleted:
 * bookings name it.
 *
 * A capacity may not fall below what is already booked: for each offer,
 * the most live seats at once in any upcoming slot. The check is read
 * first (to name the offer and the slot), and decided again inside the
 * batch's compare-and-set, so a booking taken in between cannot slip under
 * a lowered capacity: nothing is written then.
 */
import type { LocationRow, StaffRole } from '../../db/schema';
import type { OfferKind } from '../../db/vocabulary';
import type { Database } from '../database';
import { randomSecret } from '../http/crypto';
import { COUNTER_LOCATION_TYPES } from '../locations/catalog';
import { findLocation } from '../locations/queries';
import { inScope, type Staff } from '../staff/tokens';
import { SLOT_MINUTES } from './slots';
import { capacitiesFit, MAX_DURATION_MINUTES, type OfferRecord, offersAt, peaksAt } from './store';

export const MAX_OFFERS = 20;
export const MAX_CAPACITY = 100;
export const LABEL_MAX_LENGTH = 80;
/** Deposit slots are the grid's own 15 minutes. */
export const DEPOSIT_MINUTES = SLOT_MINUTES;

export const OFFER_KIND_LABELS: Record<OfferKind, string> = { appointment: 'Rendez-vous avec un conseiller', deposit: 'Dépôt de colis prépayés' };

/** Whether a role sets what an office offers. Every role is named: a new role does not compile until it is decided here. */
export function mayManageOffers(role: StaffRole): boolean {
  switch (role) {
    // Office managers set the hours, and so the seats within them.
    case 'hours':
      return true;
    // Clerks see the day's bookings, they do not decide capacity; exceptions are about closures only.
    case 'counter':
    case 'exceptions':
      return false;
  }
}

/** Whether a role sees an office's bookings of the day (the counter receives the customers). */
export function mayReadBookings(role: StaffRole): boolean {
  switch (role) {
    case 'counter':
    case 'hours':
      return true;
    case 'exceptions':
      return false;
  }
}

/** One item of a replacement list, as received (types checked by the API schema). */
export interface OfferInput {
  id?: string;
  kind: OfferKind;
  label: string;
  durationMinutes?: number;
  capacity: number;
}

export type Precondition = { kind: 'version'; version: number } | { kind: 'missing' } | { kind: 'unmatched' };

export type OfferRefusal =
  | { ok: false; problem: 'not_found' }
  | { ok: false; problem: 'forbidden'; why: 'role' | 'scope' }
  | { ok: false; problem: 'no_counter'; name: string }
  | { ok: false; problem: 'version_required' }
  | { ok: false; problem: 'version_unmatched' }
  | { ok: false; problem: 'stale'; currentVersion: number }
  | { ok: false; problem: 'invalid'; issues: Array<{ name: string; reason: string }> }
  /** A capacity below the seats already taken at `startsAt` (`seats` of them); nothing written. */
  | { ok: false; problem: 'below_booked'; offer: OfferRecord; capacity: number; seats: number; startsAt: number; timeZone: string };

export interface OfferSheet { location: LocationRow; version: number; offers: OfferRecord[] }

/** The office a staff member manages offers at: it exists (404), role and scope (403). */
export async function offerPlace(db: Database, staff: Staff, locationId: string, may: (role: StaffRole) => boolean):
  Promise<{ ok: true; location: LocationRow } | Extract<OfferRefusal, { problem: 'not_found' | 'forbidden' }>> {
  const location = await findLocation(db, locationId);
  if (!location) return { ok: false, problem: 'not_found' };
  if (!may(staff.role)) return { ok: false, problem: 'forbidden', why: 'role' };
  if (!inScope(staff, location)) return { ok: false, problem: 'forbidden', why: 'scope' };
  return { ok: true, location };
}

/** The office's active offers and the list's version, for staff who manage them. */
export async function offerSheetOf(db: Database, staff: Staff, locationId: string): Promise<{ ok: true; sheet: OfferSheet } | OfferRefusal> {
  const place = await offerPlace(db, staff, locationId, mayManageOffers);
  if (!place.ok) return place;
  const { version, offers } = await offersAt(db, place.location.id);
  return { ok: true, sheet: { location: place.location, version, offers } };
}

/** The duration an item will have, or why not. */
function durationOf(item: OfferInput): { ok: true; minutes: number } | { ok: false; reason: string } {
  if (item.kind === 'deposit') {
    if (item.durationMinutes !== undefined && item.durationMinutes !== DEPOSIT_MINUTES) return { ok: false, reason: `un créneau de dépôt dure ${DEPOSIT_MINUTES} minutes` };
    return { ok: true, minutes: DEPOSIT_MINUTES };
  }
  const minutes = item.durationMinutes;
  if (minutes === undefined) return { ok: false, reason: 'durée obligatoire pour un rendez-vous (15 à 240 minutes)' };
  if (!Number.isInteger(minutes) || minutes < SLOT_MINUTES || minutes > MAX_DURATION_MINUTES || minutes % SLOT_MINUTES !== 0) {
    return { ok: false, reason: `multiple de ${SLOT_MINUTES} minutes, de ${SLOT_MINUTES} à ${MAX_DURATION_MINUTES}` };
  }
  return { ok: true, minutes };
}

interface PlannedOffer { id: string; existing: boolean; kind: OfferKind; label: string; durationMinutes: number; capacity: number }

/** The items checked one by one against the office's offers (all, withdrawn ones too); every fault named. */
function planOffers(items: readonly OfferInput[], current: readonly OfferRecord[]): { ok: true; planned: PlannedOffer[] } | Extract<OfferRefusal, { problem: 'invalid' }> {
  const issues: Array<{ name: string; reason: string }> = [];
  if (items.length > MAX_OFFERS) issues.push({ name: 'items', reason: `${MAX_OFFERS} offres au plus par bureau` });
  const byId = new Map(current.map((o) => [o.id, o]));
  const seen = new Set<string>();
  const planned: PlannedOffer[] = [];
  items.forEach((item, i) => {
    const at = `items[${i}]`;
    const before = issues.length;
    const label = item.label.trim().replace(/\s+/g, ' ');
    if (label === '' || label.length > LABEL_MAX_LENGTH) issues.push({ name: `${at}.label`, reason: `libellé de 1 à ${LABEL_MAX_LENGTH} caractères` });
    const duration = durationOf(item);
    if (!duration.ok) issues.push({ name: `${at}.duration_minutes`, reason: duration.reason });
    if (!Number.isInteger(item.capacity) || item.capacity < 1 || item.capacity > MAX_CAPACITY) {
      issues.push({ name: `${at}.capacity`, reason: `nombre entier de 1 à ${MAX_CAPACITY} (places par créneau)` });
    }
    if (item.id !== undefined) {
      const known = byId.get(item.id);
      if (!known) issues.push({ name: `${at}.id`, reason: 'aucune offre de ce bureau ne porte cet identifiant (omettez-le pour en créer une)' });
      else if (known.kind !== item.kind) issues.push({ name: `${at}.kind`, reason: `l’offre ${item.id} est de type ${known.kind} : créez-en une nouvelle pour changer de type` });
      if (seen.has(item.id)) issues.push({ name: `${at}.id`, reason: 'offre présente deux fois dans la liste' });
      seen.add(item.id);
    }
    if (issues.length === before && duration.ok) {
      planned.push({ id: item.id ?? `ofr_${randomSecret(9)}`, existing: item.id !== undefined, kind: item.kind, label, durationMinutes: duration.minutes, capacity: item.capacity });
    }
  });
  return issues.length ? { ok: false, problem: 'invalid', issues } : { ok: true, planned };
}

/**
 * Replaces the office's list of offers against the version read
 * (`expected`). One batch: the compare-and-set on the list's version,
 * conditioned also on no capacity falling below what is booked; then the
 * rows, each only if that batch won.
 */
export async function replaceOffers(
  db: Database,
  staff: Staff,
  input: { locationId: string; items: readonly OfferInput[]; expected: Precondition; now: Date },
): Promise<{ ok: true; sheet: OfferSheet } | OfferRefusal> {
  const place = await offerPlace(db, staff, input.locationId, mayManageOffers);
  if (!place.ok) return place;
  const { location } = place;
  if (!COUNTER_LOCATION_TYPES.has(location.type) || location.status !== 'active') return { ok: false, problem: 'no_counter', name: location.name };
  if (input.expected.kind === 'missing') return { ok: false, problem: 'version_required' };
  if (input.expected.kind === 'unmatched') return { ok: false, problem: 'version_unmatched' };
  const expected = input.expected.version;

  const all = await offersAt(db, location.id, { all: true });
  if (all.version !== expected) return { ok: false, problem: 'stale', currentVersion: all.version };
  const plan = planOffers(input.items, all.offers);
  if (!plan.ok) return plan;

  // The capacity each offer of the office will have (a withdrawn one: none).
  const capacities = new Map(all.offers.map((o) => [o.id, 0]));
  for (const p of plan.planned) capacities.set(p.id, p.capacity);
  const at = input.now.getTime();
  const peaks = await peaksAt(db, location.id, at);
  for (const [offerId, peak] of peaks) {
    const capacity = capacities.get(offerId) ?? 0;
    if (peak.seats > capacity) {
      return { ok: false, problem: 'below_booked', offer: all.offers.find((o) => o.id === offerId)!, capacity, seats: peak.seats, startsAt: peak.startsAt, timeZone: location.timeZone };
    }
  }

  const d1 = db.$client;
  const claim = randomSecret(16);
  const caps = JSON.stringify([...capacities]);
  const won = 'exists (select 1 from office_offer_sheets where location_id = ?1 and claim = ?2)';
  // Decided again here, atomically with the version: no upcoming live seat of an offer sees more seats at once than its new capacity.
  const fits = capacitiesFit('?5');
  const keep = JSON.stringify(plan.planned.map((p) => p.id));
  const statements: D1PreparedStatement[] = [
    d1.prepare(`insert into office_offer_sheets (location_id, version, claim, updated_at) select ?1, 1, ?2, ?3
        where (?4 = 0 or exists (select 1 from office_offer_sheets where location_id = ?1)) and ${fits}
        on conflict (location_id) do update set version = office_offer_sheets.version + 1, claim = excluded.claim, updated_at = excluded.updated_at
        where office_offer_sheets.version = ?4`).bind(location.id, claim, at, expected, caps),
    d1.prepare(`update office_offers set active = 0, version = version + 1, updated_at = ?3
        where location_id = ?1 and active = 1 and id not in (select value from json_each(?4)) and ${won}`).bind(location.id, claim, at, keep),
  ];
  for (const p of plan.planned) {
    statements.push(p.existing
      ? d1.prepare(`update office_offers set label = ?4, duration_minutes = ?5, capacity = ?6, active = 1, version = version + 1, updated_at = ?7
          where id = ?3 and location_id = ?1 and ${won} and (label <> ?4 or duration_minutes <> ?5 or capacity <> ?6 or active = 0)`)
        .bind(location.id, claim, p.id, p.label, p.durationMinutes, p.capacity, at)
      : d1.prepare(`insert into office_offers (id, location_id, kind, label, duration_minutes, capacity, active, updated_at, version)
          select ?3, ?1, ?4, ?5, ?6, ?7, 1, ?8, 1 where ${won}`)
        .bind(location.id, claim, p.id, p.kind, p.label, p.durationMinutes, p.capacity, at));
  }
  const [cas] = await d1.batch(statements);
  if ((cas!.meta.changes ?? 0) === 0) {
    const now = await offersAt(db, location.id, { all: true });
    if (now.version !== expected) return { ok: false, problem: 'stale', currentVersion: now.version };
    // The version held: a booking was taken in between, under the capacity asked. Say which.
    const peaksNow = await peaksAt(db, location.id, at);
    for (const [offerId, peak] of peaksNow) {
      const capacity = capacities.get(offerId) ?? 0;
      if (peak.seats > capacity) {
        return { ok: false, problem: 'below_booked', offer: now.offers.find((o) => o.id === offerId)!, capacity, seats: peak.seats, startsAt: peak.startsAt, timeZone: location.timeZone };
      }
    }
    return { ok: false, problem: 'stale', currentVersion: now.version };
  }
  const after = await offersAt(db, location.id);
  return { ok: true, sheet: { location, version: after.version, offers: after.offers } };
}
