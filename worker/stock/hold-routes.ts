/**
 * @module
 * Holds over HTTP. A customer's reservations (`/api/v1/account/reservations`):
 * list, reserve (with an `Idempotency-Key`: the same key is the same
 * hold), cancel; personal answers (`private, no-store`), changes from the
 * site's own origin. Staff's view of the holds at an office
 * (`/api/v1/locations/{id}/holds`) and the counter's marks, collected or
 * not collected: a bearer token whose role handles holds (`counter`,
 * `hours`) and whose scope covers the office. The pages call the same use
 * cases (worker/stock/holds.ts).
 */
import { Hono } from 'hono';
import { describeRoute, resolver } from 'hono-openapi';
import * as v from 'valibot';
import { customerOnly, type CustomerEnv } from '../accounts/api-auth';
import { bindings, database } from '../env';
import { PRIVATE_NO_STORE } from '../http/headers';
import { invalidRequest, Problem } from '../http/problem';
import { validate } from '../http/validate';
import { ProblemSchema } from '../locations/api-schema';
import { staffOnly, type StaffEnv } from '../staff/auth';
import { MY_RESERVATIONS_PATH } from './hold-messages';
import {
  type Alternative, cancelHold, type CloseResult, closeMessage, collectHold, type HoldView, holdPlace, holdsOf, liveHoldsAt, markNotCollected,
  MAX_ACTIVE_HOLDS, MAX_HOLD_QUANTITY, reserveHold, type ReserveRefusal, reserveRefusalMessage,
} from './holds';

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: resolver(ProblemSchema) } } });

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

const ReserveBody = v.strictObject({
  sku: v.pipe(v.string('sku : texte attendu'), v.maxLength(40, 'sku : 40 caractères au plus')),
  location_id: v.pipe(v.string('location_id : texte attendu'), v.maxLength(64, 'location_id : 64 caractères au plus')),
  // One reason per field: the first check that fails says it.
  quantity: v.config(v.pipe(
    v.number(`quantity : nombre entier de 1 à ${MAX_HOLD_QUANTITY} attendu`),
    v.integer('quantity : nombre entier attendu (pas de décimales)'),
    v.minValue(1, 'quantity : au moins 1'),
    v.maxValue(MAX_HOLD_QUANTITY, `quantity : ${MAX_HOLD_QUANTITY} au plus par réservation`),
  ), { abortPipeEarly: true }),
});

const HoldSchema = v.object({
  id: v.pipe(v.string(), v.description('The reference given at the counter: `RSV-` and 8 characters')),
  sku: v.string(),
  product_name: v.string(),
  location_id: v.string(),
  location_name: v.string(),
  address: v.string(),
  location_path: v.string(),
  quantity: v.number(),
  status: v.pipe(v.picklist(['active', 'collected', 'cancelled', 'not_collected', 'expired']), v.description('`active` until collected, cancelled, marked not collected or past its deadline (`expired`)')),
  created_at: v.string(),
  expires_at: v.pipe(v.string(), v.description('The office’s closing time on its next opening day after the reservation (ISO 8601)')),
  deadline: v.pipe(v.string(), v.description('The same instant in French, office time: « mardi 25 novembre à 18:00 »')),
  closed_at: v.nullable(v.string()),
  path: v.string(),
});

const AlternativeSchema = v.object({
  location_id: v.string(), name: v.string(), commune: v.string(), distance: v.pipe(v.number(), v.description('Metres from the refused office')),
  band: v.picklist(['in_stock', 'few_left', 'sold_out']), band_label: v.string(), open: v.boolean(), summary: v.string(), path: v.string(), reserve_path: v.string(),
});

const presentHold = (hold: HoldView) => ({
  id: hold.id,
  sku: hold.sku,
  product_name: hold.productName,
  location_id: hold.office.id,
  location_name: hold.office.name,
  address: hold.office.address,
  location_path: hold.office.path,
  quantity: hold.quantity,
  status: hold.status,
  created_at: hold.createdAt.toISOString(),
  expires_at: hold.expiresAt.toISOString(),
  deadline: hold.deadlineLabel,
  closed_at: hold.closedAt?.toISOString() ?? null,
  path: `${MY_RESERVATIONS_PATH}#${hold.id}`,
});

const presentAlternative = (a: Alternative) => ({
  location_id: a.locationId, name: a.name, commune: a.commune, distance: a.distance, band: a.band, band_label: a.bandLabel,
  open: a.open, summary: a.summary, path: a.path, reserve_path: a.reservePath,
});

