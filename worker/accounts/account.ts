/**
 * @module
 * The account itself: profile, addresses, notification preferences,
 * signing out, the export of everything and the deletion of everything.
 * Each change is written with its history entry in one batch.
 */
import { and, asc, eq, inArray, isNotNull, isNull, lt, or } from 'drizzle-orm';
import * as v from 'valibot';
import {
  affluenceAlerts, bookings, counterCodes, counterSessions, customerFavourites, customerHistory, customerParcels, customers, customerSessions, orderLines, orders, outbox, passkeys, proProfiles, stockHolds,
  signInAttempts, officeOffers, staffAudit, webauthnChallenges, type CustomerAddress, type CustomerRow,
} from '../../db/schema';
import type { QueueProducer } from '../config';
import type { Database } from '../database';
import { bindings, siteOrigin } from '../env';
import { sha256 } from '../http/crypto';
import { queueMessage } from '../messages/use-cases';
import { favouritesOf } from './favourites';
import { historyInsert, historyOf } from './history';
import {
  AddressSchema, INACTIVE_DELETE_MS, INACTIVE_WARN_MS, MAX_ADDRESSES, NameSchema, PhoneSchema, QuietHoursSchema, SESSION_IDLE_MS,
} from './model';
import { EXPIRED_FORM_MESSAGE } from './page-session';
import { closeCustomerSession, csrfMatches, CUSTOMER_COOKIE_CLEARED, type CustomerSession } from './sessions';

/** A refused change: the field at fault and why, in French. */
export interface FieldError {
  field: string;
  message: string;
}
export type Change = { ok: true } | { ok: false; status: 400 | 403; errors: FieldError[] };

const EXPIRED_FORM: Change = { ok: false, status: 403, errors: [{ field: 'csrf', message: EXPIRED_FORM_MESSAGE }] };
const web = { channel: 'web' } as const;

const issuesOf = (field: string, issues: v.BaseIssue<unknown>[]): FieldError[] => issues.map((issue) => {
  const key = issue.path?.map((p) => String(p.key)).join('.');
  return { field: key ? `${field}.${key}` : field, message: issue.message };
});

/** Signs out this device, or every device; the form must carry the session's CSRF token. */
export async function signOut(
  db: Database, session: CustomerSession, input: { csrf: string | undefined; everywhere: boolean; now: Date },
): Promise<{ ok: true; cookie: string } | { ok: false }> {
  if (!csrfMatches(session, input.csrf)) return { ok: false };
  if (!input.everywhere) return { ok: true, cookie: await closeCustomerSession(db, session) };
  await db.batch([
    db.delete(customerSessions).where(eq(customerSessions.customerId, session.customer.id)),
    historyInsert(db, { customerId: session.customer.id, kind: 'sign_out.everywhere', at: input.now, where: web }),
  ]);
  return { ok: true, cookie: CUSTOMER_COOKIE_CLEARED };
}

/** Name and phone (empty clears them). SMS notices need a phone: removing it turns them off. */
export async function updateProfile(
  db: Database, session: CustomerSession, input: { csrf?: string; name?: unknown; phone?: unknown; now: Date },
): Promise<Change> {
  if (!csrfMatches(session, input.csrf)) return EXPIRED_FORM;
  const name = v.safeParse(NameSchema, input.name ?? '');
  const phone = v.safeParse(PhoneSchema, input.phone ?? '');
  const errors = [...(name.success ? [] : issuesOf('name', name.issues)), ...(phone.success ? [] : issuesOf('phone', phone.issues))];
  if (errors.length || !name.success || !phone.success) return { ok: false, status: 400, errors };
  const channels = phone.output ? session.customer.channels : { ...session.customer.channels, sms: false };
  await db.batch([
    db.update(customers).set({ name: name.output, phone: phone.output, channels }).where(eq(customers.id, session.customer.id)),
    historyInsert(db, { customerId: session.customer.id, kind: 'profile.updated', at: input.now, where: web }),
  ]);
  return { ok: true };
}

/** Adds a delivery address (5 at most). */
export async function addAddress(
  db: Database, session: CustomerSession, input: { csrf?: string; address: unknown; now: Date },
): Promise<Change> {
  if (!csrfMatches(session, input.csrf)) return EXPIRED_FORM;
  const parsed = v.safeParse(AddressSchema, input.address);
  if (!parsed.success) return { ok: false, status: 400, errors: issuesOf('address', parsed.issues) };
  if (session.customer.addresses.length >= MAX_ADDRESSES) {
    return { ok: false, status: 400, errors: [{ field: 'address', message: `${MAX_ADDRESSES} adresses au plus : supprimez-en une d’abord.` }] };
  }
  const address: CustomerAddress = { ...parsed.output, ...(parsed.output.line2 ? { line2: parsed.output.line2 } : {}) };
  if (!address.line2) delete address.line2;
  await db.batch([
    db.update(customers).set({ addresses: [...session.customer.addresses, address] }).where(eq(customers.id, session.customer.id)),
    historyInsert(db, { customerId: session.customer.id, kind: 'profile.updated', at: input.now, where: web, detail: 'Adresse ajoutée' }),
  ]);
  return { ok: true };
}

