/**
 * @module
 * Offers, slots and bookings over HTTP.
 * - `/api/v1/offices/{id}/offers`: staff with the `hours` role in scope read
 *   and replace the office's offers (If-Match on the list's version).
 * - `/api/v1/offices/{id}/slots`: public, the next 4 weeks' slots of an
 *   offer with the seats left (live data: 30 s of cache at most).
 * - `/api/v1/offices/{id}/appointments` and `/deposit-slots`: a signed-in
 *   customer (a professional one for deposits) holds a seat, with an
 *   `Idempotency-Key`; a full slot is a 409 with the nearest free ones.
 * - `/api/v1/offices/{id}/bookings`: the counter's day (`counter` or
 *   `hours`, in scope).
 * - `/api/v1/account/bookings`: the customer's bookings, one of them,
 *   confirm, cancel.
 * Other methods on these paths answer 405 with `Allow`.
 * The handlers only translate: the rules are the use cases'.
 */
import { type Context, Hono } from 'hono';
import { describeRoute, resolver } from 'hono-openapi';
import * as v from 'valibot';
import type { OfferKind } from '../../db/vocabulary';
import { customerOnly, type CustomerEnv } from '../accounts/api-auth';
import { database } from '../env';
import { formatTime, localParts } from '../hours/zoned-time';
import { FRESH_UNTIL_HEADER } from '../http/headers';
import { invalidRequest, methodNotAllowed, Problem } from '../http/problem';
import { validate } from '../http/validate';
import { ProblemSchema } from '../locations/api-schema';
import { staffOnly, type StaffEnv } from '../staff/auth';
import {
  BookBody, BookingParams, BookingSchema, CounterBookingSchema, DayQuery, FullSchema, OfferSheetSchema, OfficeParams, OffersBody, SlotsQuery, SlotsSchema,
} from './api-schema';
import { book, bookingOf, type BookRefusal, bookingsOf, cancelBooking, type ChangeResult, confirmBooking, HOLD_MINUTES, officeDay, slotsListing } from './bookings';
import { type OfferRefusal, type OfferSheet, offerSheetOf, type Precondition, replaceOffers } from './offers';
import { MAX_LIVE_BOOKINGS, MAX_LIVE_HOLDS } from './store';
import { presentBooking, presentCounterBooking, presentFreeSlot, presentOffer, presentSlot } from './present';

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: resolver(ProblemSchema) } } });
const STAFF = { security: [{ bearer: [] }] };

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
/**
 * Seats move by the second: a browser keeps a listing 20 s at most. The
 * edge keeps it under a key that any seat or offer write moves, and only
 * until it stops being true (`holdsUntil`: a slot passes, a hold lapses).
 */
export const SLOTS_CACHE = 'public, max-age=15, stale-while-revalidate=5';

const UNKNOWN_OFFICE = 'Bureau inconnu : vérifiez son identifiant.';
const etagOf = (version: number) => `"${version}"`;

/** An office's offers as the API answers them, GET or PUT: the list and its version as ETag (for the next If-Match). */
function offerSheetAnswer(c: Context, sheet: OfferSheet) {
  c.header('etag', etagOf(sheet.version));
  return c.json({ office_id: sheet.location.id, version: sheet.version, items: sheet.offers.map(presentOffer) });
}

function invalid(field: string, reason: string, members: Record<string, unknown> = {}): Problem {
  return new Problem('invalid-request', `Paramètre invalide : ${field}.`, [{ name: field, reason }], {}, members);
}

// ---------------------------------------------------------------------------
// Offers (staff)

function precondition(c: Context): Precondition {
  const ifMatch = c.req.header('if-match')?.trim();
  if (ifMatch === undefined || ifMatch === '*') return { kind: 'missing' };
  const version = /^(?:W\/)?"(\d{1,12})"$/.exec(ifMatch)?.[1];
  return version === undefined ? { kind: 'unmatched' } : { kind: 'version', version: Number(version) };
}

