/**
 * @module
 * Orders over HTTP. The customer (`/api/v1/account/orders`, session
 * cookie, same Origin for writes): list their orders (web and counter),
 * place a web order, order a past one again. The counter
 * (`/api/v1/counter/sessions/{session_id}/orders`, a `counter` bearer
 * token): order from the online catalogue for the customer recognised in
 * the clerk's open session. Every write takes an `Idempotency-Key`: the
 * same key gives back the same order. Lines that cannot be served refuse
 * the whole order (409) and name each item in `unavailable`.
 */
import type { Context } from 'hono';
import { Hono } from 'hono';
import { describeRoute, resolver } from 'hono-openapi';
import * as v from 'valibot';
import { customerOnly, type CustomerEnv } from '../accounts/api-auth';
import { formatPrice } from '../catalogue/products';
import { database } from '../env';
import { invalidRequest, Problem } from '../http/problem';
import { validate } from '../http/validate';
import { ProblemSchema } from '../locations/api-schema';
import { staffOnly, type StaffEnv } from '../staff/auth';
import { describeUnavailable, MAX_LINES, MAX_QUANTITY, type UnavailableItem } from './model';
import { type OrderRefusal, type OrderView, ordersOf, placeCounterOrder, placeWebOrder, reorder } from './orders';

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: resolver(ProblemSchema) } } });
const STAFF = { security: [{ bearer: [] }] };
const IDEMPOTENCY = {
  in: 'header' as const, name: 'Idempotency-Key', required: true, schema: { type: 'string' as const, minLength: 8, maxLength: 100 },
  description: 'One key per order (8 to 100 visible characters): the same key sent again gives back the same order, nothing more.',
};

const Line = v.strictObject({
  sku: v.pipe(v.string('sku : texte attendu (exemple : TP-LV-C12)'), v.maxLength(40, 'sku : 40 caractères au plus')),
  quantity: v.number(`quantity : un nombre entier de 1 à ${MAX_QUANTITY}`),
});
const Lines = v.pipe(v.array(Line, 'lines : liste attendue'), v.maxLength(MAX_LINES * 5, `lines : ${MAX_LINES} lignes au plus`));
const AddressIndex = v.number('address_index : le numéro d’une adresse du compte (0 pour la première)');

const WebDeliverySchema = v.variant('kind', [
  v.strictObject({ kind: v.literal('home'), address_index: AddressIndex }),
  v.strictObject({ kind: v.literal('collect'), location_id: v.pipe(v.string('location_id : texte attendu'), v.maxLength(64, 'location_id : 64 caractères au plus')) }),
], 'delivery : { "kind": "home", "address_index" } ou { "kind": "collect", "location_id" }');
const CounterDeliverySchema = v.variant('kind', [
  v.strictObject({ kind: v.literal('home'), address_index: AddressIndex }),
  v.strictObject({ kind: v.literal('collect') }),
], 'delivery : { "kind": "home", "address_index" } ou { "kind": "collect" } (retrait dans ce bureau)');

const WebOrderBody = v.strictObject({ lines: Lines, delivery: WebDeliverySchema });
const CounterOrderBody = v.strictObject({ lines: Lines, delivery: CounterDeliverySchema });
const ReorderBody = v.strictObject({ delivery: v.optional(WebDeliverySchema) });
const OrderParams = v.strictObject({ id: v.pipe(v.string(), v.regex(/^CMD-[A-Z0-9]{8}$/, 'id : une référence de commande (CMD- et 8 caractères)')) });
const SessionParams = v.strictObject({ session_id: v.pipe(v.string(), v.maxLength(100, 'session_id : 100 caractères au plus')) });
const ListQuery = v.strictObject({
  limit: v.optional(v.pipe(v.string(), v.regex(/^\d{1,2}$/, 'limit : de 1 à 50'), v.transform(Number), v.minValue(1, 'limit : de 1 à 50'), v.maxValue(50, 'limit : de 1 à 50'))),
  cursor: v.optional(v.pipe(v.string(), v.maxLength(100, 'cursor : le next_cursor de la page précédente'))),
});

/** The `Idempotency-Key` header, required on every order. */
function idempotencyKey(c: Context): string {
  const key = c.req.header('idempotency-key');
  if (!key) throw invalidRequest([{ name: 'Idempotency-Key', reason: 'obligatoire : une clé par commande, de 8 à 100 caractères visibles' }]);
  return key;
}

const unavailableJson = (item: UnavailableItem) => ({
  sku: item.sku, name: item.name, reason: item.reason, ...(item.reason === 'short' ? { available: item.available } : {}), label: describeUnavailable(item),
});