/** Removes the address at `index` (as listed on the account page). */
export async function removeAddress(
  db: Database, session: CustomerSession, input: { csrf?: string; index: unknown; now: Date },
): Promise<Change> {
  if (!csrfMatches(session, input.csrf)) return EXPIRED_FORM;
  const index = Number(input.index);
  if (!Number.isInteger(index) || index < 0 || index >= session.customer.addresses.length) {
    return { ok: false, status: 400, errors: [{ field: 'address', message: 'Adresse inconnue : rechargez la page.' }] };
  }
  await db.batch([
    db.update(customers).set({ addresses: session.customer.addresses.filter((_, i) => i !== index) }).where(eq(customers.id, session.customer.id)),
    historyInsert(db, { customerId: session.customer.id, kind: 'profile.updated', at: input.now, where: web, detail: 'Adresse supprimée' }),
  ]);
  return { ok: true };
}

/** Channels and quiet hours (local time in the customer's time zone). SMS needs a phone on the account. */
export async function updatePreferences(
  db: Database, session: CustomerSession, input: { csrf?: string; email: boolean; sms: boolean; quietStart: unknown; quietEnd: unknown; now: Date },
): Promise<Change> {
  if (!csrfMatches(session, input.csrf)) return EXPIRED_FORM;
  const quiet = v.safeParse(QuietHoursSchema, { start: input.quietStart, end: input.quietEnd });
  const errors = quiet.success ? [] : issuesOf('quiet', quiet.issues);
  if (input.sms && !session.customer.phone) errors.push({ field: 'sms', message: 'Pour recevoir des SMS, ajoutez d’abord un numéro de téléphone à votre profil.' });
  if (errors.length || !quiet.success) return { ok: false, status: 400, errors };
  await db.batch([
    db.update(customers).set({ channels: { email: input.email, sms: input.sms }, quietStart: quiet.output.start, quietEnd: quiet.output.end })
      .where(eq(customers.id, session.customer.id)),
    historyInsert(db, { customerId: session.customer.id, kind: 'preferences.updated', at: input.now, where: web }),
  ]);
  return { ok: true };
}