function offerProblem(refusal: OfferRefusal): Problem {
  switch (refusal.problem) {
    case 'not_found':
      return new Problem('not-found', UNKNOWN_OFFICE);
    case 'forbidden':
      return refusal.why === 'role'
        ? new Problem('forbidden', 'Votre jeton ne permet pas de gérer les offres d’un bureau : il faut le rôle hours.')
        : new Problem('forbidden', 'Ce bureau est hors du périmètre de votre jeton.');
    case 'no_counter':
      return new Problem('conflict', `${refusal.name} n’a pas de guichet ouvert : il ne propose ni rendez-vous ni dépôt.`);
    case 'version_required':
      return new Problem('precondition-required', 'Lisez d’abord les offres (GET) et renvoyez la version lue dans If-Match: "<version>" ("0" pour un bureau sans offre).');
    case 'version_unmatched':
      return new Problem('precondition-failed', 'If-Match ne désigne aucune version : renvoyez l’ETag lu, par exemple If-Match: "3".');
    case 'stale':
      return new Problem('precondition-failed', `Les offres de ce bureau ont changé depuis votre lecture (version ${refusal.currentVersion}) : rien n’a été enregistré. Relisez-les, puis renvoyez la liste.`,
        [], { etag: etagOf(refusal.currentVersion) }, { current_version: refusal.currentVersion });
    case 'invalid':
      return invalidRequest(refusal.issues);
    case 'below_booked': {
      const at = localParts(refusal.startsAt, refusal.timeZone);
      const slot = { starts_at: new Date(refusal.startsAt).toISOString(), date: at.date, time: formatTime(at.minutes) };
      return new Problem('conflict',
        `« ${refusal.offer.label} » (${refusal.offer.id}) a déjà ${refusal.seats} place(s) prise(s) le ${slot.date} à ${slot.time} : sa capacité ne peut pas descendre à ${refusal.capacity}. Rien n’a été enregistré ; annulez ou déplacez d’abord ces rendez-vous.`,
        [], {}, { reason: 'below_booked', offer_id: refusal.offer.id, offer_label: refusal.offer.label, slot, booked: refusal.seats, capacity: refusal.capacity });
    }
  }
}

