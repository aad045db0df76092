/**
 * @module
 * A professional's low-crowd alerts over HTTP, `/api/v1/account/affluence-alerts`:
 * the list (GET), subscribing to an office (`PUT /{officeId}`, idempotent)
 * and unsubscribing (`DELETE /{officeId}`). Personal answers and changes
 * from the site's own origin (`customerOnly`); the rules are ./alerts.ts's.
 * Other methods answer 405 with `Allow`.
 */
import { Hono } from 'hono';
import { describeRoute, resolver } from 'hono-openapi';
import * as v from 'valibot';
import { customerOnly, type CustomerEnv } from '../accounts/api-auth';
import { database, siteOrigin } from '../env';
import { methodNotAllowed, Problem } from '../http/problem';
import { validate } from '../http/validate';
import { LOCATION_ID, ProblemSchema } from '../locations/api-schema';
import { HIGH_LEVEL, LOW_LEVEL } from './alert';
import { type AlertSubscription, alertsOf, MAX_ALERTS, type SubscribeRefusal, subscribeAlert, unsubscribeAlert } from './alerts';

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: resolver(ProblemSchema) } } });

const AlertParams = v.strictObject({
  officeId: v.pipe(v.string(), v.regex(LOCATION_ID, 'identifiant de bureau invalide : 1 à 32 lettres ou chiffres'), v.toUpperCase()),
});

const AlertSchema = v.object({
  office_id: v.string(),
  office_name: v.string(),
  commune: v.string(),
  office_url: v.pipe(v.string(), v.description('The office’s public page')),
  office_status: v.pipe(v.picklist(['active', 'closed']), v.description('`closed`: the office left the network, no alert will come')),
  created_at: v.string(),
});
const AlertListSchema = v.object({ items: v.array(AlertSchema), max_items: v.number() });

const present = (subscription: AlertSubscription) => ({
  office_id: subscription.locationId,
  office_name: subscription.name,
  commune: subscription.commune,
  office_url: `${siteOrigin()}${subscription.path}`,
  office_status: subscription.status,
  created_at: subscription.createdAt.toISOString(),
});

function refusalProblem(refusal: SubscribeRefusal): Problem {
  switch (refusal.problem) {
    case 'not_professional':
      return new Problem('forbidden', 'Les alertes d’affluence sont réservées aux comptes professionnels : enregistrez d’abord votre SIRET (PUT /api/v1/account/pro).');
    case 'unknown_office':
      return new Problem('not-found', 'Bureau inconnu : vérifiez son identifiant.');
    case 'no_counter':
      return new Problem('conflict', `${refusal.name} n’a pas de guichet : aucune file d’attente à éviter, donc pas d’alerte d’affluence.`, [], {}, { reason: 'no_counter' });
    case 'office_closed':
      return new Problem('conflict', `${refusal.name} n’est plus en service.`, [], {}, { reason: 'office_closed' });
    case 'too_many':
      return new Problem('conflict', `Vous suivez déjà ${MAX_ALERTS} bureaux, le maximum : retirez-en un d’abord.`, [], {}, { reason: 'too_many' });
  }
}

const RULE = `A message when the office’s live level stays below ${LOW_LEVEL} % of its usual peak for 15 minutes, `
  + `while it is open with at least 30 minutes left, outside the account’s quiet hours; at most one a day per office, `
  + `and the next only after the level rose above ${HIGH_LEVEL} %.`;

export const accountAffluenceAlertRoutes = new Hono<CustomerEnv>()
  .get('/',
    describeRoute({
      tags: ['Account'], summary: 'Mes alertes d’affluence',
      description: `The offices whose low-crowd alert the account receives, in the order subscribed (${MAX_ALERTS} at most). ${RULE}`,
      responses: { 200: { description: 'The alerts', content: { 'application/json': { schema: resolver(AlertListSchema) } } }, 401: problem('Not signed in') },
    }),
    customerOnly,
    async (c) => c.json({ items: (await alertsOf(database(), c.get('session').customer.id)).map(present), max_items: MAX_ALERTS }))
  .put('/:officeId',
    describeRoute({
      tags: ['Account'], summary: 'Recevoir l’alerte d’affluence d’un bureau',
      description: `Professional accounts only, offices in service with a counter only, ${MAX_ALERTS} offices at most. Idempotent: subscribing again is a 200 and keeps the alert’s state. ${RULE}`,
      responses: {
        200: { description: 'Already subscribed', content: { 'application/json': { schema: resolver(AlertSchema) } } },
        201: { description: 'Subscribed', content: { 'application/json': { schema: resolver(AlertSchema) } } },
        400: problem('Malformed office id'), 401: problem('Not signed in'), 403: problem('Not a professional account, or not called from the site’s own origin'),
        404: problem('No such office'), 409: problem('`reason`: no_counter (no counter at this location), office_closed, too_many (10 offices already)'),
      },
    }),
    customerOnly, validate('param', AlertParams),
    async (c) => {
      const result = await subscribeAlert(database(), { customerId: c.get('session').customer.id, locationId: c.req.valid('param').officeId, now: new Date() });
      if (!result.ok) throw refusalProblem(result);
      return c.json(present(result.subscription), result.created ? 201 : 200);
    })
  .delete('/:officeId',
    describeRoute({
      tags: ['Account'], summary: 'Ne plus recevoir l’alerte d’affluence d’un bureau',
      responses: { 204: { description: 'Unsubscribed' }, 400: problem('Malformed office id'), 401: problem('Not signed in'), 403: problem('Not called from the site’s own origin'), 404: problem('No alert for this office') },
    }),
    customerOnly, validate('param', AlertParams),
    async (c) => {
      const removed = await unsubscribeAlert(database(), { customerId: c.get('session').customer.id, locationId: c.req.valid('param').officeId });
      if (!removed) throw new Problem('not-found', 'Vous ne recevez pas l’alerte d’affluence de ce bureau.');
      return c.body(null, 204);
    })
  .all('/', methodNotAllowed('GET, HEAD'))
  .all('/:officeId', methodNotAllowed('PUT, DELETE'));