/** A 409 naming each item that cannot be served (`unavailable`), on top of the usual problem fields. */
async function unavailableResponse(c: Context, detail: string, items: readonly UnavailableItem[]): Promise<Response> {
  return new Problem('conflict', detail, [], {}, { unavailable: items.map(unavailableJson) }).toResponse(new URL(c.req.url).pathname);
}

/** A refused order as problem+json (or the 409 with its items). */
async function refusalResponse(c: Context, refusal: OrderRefusal): Promise<Response> {
  switch (refusal.problem) {
    case 'invalid':
      throw invalidRequest(refusal.params);
    case 'unavailable':
      return unavailableResponse(c, `Commande refusée, rien n’a été enregistré : ${refusal.message}`, refusal.items);
    case 'forbidden':
      throw new Problem('forbidden', refusal.why === 'not_yours'
        ? 'Cette session de guichet est celle d’un autre guichetier ou d’un autre bureau.'
        : 'Ce jeton ne permet pas de commander au guichet : il faut un jeton de guichet (rôle counter) d’un bureau.');
    case 'no_session':
      throw new Problem('conflict', 'Aucune session de guichet ouverte sous ce numéro (15 minutes au plus) : reconnaissez le client sur /staff/guichet.');
    case 'not_found':
      throw new Problem('not-found', 'Aucune commande de ce numéro dans votre compte.');
    case 'changed':
    case 'conflict':
      throw new Problem('conflict', 'Le stock a changé pendant la commande : rien n’a été enregistré, réessayez.');
    case 'key_reused':
      throw new Problem('unprocessable', `Cette clé d’idempotence a déjà servi à une autre commande (${refusal.orderId}) : rien n’a été enregistré ; une nouvelle commande demande une nouvelle clé.`, [], {}, { order_id: refusal.orderId });
  }
}

/** An order as the API answers it. */
export function presentOrder(order: OrderView) {
  return {
    id: order.id,
    channel: order.channel,
    ordered_at: order.createdAt.toISOString(),
    counter: order.counter ? { location_id: order.counter.locationId, name: order.counter.name } : null,
    delivery: order.delivery.kind === 'home'
      ? { kind: 'home', address: order.delivery.address }
      : { kind: 'collect', location_id: order.delivery.locationId, name: order.delivery.name },
    payment: order.payment,
    payment_label: order.paymentLabel,
    lines: order.lines.map((l) => ({ sku: l.sku, name: l.name, unit_price_cents: l.unitPriceCents, quantity: l.quantity })),
    item_count: order.itemCount,
    total_cents: order.totalCents,
    total: formatPrice(order.totalCents),
    reorder_of: order.reorderOf,
    path: '/compte/commandes',
  };
}

const toWebDelivery = (d: v.InferOutput<typeof WebDeliverySchema>) =>
  d.kind === 'home' ? { kind: 'home' as const, addressIndex: d.address_index } : { kind: 'collect' as const, locationId: d.location_id };

/** An order as the counter's API answers it: the clerk sees where it goes by the address's label and city only, never the street. */
function presentCounterOrder(order: OrderView) {
  const presented = presentOrder(order);
  if (order.delivery.kind !== 'home') return presented;
  const { label, city } = order.delivery.address;
  return { ...presented, delivery: { kind: 'home', address: { label, city } }, path: null };
}

/** 201 for a new order, and for the same key sent again (`Idempotent-Replayed: true`). */
function created(c: Context, order: OrderView, replayed: boolean, extra: object = {}, present: (order: OrderView) => object = presentOrder) {
  if (replayed) c.header('idempotent-replayed', 'true');
  return c.json({ ...present(order), ...extra }, 201);
}