export const officeStaffRoutes = new Hono<StaffEnv>()
  .get('/:id/offers',
    describeRoute({
      tags: ['Pro services (staff)'], ...STAFF,
      summary: 'Les offres d’un bureau (rendez-vous, créneaux de dépôt)',
      description: 'For staff with the `hours` role whose scope covers the office. The ETag is the list’s version (`"0"`: never set), for `PUT`’s `If-Match`.',
      responses: { 200: { description: 'The offers', content: { 'application/json': { schema: resolver(OfferSheetSchema) } } }, 401: problem('No valid token'), 403: problem('Role or scope'), 404: problem('Unknown office') },
    }),
    staffOnly, validate('param', OfficeParams),
    async (c) => {
      const result = await offerSheetOf(database(), c.get('staff'), c.req.valid('param').id);
      if (!result.ok) throw offerProblem(result);
      return offerSheetAnswer(c, result.sheet);
    })
  .put('/:id/offers',
    describeRoute({
      tags: ['Pro services (staff)'], ...STAFF,
      summary: 'Remplacer les offres d’un bureau',
      description: '`{ "items": [ { "id"?, "kind": "appointment" | "deposit", "label", "duration_minutes"?, "capacity" } ] }`: the whole list (20 at most). '
        + 'An item with an `id` changes that offer; one without creates one; an offer left out is withdrawn (its bookings stay). '
        + 'Appointments last 15 to 240 minutes (multiples of 15), `capacity` being the advisors; deposit slots last 15 minutes, `capacity` being parcel batches per slot. '
        + '`If-Match` the list’s version. A capacity (or a withdrawal) below the seats already taken at once in an upcoming slot is refused (409, naming the offer and the slot): nothing is written.',
      responses: {
        200: { description: 'The new list; ETag its version', content: { 'application/json': { schema: resolver(OfferSheetSchema) } } },
        400: problem('An item at fault (`invalid_params` names it: `items[0].capacity`…)'), 401: problem('No valid token'), 403: problem('Role or scope'), 404: problem('Unknown office'),
        409: problem('A capacity below what is booked (`offer_id`, `slot`, `booked`), or an office without a counter'),
        412: problem('Stale If-Match: nothing written; `current_version`'), 428: problem('If-Match missing'),
      },
    }),
    staffOnly, validate('param', OfficeParams), validate('json', OffersBody),
    async (c) => {
      const body = c.req.valid('json');
      const result = await replaceOffers(database(), c.get('staff'), {
        locationId: c.req.valid('param').id,
        items: body.items.map((item) => ({ id: item.id, kind: item.kind, label: item.label, durationMinutes: item.duration_minutes, capacity: item.capacity })),
        expected: precondition(c),
        now: new Date(),
      });
      if (!result.ok) throw offerProblem(result);
      return offerSheetAnswer(c, result.sheet);
    })
  .get('/:id/bookings',
    describeRoute({
      tags: ['Pro services (staff)'], ...STAFF,
      summary: 'Les rendez-vous et dépôts du jour d’un bureau',
      description: 'For the counter (`counter` or `hours` role, office in scope): the day’s live seats (booked, and held not yet lapsed), in order; a booked seat with the customer’s name and company when known, a held one as “réservation en cours de confirmation”; no contact details. `date`: within a year of today.',
      responses: {
        200: { description: 'The day', content: { 'application/json': { schema: resolver(v.object({ office_id: v.string(), date: v.string(), items: v.array(CounterBookingSchema) })) } } },
        400: problem('Invalid date'), 401: problem('No valid token'), 403: problem('Role or scope'), 404: problem('Unknown office'),
      },
    }),
    staffOnly, validate('param', OfficeParams), validate('query', DayQuery),
    async (c) => {
      const result = await officeDay(database(), c.get('staff'), { locationId: c.req.valid('param').id, date: c.req.valid('query').date, now: new Date() });
      if (!result.ok) {
        if (result.problem === 'invalid') throw invalid(result.field, result.reason);
        if (result.problem === 'not_found') throw new Problem('not-found', UNKNOWN_OFFICE);
        throw new Problem('forbidden', result.why === 'role'
          ? 'Votre jeton ne permet pas de voir les rendez-vous d’un bureau : il faut un rôle counter ou hours.'
          : 'Ce bureau est hors du périmètre de votre jeton.');
      }
      return c.json({ office_id: result.location.id, date: result.date, items: result.bookings.map(presentCounterBooking) });
    })
  .all('/:id/offers', methodNotAllowed('GET, HEAD, PUT'))
  .all('/:id/bookings', methodNotAllowed('GET, HEAD'));

// ---------------------------------------------------------------------------
// Slots (public)