/** Everything Guichet holds about the customer, as one JSON document (GDPR art. 15 and 20). */
export async function exportAccount(db: Database, customer: CustomerRow, now: Date) {
  await historyInsert(db, { customerId: customer.id, kind: 'data.exported', at: now, where: web });
  const [sessions, keys, visits, parcels, holds, orderRows, lines, pro, seats] = await db.batch([
    db.select({ created_at: customerSessions.createdAt, last_seen_at: customerSessions.lastSeenAt, expires_at: customerSessions.expiresAt, method: customerSessions.method })
      .from(customerSessions).where(eq(customerSessions.customerId, customer.id)).orderBy(asc(customerSessions.createdAt)),
    db.select({ id: passkeys.id, name: passkeys.name, created_at: passkeys.createdAt, last_used_at: passkeys.lastUsedAt })
      .from(passkeys).where(eq(passkeys.customerId, customer.id)).orderBy(asc(passkeys.createdAt)),
    db.select({ location_id: counterSessions.locationId, opened_at: counterSessions.openedAt, closed_at: counterSessions.closedAt })
      .from(counterSessions).where(eq(counterSessions.customerId, customer.id)).orderBy(asc(counterSessions.openedAt)),
    // The parcels followed (issue 10), read from the table: accounts does not import the parcels capability.
    db.select({ tracking_number: customerParcels.trackingNumber, added_at: customerParcels.addedAt })
      .from(customerParcels).where(eq(customerParcels.customerId, customer.id)).orderBy(asc(customerParcels.addedAt)),
    // Holds and orders (issue 11), likewise read from their tables.
    db.select({
      id: stockHolds.id, sku: stockHolds.sku, location_id: stockHolds.locationId, quantity: stockHolds.quantity, status: stockHolds.status,
      created_at: stockHolds.createdAt, expires_at: stockHolds.expiresAt, closed_at: stockHolds.closedAt,
    }).from(stockHolds).where(eq(stockHolds.customerId, customer.id)).orderBy(asc(stockHolds.createdAt)),
    db.select({
      id: orders.id, channel: orders.channel, location_id: orders.locationId, delivery: orders.delivery, delivery_address: orders.deliveryAddress,
      collect_location_id: orders.collectLocationId, payment: orders.payment, total_cents: orders.totalCents, reorder_of: orders.reorderOf, created_at: orders.createdAt,
    }).from(orders).where(eq(orders.customerId, customer.id)).orderBy(asc(orders.createdAt)),
    db.select({ order_id: orderLines.orderId, sku: orderLines.sku, name: orderLines.name, unit_price_cents: orderLines.unitPriceCents, quantity: orderLines.quantity })
      .from(orderLines).innerJoin(orders, eq(orders.id, orderLines.orderId)).where(eq(orders.customerId, customer.id)).orderBy(asc(orderLines.orderId), asc(orderLines.line)),
    // The professional profile and the bookings at offices (issue 13), likewise read from their tables.
    db.select({ siret: proProfiles.siret, company: proProfiles.company, created_at: proProfiles.createdAt, updated_at: proProfiles.updatedAt })
      .from(proProfiles).where(eq(proProfiles.customerId, customer.id)),
    db.select({
      id: bookings.id, kind: bookings.kind, location_id: bookings.locationId, offer_id: bookings.offerId, offer_label: officeOffers.label,
      starts_at: bookings.startsAt, ends_at: bookings.endsAt, status: bookings.status, hold_expires_at: bookings.holdExpiresAt, parcels: bookings.parcels,
      created_at: bookings.createdAt, confirmed_at: bookings.confirmedAt, cancelled_at: bookings.cancelledAt,
    }).from(bookings).innerJoin(officeOffers, eq(officeOffers.id, bookings.offerId)).where(eq(bookings.customerId, customer.id)).orderBy(asc(bookings.createdAt), asc(bookings.id)),
  ]);
  const instant = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  const favourites = await favouritesOf(db, customer.id);
  const history = await historyOf(db, customer.id, 10_000);
  return {
    exported_at: now.toISOString(),
    source: siteOrigin(),
    account: {
      id: customer.id, email: customer.email, name: customer.name, phone: customer.phone, addresses: customer.addresses,
      created_at: customer.createdAt, last_active_at: customer.lastActiveAt,
    },
    notification_preferences: {
      channels: customer.channels, quiet_hours: { start: customer.quietStart, end: customer.quietEnd, time_zone: customer.timeZone },
    },
    favourite_offices: favourites.map((f) => ({ id: f.locationId, name: f.name, commune: f.commune, url: `${siteOrigin()}${f.href}` })),
    sessions,
    passkeys: keys,
    counter_visits: visits,
    parcels,
    reservations: holds.map((h) => ({ ...h, created_at: instant(h.created_at), expires_at: instant(h.expires_at), closed_at: instant(h.closed_at) })),
    professional_profile: pro[0]
      ? { ...pro[0], created_at: instant(pro[0].created_at), updated_at: instant(pro[0].updated_at) }
      : null,
    // As stored: a hold past `hold_expires_at` that was never confirmed is `held` here (the account's pages say `expired`).
    bookings: seats.map((b) => ({
      ...b, starts_at: instant(b.starts_at), ends_at: instant(b.ends_at), hold_expires_at: instant(b.hold_expires_at),
      created_at: instant(b.created_at), confirmed_at: instant(b.confirmed_at), cancelled_at: instant(b.cancelled_at),
    })),
    low_crowd_alerts: (await db.select({ office_id: affluenceAlerts.locationId, created_at: affluenceAlerts.createdAt, last_sent_date: affluenceAlerts.lastSentDate })
      .from(affluenceAlerts).where(eq(affluenceAlerts.customerId, customer.id)).orderBy(asc(affluenceAlerts.createdAt)))
      .map((a) => ({ ...a, created_at: instant(a.created_at) })),
    orders: orderRows.map((o) => ({ ...o, created_at: instant(o.created_at), lines: lines.filter((l) => l.order_id === o.id).map(({ order_id: _, ...line }) => line) })),
    history: history.map((h) => ({ at: h.at, what: h.label, where: h.where, channel: h.channel, location_id: h.locationId, detail: h.detail })),
  };
}

/**
 * Deletes the account and everything attached to it, at once, in one batch
 * (D1 runs a batch as one transaction: all of it or none). The staff audit
 * keeps its entries but loses the link to the person.
 */
export async function deleteAccount(db: Database, customer: Pick<CustomerRow, 'id' | 'email'>): Promise<void> {
  const id = customer.id;
  await db.batch([
    db.update(staffAudit).set({ subject: null })
      .where(inArray(staffAudit.subject, db.select({ id: counterSessions.id }).from(counterSessions).where(eq(counterSessions.customerId, id)))),
    db.delete(counterSessions).where(eq(counterSessions.customerId, id)),
    db.delete(counterCodes).where(eq(counterCodes.customerId, id)),
    db.delete(customerSessions).where(eq(customerSessions.customerId, id)),
    db.delete(passkeys).where(eq(passkeys.customerId, id)),
    db.delete(webauthnChallenges).where(eq(webauthnChallenges.customerId, id)),
    db.delete(customerFavourites).where(eq(customerFavourites.customerId, id)),
    db.delete(affluenceAlerts).where(eq(affluenceAlerts.customerId, id)),
    db.delete(customerHistory).where(eq(customerHistory.customerId, id)),
    db.delete(signInAttempts).where(eq(signInAttempts.emailDigest, await sha256(`email:${customer.email}`))),
    // The local outbox (npm start, tests) keeps copies of messages; a deployment never writes there.
    db.delete(outbox).where(eq(outbox.recipient, customer.email)),
    db.delete(customers).where(eq(customers.id, id)),
  ]);
}