/** The problem a refused reservation is: 400 (a field), 404 (unknown product or office), 409 (the state of things), 422 (a reused key). */
function refusalProblem(refusal: ReserveRefusal): Problem {
  const detail = reserveRefusalMessage(refusal);
  switch (refusal.problem) {
    case 'invalid':
      return invalidRequest([{ name: refusal.field === 'request_key' ? IDEMPOTENCY_KEY_HEADER : refusal.field, reason: refusal.reason }]);
    case 'unknown_product':
    case 'unknown_location':
      return new Problem('not-found', detail);
    case 'not_on_sale':
    case 'too_many_holds':
      return new Problem('conflict', detail);
    case 'not_sold_here':
      return new Problem('conflict', detail, [], {}, { reason: 'not_sold_here', alternatives: refusal.alternatives.map(presentAlternative) });
    case 'closed':
      return new Problem('conflict', detail, [], {}, { reason: 'closed', closed_until: refusal.reopensAt?.toISOString() ?? null, alternatives: refusal.alternatives.map(presentAlternative) });
    case 'not_enough':
      return new Problem('conflict', detail, [], {}, { reason: 'not_enough', sellable: refusal.sellable, alternatives: refusal.alternatives.map(presentAlternative) });
    case 'key_reused':
      return new Problem('unprocessable', detail, [], {}, { hold_id: refusal.hold.id });
  }
}

const HOLD_ID = /^[A-Za-z0-9-]{1,20}$/;

export const accountHoldRoutes = new Hono<CustomerEnv>()
  .get(
    '/',
    describeRoute({
      tags: ['Account'],
      summary: 'Mes réservations',
      description: 'The customer’s holds: the live ones first (nearest deadline first), then the others, newest first (100 at most).',
      responses: { 200: { description: 'The holds', content: { 'application/json': { schema: resolver(v.object({ items: v.array(HoldSchema) })) } } }, 401: problem('Not signed in') },
    }),
    customerOnly,
    async (c) => {
      const holds = await holdsOf(database(), c.get('session').customer.id, new Date());
      return c.json({ items: holds.map(presentHold) });
    },
  )
  .post(
    '/',
    describeRoute({
      tags: ['Account'],
      summary: 'Réserver un article dans un bureau',
      description: `Holds \`quantity\` (1 to ${MAX_HOLD_QUANTITY}) units of \`sku\` at \`location_id\` until that office closes on its next opening day after today (its own time zone and calendar). `
        + `Taken only if the office’s counted units, less the safety stock and the other live holds, still cover it: never more holds than units. ${MAX_ACTIVE_HOLDS} live holds per customer. `
        + 'The `Idempotency-Key` header (8 to 100 characters) makes a retry safe: the same key answers the same hold (200, `Idempotent-Replayed: true`); the same key with another body is a 422. '
        + 'A confirmation is sent by email (after the customer’s quiet hours), and a reminder the morning of the last day. Calls must come from the site (Origin).',
      parameters: [{ name: IDEMPOTENCY_KEY_HEADER, in: 'header', required: true, schema: { type: 'string', minLength: 8, maxLength: 100 } }],
      responses: {
        200: { description: 'The same request again (same key and body): the hold it took', content: { 'application/json': { schema: resolver(HoldSchema) } } },
        201: { description: 'Reserved', content: { 'application/json': { schema: resolver(HoldSchema) } } },
        400: problem('Missing or malformed `Idempotency-Key`; `quantity` not a whole number from 1 to 10; an unknown field'),
        401: problem('Not signed in'),
        403: problem('Not called from the site’s own origin'),
        404: problem('Unknown product or office'),
        409: {
          description: 'Not reserved: `reason` is `not_enough` (with `sellable` and the 3 nearest `alternatives` that have enough), `not_sold_here` (the office keeps no count of it; `alternatives`), '
            + '`closed` (no opening day within 14 days, or left the network; `closed_until`, `alternatives`); or the product is withdrawn, or the customer already has 10 live holds',
          content: { 'application/problem+json': { schema: resolver(v.object({ ...ProblemSchema.entries, reason: v.optional(v.string()), sellable: v.optional(v.number()), closed_until: v.optional(v.nullable(v.string())), alternatives: v.optional(v.array(AlternativeSchema)) })) } },
        },
        422: problem('This `Idempotency-Key` already reserved something else (`hold_id` names it)'),
      },
    }),
    customerOnly,
    async (c, next) => {
      const key = c.req.header(IDEMPOTENCY_KEY_HEADER);
      if (key === undefined || key.trim() === '') {
        throw invalidRequest([{ name: IDEMPOTENCY_KEY_HEADER, reason: 'en-tête obligatoire : une clé unique par réservation (8 à 100 caractères), la même pour un nouvel essai' }]);
      }
      await next();
    },
    validate('json', ReserveBody),
    async (c) => {
      const body = c.req.valid('json');
      const { customer } = c.get('session');
      const config = bindings();
      const result = await reserveHold(database(), {
        customer, sku: body.sku, locationId: body.location_id, quantity: body.quantity, requestKey: c.req.header(IDEMPOTENCY_KEY_HEADER)!.trim(),
        now: new Date(), safety: config.stockSafetyUnits, messages: { queue: config.messages.queue, origin: config.SITE_ORIGIN },
      });
      if (!result.ok) throw refusalProblem(result);
      if (result.replayed) c.header('idempotent-replayed', 'true');
      c.header('location', `/api/v1/account/reservations/${result.hold.id}`);
      return c.json(presentHold(result.hold), result.replayed ? 200 : 201);
    },
  )
  .delete(
    '/:id',
    describeRoute({
      tags: ['Account'],
      summary: 'Annuler une réservation',
      description: 'Frees the units at once. Cancelling a cancelled hold again is a 204 too.',
      responses: { 204: { description: 'Cancelled' }, 401: problem('Not signed in'), 403: problem('Not called from the site’s own origin'), 404: problem('No such hold of this customer'), 409: problem('Collected, marked not collected, or expired') },
    }),
    customerOnly,
    async (c) => {
      const id = c.req.param('id').toUpperCase();
      const result = HOLD_ID.test(id)
        ? await cancelHold(database(), { customerId: c.get('session').customer.id, holdId: id, now: new Date(), safety: bindings().stockSafetyUnits })
        : { ok: false as const, problem: 'not_found' as const };
      if (!result.ok) {
        if (result.problem === 'not_found') throw new Problem('not-found', 'Aucune réservation de votre compte ne porte cette référence.');
        throw new Problem('conflict', `La réservation ${result.hold.id} est ${result.hold.status === 'expired' ? 'expirée' : result.hold.status === 'collected' ? 'déjà retirée' : 'close'} : rien à annuler.`);
      }
      return c.body(null, 204);
    },
  );