export const officeSlotRoutes = new Hono()
  .get('/:id/slots',
    describeRoute({
      tags: ['Pro services'],
      summary: 'Les créneaux d’une offre, avec les places restantes',
      description: 'The slots of offer `offer` from `from` (local date, default today) for `days` days (default and at most the next 4 weeks): '
        + 'the office’s real hours (weekly rules, exceptions, public holidays) in its own time zone, on its 15-minute grid; `remaining` counts booked seats and holds (a lapsed hold for one more minute, the margin between clocks). A browser keeps it 20 s at most; the edge until a seat or the offer changes, or a slot passes, or a hold lapses.',
      responses: {
        200: { description: 'The slots', content: { 'application/json': { schema: resolver(SlotsSchema) } } },
        400: problem('Invalid or unknown `offer`, `from` outside the next 4 weeks, invalid `days`'), 404: problem('Unknown office'), 409: problem('The office takes no bookings'),
      },
    }),
    validate('param', OfficeParams), validate('query', SlotsQuery),
    async (c) => {
      const query = c.req.valid('query');
      const result = await slotsListing(database(), { locationId: c.req.valid('param').id, offerId: query.offer, from: query.from, days: query.days, now: new Date() });
      if (!result.ok) {
        if (result.problem === 'unknown_office') throw new Problem('not-found', UNKNOWN_OFFICE);
        if (result.problem === 'no_counter') throw new Problem('conflict', `${result.officeName} ne prend ni rendez-vous ni dépôt.`);
        throw invalid(result.field, result.reason);
      }
      c.header('cache-control', SLOTS_CACHE);
      // The edge keeps it no longer than it holds; any seat or offer write moves its key before that.
      c.header(FRESH_UNTIL_HEADER, new Date(result.holdsUntil).toISOString());
      return c.json({
        office_id: result.location.id, offer: presentOffer(result.offer), time_zone: result.location.timeZone, from: result.from, days: result.days,
        items: result.slots.map(presentFreeSlot),
      });
    })
  .all('/:id/slots', methodNotAllowed('GET, HEAD'));

// ---------------------------------------------------------------------------
// Booking (customers)

function bookProblem(refusal: BookRefusal): Problem {
  switch (refusal.problem) {
    case 'unknown_office':
      return new Problem('not-found', UNKNOWN_OFFICE);
    case 'no_counter':
      return new Problem('conflict', `${refusal.officeName} ne prend ni rendez-vous ni dépôt.`);
    case 'invalid':
      return invalid(refusal.field, refusal.reason, refusal.refusal ? { reason: refusal.refusal } : {});
    case 'not_professional':
      return new Problem('forbidden', 'Les créneaux de dépôt sont réservés aux comptes professionnels : enregistrez d’abord votre SIRET (PUT /api/v1/account/pro).');
    case 'key_reused':
      return new Problem('unprocessable', `Cette clé d’idempotence a déjà servi à la réservation ${refusal.booking.id} (une autre offre, un autre créneau ou un autre nombre de colis) : une nouvelle demande demande une nouvelle clé.`,
        [{ name: IDEMPOTENCY_KEY_HEADER, reason: 'déjà utilisée pour une autre demande' }], {}, { booking_id: refusal.booking.id });
    case 'too_many':
      return new Problem('conflict', `Vous avez déjà ${MAX_LIVE_BOOKINGS} rendez-vous ou dépôts à venir : annulez-en un d’abord.`, [], {}, { reason: 'too_many' });
    case 'too_many_holds':
      return new Problem('conflict', `Vous avez déjà ${MAX_LIVE_HOLDS} réservations en attente de confirmation : confirmez-en ou annulez-en une d’abord.`, [], {}, { reason: 'too_many_holds' });
    case 'offer_changed':
      return new Problem('conflict', 'Cette offre vient d’être modifiée par le bureau : rien n’a été réservé. Consultez de nouveau les créneaux, puis refaites votre demande.', [], {}, { reason: 'offer_changed' });
    case 'full':
      return new Problem('conflict', `Plus de place pour « ${refusal.offerLabel} » à ${refusal.officeName} à ce créneau : voyez les créneaux libres les plus proches.`,
        [], {}, { reason: 'full', alternatives: refusal.alternatives.map(presentSlot) });
  }
}