export const accountOrderRoutes = new Hono<CustomerEnv>()
  .get(
    '/',
    describeRoute({
      tags: ['Account'], summary: 'Mes commandes',
      description: 'The customer’s orders, web and counter alike, newest first, each with its lines (name and price as sold). `next_cursor` gives the next page.',
      responses: { 200: { description: 'Orders' }, 400: problem('Bad limit or cursor'), 401: problem('Not signed in') },
    }),
    customerOnly,
    validate('query', ListQuery),
    async (c) => {
      const query = c.req.valid('query');
      const page = await ordersOf(database(), c.get('session').customer.id, { limit: query.limit, cursor: query.cursor });
      return c.json({ items: page.orders.map(presentOrder), next_cursor: page.nextCursor });
    },
  )
  .post(
    '/',
    describeRoute({
      tags: ['Account'], summary: 'Commander en ligne',
      description: `Lines \`{ sku, quantity }\` (1 to ${MAX_LINES} lines, 1 to ${MAX_QUANTITY} units each, each sku once), delivered to an address of the account (\`address_index\`) or collected at an office with a counter (\`location_id\`). Served from the online shop's stock. Payment is \`due\`: at the counter when collected; online payment is not built yet.`,
      parameters: [IDEMPOTENCY],
      responses: {
        201: { description: 'The order (also for the same Idempotency-Key sent again)' }, 400: problem('Malformed lines, delivery or key'),
        401: problem('Not signed in'), 403: problem('Not from the site’s origin'),
        409: problem('Some lines cannot be served (withdrawn, not sold online, not enough online stock): `unavailable` names each; nothing was written'),
      },
    }),
    customerOnly,
    validate('json', WebOrderBody),
    async (c) => {
      const body = c.req.valid('json');
      const result = await placeWebOrder(database(), {
        customer: c.get('session').customer, lines: body.lines, delivery: toWebDelivery(body.delivery), requestKey: idempotencyKey(c), now: new Date(),
      });
      return result.ok ? created(c, result.order, result.replayed) : refusalResponse(c, result);
    },
  )
  .post(
    '/:id/reorder',
    describeRoute({
      tags: ['Account'], summary: 'Commander à nouveau',
      description: 'Orders a past order (web or counter) again as a web order: the lines still sold online and in stock online, at today’s price (a quantity the shop no longer has is reduced to what is left). `not_reordered` names the others. Delivery: as the past order when still possible, unless `delivery` is given.',
      parameters: [IDEMPOTENCY],
      responses: {
        201: { description: 'The new order, with `not_reordered`' }, 400: problem('Malformed delivery or key, or the past delivery is no longer possible'),
        401: problem('Not signed in'), 403: problem('Not from the site’s origin'), 404: problem('No such order in this account'),
        409: problem('No line can be ordered again: `unavailable` names each'),
      },
    }),
    customerOnly,
    validate('param', OrderParams),
    // The body is optional: without a JSON content type it is read as `{}`.
    validate('json', ReorderBody),
    async (c) => {
      const body = c.req.valid('json');
      const result = await reorder(database(), {
        customer: c.get('session').customer, orderId: c.req.valid('param').id, requestKey: idempotencyKey(c), now: new Date(),
        ...(body.delivery ? { delivery: toWebDelivery(body.delivery) } : {}),
      });
      if (!result.ok) {
        if (result.problem === 'unavailable') return unavailableResponse(c, `Rien ne peut être commandé à nouveau : ${result.message}`, result.items);
        return refusalResponse(c, result);
      }
      return created(c, result.order, result.replayed, { not_reordered: result.dropped.map(unavailableJson) });
    },
  );

/** The counter ordering from the online catalogue for a recognised customer (`/api/v1/counter/…`). */
export const counterOrderRoutes = new Hono<StaffEnv>()
  .post(
    '/sessions/:session_id/orders',
    describeRoute({
      tags: ['Counter (staff)'], ...STAFF, summary: 'Commander pour le client reconnu au guichet',
      description: `For the customer recognised in the clerk's open counter session (worker/accounts/counter.ts), at the clerk's office: lines \`{ sku, quantity }\` from the whole online catalogue, delivered to an address of the customer's account (\`address_index\`) or collected at this office. Paid at the counter's till (\`paid_at_counter\`). Written with the customer's history entry ("au guichet de …") and the staff audit \`order.counter\`.`,
      parameters: [IDEMPOTENCY],
      responses: {
        201: { description: 'The order (also for the same Idempotency-Key sent again)' }, 400: problem('Malformed lines, delivery or key'),
        401: problem('No valid token'), 403: problem('Not a counter token of one office, or another clerk’s session'),
        409: problem('No open session by this id, or some lines cannot be served (`unavailable` names each); nothing was written'),
      },
    }),
    staffOnly,
    validate('param', SessionParams),
    validate('json', CounterOrderBody),
    async (c) => {
      const body = c.req.valid('json');
      const result = await placeCounterOrder(database(), {
        staff: c.get('staff'), counterSession: c.req.valid('param').session_id, lines: body.lines,
        delivery: body.delivery.kind === 'home' ? { kind: 'home', addressIndex: body.delivery.address_index } : { kind: 'collect' },
        requestKey: idempotencyKey(c), now: new Date(),
      });
      return result.ok ? created(c, result.order, result.replayed, {}, presentCounterOrder) : refusalResponse(c, result);
    },
  );