const FORBIDDEN = 'Votre jeton ne permet pas de gérer les réservations de ce bureau : il faut un rôle counter ou hours dont le périmètre le couvre.';

/** The answer to a staff mark: the hold, or the problem. */
function closeAnswer(result: CloseResult, wanted: 'collected' | 'not_collected') {
  if (result.ok) return { ...presentHold(result.hold), already: result.already, message: closeMessage(result, wanted) };
  if (result.problem === 'forbidden') throw new Problem('forbidden', FORBIDDEN);
  if (result.problem === 'not_found') throw new Problem('not-found', closeMessage(result, wanted));
  throw new Problem('conflict', closeMessage(result, wanted));
}

const markRoute = (wanted: 'collected' | 'not_collected') => describeRoute({
  tags: ['Stock'],
  summary: wanted === 'collected' ? 'Remettre une réservation au client' : 'Noter une réservation non retirée',
  description: wanted === 'collected'
    ? 'The customer collected the hold: the office’s count goes down by its quantity (its version and the stock sheet’s move, the stock audit says `collected`), the staff audit and the customer’s history record it. Done once: a second call answers `already: true`. The hold must still be live (not past its deadline).'
    : 'The customer did not come: the units are free at once; the staff audit and the customer’s history record it. Done once: a second call answers `already: true`.',
  responses: {
    200: { description: 'Marked (or already marked)', content: { 'application/json': { schema: resolver(v.object({ ...HoldSchema.entries, already: v.boolean(), message: v.string() })) } } },
    401: problem('No valid bearer token'),
    403: problem('The token’s role (counter or hours needed) or scope does not cover this office'),
    404: problem('Unknown office, or no such hold at this office'),
    409: problem('The hold is closed otherwise (cancelled, expired, or the other mark)'),
  },
});

export const staffHoldRoutes = new Hono<StaffEnv>()
  .get(
    '/:id/holds',
    describeRoute({
      tags: ['Stock'],
      summary: 'Les réservations en attente d’un bureau',
      description: 'The live holds at this office, the nearest deadline first (100 at most): what the counter hands over.',
      responses: {
        200: { description: 'The live holds', content: { 'application/json': { schema: resolver(v.object({ location_id: v.string(), items: v.array(HoldSchema) })) } } },
        401: problem('No valid bearer token'), 403: problem('Role or scope'), 404: problem('Unknown office'),
      },
    }),
    staffOnly,
    async (c) => {
      const db = database();
      const place = await holdPlace(db, c.get('staff'), c.req.param('id'));
      if (!place.ok) {
        if (place.problem === 'not_found') throw new Problem('not-found', 'Bureau inconnu : vérifiez son identifiant.');
        throw new Problem('forbidden', FORBIDDEN);
      }
      c.header('cache-control', PRIVATE_NO_STORE);
      return c.json({ location_id: place.location.id, items: (await liveHoldsAt(db, place.location.id, new Date())).map(presentHold) });
    },
  )
  .post('/:id/holds/:hold/collected', markRoute('collected'), staffOnly, async (c) => {
    const result = await collectHold(database(), c.get('staff'), { locationId: c.req.param('id'), holdId: c.req.param('hold'), now: new Date(), safety: bindings().stockSafetyUnits });
    return c.json(closeAnswer(result, 'collected'));
  })
  .post('/:id/holds/:hold/not-collected', markRoute('not_collected'), staffOnly, async (c) => {
    const result = await markNotCollected(database(), c.get('staff'), { locationId: c.req.param('id'), holdId: c.req.param('hold'), now: new Date(), safety: bindings().stockSafetyUnits });
    return c.json(closeAnswer(result, 'not_collected'));
  });