const bookRoute = (kind: OfferKind) => describeRoute({
  tags: ['Pro services'],
  summary: kind === 'appointment' ? 'Demander un rendez-vous au guichet' : 'Réserver un créneau de dépôt de colis prépayés',
  description: `Holds a seat for ${HOLD_MINUTES} minutes (status \`held\`, \`hold_expires_at\`): confirm it with POST /api/v1/account/bookings/{id}/confirm. `
    + '`starts_at`: an ISO 8601 instant with its offset, or the office’s local time (`2026-12-01T10:30`); it must be a slot of the offer (GET …/slots). '
    + (kind === 'deposit' ? 'For professional accounts only (PUT /api/v1/account/pro); `parcels` announces how many. ' : 'Open to every signed-in customer. ')
    + 'The `Idempotency-Key` header (8 to 100 characters) makes a retry safe: the same key and body answer the same booking (200, `Idempotent-Replayed: true`); another body is a 422. '
    + 'Seats never exceed the offer’s capacity, under any concurrency. Calls must come from the site (Origin).',
  parameters: [{ name: IDEMPOTENCY_KEY_HEADER, in: 'header', required: true, schema: { type: 'string', minLength: 8, maxLength: 100 } }],
  responses: {
    200: { description: 'The same request again: the booking it made', content: { 'application/json': { schema: resolver(BookingSchema) } } },
    201: { description: 'Held', content: { 'application/json': { schema: resolver(BookingSchema) } } },
    400: problem('Missing `Idempotency-Key`; unknown offer; `starts_at` past, beyond 4 weeks, off the 15-minute grid or while closed (`reason`: past, beyond_horizon, off_grid, closed)'),
    401: problem('Not signed in'),
    403: problem(kind === 'deposit' ? 'Not a professional account, or not called from the site' : 'Not called from the site’s own origin'),
    404: problem('Unknown office'),
    409: { description: 'Full: `reason` `full` and the 3 nearest free `alternatives`; or `too_many` (10 upcoming bookings), `too_many_holds` (2 holds awaiting confirmation), `offer_changed` (the office changed the offer meanwhile)', content: { 'application/problem+json': { schema: resolver(FullSchema) } } },
    422: problem('This `Idempotency-Key` already booked something else (`booking_id`)'),
  },
});

const requireKey = async (c: Context, next: () => Promise<void>) => {
  const key = c.req.header(IDEMPOTENCY_KEY_HEADER);
  if (key === undefined || key.trim() === '') {
    throw invalidRequest([{ name: IDEMPOTENCY_KEY_HEADER, reason: 'en-tête obligatoire : une clé unique par demande (8 à 100 caractères), la même pour un nouvel essai' }]);
  }
  await next();
};

async function bookAnswer(c: Context<CustomerEnv>, kind: OfferKind, locationId: string, body: v.InferOutput<typeof BookBody>) {
  const result = await book(database(), {
    customerId: c.get('session').customer.id, locationId, kind, offerId: body.offer_id, startsAt: body.starts_at, parcels: body.parcels,
    requestKey: c.req.header(IDEMPOTENCY_KEY_HEADER)!.trim(), now: new Date(),
  });
  if (!result.ok) throw bookProblem(result);
  if (result.replayed) c.header('idempotent-replayed', 'true');
  c.header('location', `/api/v1/account/bookings/${result.booking.id}`);
  return c.json(presentBooking(result.booking), result.replayed ? 200 : 201);
}

export const officeBookingRoutes = new Hono<CustomerEnv>()
  .post('/:id/appointments', bookRoute('appointment'), customerOnly, requireKey, validate('param', OfficeParams), validate('json', BookBody),
    (c) => bookAnswer(c, 'appointment', c.req.valid('param').id, c.req.valid('json')))
  .post('/:id/deposit-slots', bookRoute('deposit'), customerOnly, requireKey, validate('param', OfficeParams), validate('json', BookBody),
    (c) => bookAnswer(c, 'deposit', c.req.valid('param').id, c.req.valid('json')))
  .all('/:id/appointments', methodNotAllowed('POST'))
  .all('/:id/deposit-slots', methodNotAllowed('POST'));

// ---------------------------------------------------------------------------
// My bookings