/** Deletion from the account page: the session's CSRF token and the confirmation box ticked. */
export async function deleteOwnAccount(
  db: Database, session: CustomerSession, input: { csrf?: string; confirmed: boolean },
): Promise<Change> {
  if (!csrfMatches(session, input.csrf)) return EXPIRED_FORM;
  if (!input.confirmed) return { ok: false, status: 400, errors: [{ field: 'confirm', message: 'Cochez la case pour confirmer la suppression.' }] };
  await deleteAccount(db, session.customer);
  return { ok: true };
}

/** How many accounts one cron run warns or deletes at most (the rest wait 15 minutes). */
const SWEEP_BATCH = 200;

/**
 * The cron's part for accounts: warns, by email, accounts inactive for 23
 * months (once: any activity clears the mark), then deletes accounts
 * inactive for 2 years whose warning went out at least 30 days before.
 */
export async function sweepInactiveAccounts(db: Database, now: Date, queue?: QueueProducer): Promise<{ warned: number; deleted: number }> {
  const warnBefore = new Date(now.getTime() - INACTIVE_WARN_MS).toISOString();
  const deleteBefore = new Date(now.getTime() - INACTIVE_DELETE_MS).toISOString();
  const warnedBefore = new Date(now.getTime() - (INACTIVE_DELETE_MS - INACTIVE_WARN_MS)).toISOString();
  const toDelete = await db.select({ id: customers.id, email: customers.email }).from(customers)
    .where(and(lt(customers.lastActiveAt, deleteBefore), isNotNull(customers.inactivityWarnedAt), lt(customers.inactivityWarnedAt, warnedBefore)))
    .limit(SWEEP_BATCH);
  for (const customer of toDelete) await deleteAccount(db, customer);

  const toWarn = await db.select().from(customers)
    .where(and(lt(customers.lastActiveAt, warnBefore), isNull(customers.inactivityWarnedAt)))
    .limit(SWEEP_BATCH);
  const producer = queue ?? bindings().messages.queue;
  for (const customer of toWarn) {
    const deletionDay = new Date(Date.parse(customer.lastActiveAt) + INACTIVE_DELETE_MS);
    const day = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeZone: customer.timeZone }).format(deletionDay);
    // Marked first: a crash between the two sends no second warning (the queue's key would also stop it).
    const marked = await db.update(customers).set({ inactivityWarnedAt: now.toISOString() })
      .where(and(eq(customers.id, customer.id), isNull(customers.inactivityWarnedAt))).returning({ id: customers.id });
    if (!marked.length) continue;
    await queueMessage(producer, {
      id: `inactivity:${customer.id.slice(4)}:${customer.lastActiveAt.slice(0, 10)}`,
      channel: 'email',
      to: customer.email,
      subject: 'Votre compte Guichet sera supprimé dans 30 jours',
      text: [
        'Bonjour,',
        '',
        `Vous ne vous êtes pas connecté à votre compte depuis bientôt deux ans. Sans connexion de votre part, il sera supprimé le ${day}, avec toutes ses données.`,
        '',
        `Pour le garder, connectez-vous simplement : ${siteOrigin()}/connexion`,
      ].join('\n'),
      urgent: false,
      quietHours: { start: customer.quietStart, end: customer.quietEnd, timeZone: customer.timeZone },
    }, now);
  }
  return { warned: toWarn.length, deleted: toDelete.length };
}

/** Sessions that ended (absolute or idle) and spent sign-in attempts: swept by the cron. */
export async function sweepEndedSessions(db: Database, now: Date): Promise<void> {
  await db.batch([
    db.delete(customerSessions).where(or(
      lt(customerSessions.expiresAt, now.toISOString()),
      lt(customerSessions.lastSeenAt, new Date(now.getTime() - SESSION_IDLE_MS).toISOString()),
    )),
    db.delete(signInAttempts).where(lt(signInAttempts.createdAt, new Date(now.getTime() - 24 * 3600_000).toISOString())),
    db.delete(webauthnChallenges).where(lt(webauthnChallenges.expiresAt, now.toISOString())),
    db.delete(counterCodes).where(lt(counterCodes.expiresAt, now.toISOString())),
  ]);
}