function changeAnswer(result: ChangeResult, wanted: 'confirm' | 'cancel') {
  if (result.ok) return result;
  if (result.problem === 'not_found') throw new Problem('not-found', 'Aucune réservation de votre compte ne porte cette référence.');
  const { booking } = result;
  const why = booking.status === 'expired' ? `a expiré (non confirmée dans les ${HOLD_MINUTES} minutes) : faites une nouvelle demande`
    : booking.status === 'cancelled' ? 'est annulée'
      : booking.status === 'moved' ? 'a été libérée : le bureau est fermé à cette heure (un message vous propose d’autres créneaux)'
        : 'est passée';
  throw new Problem('conflict', `La réservation ${booking.id} ${why}${wanted === 'confirm' ? '' : ' : rien à annuler'}.`, [], {}, { status: booking.status });
}

export const accountBookingRoutes = new Hono<CustomerEnv>()
  .get('/',
    describeRoute({
      tags: ['Account'], summary: 'Mes rendez-vous et créneaux de dépôt',
      description: 'Upcoming live ones first (soonest first), then the others, newest first (100 at most).',
      responses: { 200: { description: 'The bookings', content: { 'application/json': { schema: resolver(v.object({ items: v.array(BookingSchema) })) } } }, 401: problem('Not signed in') },
    }),
    customerOnly,
    async (c) => c.json({ items: (await bookingsOf(database(), c.get('session').customer.id, new Date())).map(presentBooking) }))
  .get('/:id',
    describeRoute({
      tags: ['Account'], summary: 'Une de mes réservations',
      description: 'By its reference (`RDV-…`). Another customer’s booking is a 404, as one that does not exist.',
      responses: { 200: { description: 'The booking', content: { 'application/json': { schema: resolver(BookingSchema) } } }, 401: problem('Not signed in'), 404: problem('No such booking of this customer') },
    }),
    customerOnly, validate('param', BookingParams),
    async (c) => {
      const booking = await bookingOf(database(), { customerId: c.get('session').customer.id, bookingId: c.req.valid('param').id, now: new Date() });
      if (!booking) throw new Problem('not-found', 'Aucune réservation de votre compte ne porte cette référence.');
      return c.json(presentBooking(booking));
    })
  .post('/:id/confirm',
    describeRoute({
      tags: ['Account'], summary: 'Confirmer une réservation retenue',
      description: `Within ${HOLD_MINUTES} minutes of the request. Confirming a booked seat again is a 200 too.`,
      responses: {
        200: { description: 'Booked', content: { 'application/json': { schema: resolver(BookingSchema) } } }, 401: problem('Not signed in'), 403: problem('Not called from the site'),
        404: problem('No such booking of this customer'), 409: problem('Expired, cancelled or past'),
      },
    }),
    customerOnly, validate('param', BookingParams),
    async (c) => {
      const result = changeAnswer(await confirmBooking(database(), { customerId: c.get('session').customer.id, bookingId: c.req.valid('param').id, now: new Date() }), 'confirm');
      return c.json(presentBooking(result.booking));
    })
  .delete('/:id',
    describeRoute({
      tags: ['Account'], summary: 'Annuler une réservation',
      description: 'A held or booked seat that has not started: free at once for others. Cancelling again is a 204 too.',
      responses: { 204: { description: 'Cancelled' }, 401: problem('Not signed in'), 403: problem('Not called from the site'), 404: problem('No such booking of this customer'), 409: problem('Expired or past') },
    }),
    customerOnly, validate('param', BookingParams),
    async (c) => {
      changeAnswer(await cancelBooking(database(), { customerId: c.get('session').customer.id, bookingId: c.req.valid('param').id, now: new Date() }), 'cancel');
      return c.body(null, 204);
    })
  .all('/', methodNotAllowed('GET, HEAD'))
  .all('/:id', methodNotAllowed('GET, HEAD, DELETE'))
  .all('/:id/confirm', methodNotAllowed('POST'));

