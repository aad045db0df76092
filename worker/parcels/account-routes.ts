/**
 * @module
 * A customer's parcels over HTTP (`/api/v1/account/parcels`): list, add with
 * the recipient's postcode as proof, remove. Personal answers only
 * (`private, no-store`); changes come from the site's own origin.
 */
import { Hono } from 'hono';
import { describeRoute, resolver } from 'hono-openapi';
import * as v from 'valibot';
import { customerOnly, type CustomerEnv } from '../accounts/api-auth';
import { bindings, database } from '../env';
import { invalidRequest, Problem } from '../http/problem';
import { validate } from '../http/validate';
import { ProblemSchema } from '../locations/api-schema';
import { carrierKey } from './carriers';
import { followedParcels, followParcel, MAX_FOLLOWED_PARCELS, MAX_POSTCODE_FAILURES_PER_HOUR, unfollowParcel } from './following';
import { parseTrackingNumber } from './tracking-number';

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: resolver(ProblemSchema) } } });

const FollowBody = v.strictObject({
  tracking_number: v.pipe(v.string('tracking_number : texte attendu'), v.maxLength(40, 'tracking_number : 40 caractères au plus')),
  postcode: v.pipe(v.string('postcode : texte attendu (5 chiffres)'), v.maxLength(10, 'postcode : 5 chiffres')),
});

export const accountParcelRoutes = new Hono<CustomerEnv>()
  .get(
    '/',
    describeRoute({ tags: ['Account'], summary: 'Mes colis', responses: { 200: { description: 'The parcels the customer follows, newest first' }, 401: problem('Not signed in') } }),
    customerOnly,
    async (c) => {
      const items = await followedParcels(database(), c.get('session').customer.id);
      return c.json({
        items: items.map((p) => ({
          tracking_number: p.trackingNumber, added_at: p.addedAt, step: p.step, delivered: p.delivered, incidents: p.incidents,
          waiting_location_id: p.waitingLocationId, last_event_at: p.lastEventAt === null ? null : new Date(p.lastEventAt).toISOString(),
          path: `/suivi/${p.trackingNumber}`,
        })),
      });
    },
  )
  .post(
    '/',
    describeRoute({
      tags: ['Account'],
      summary: 'Suivre un colis dans mon compte',
      description: `The recipient's postcode proves the parcel is the customer's. ${MAX_POSTCODE_FAILURES_PER_HOUR} wrong postcodes an hour at most; ${MAX_FOLLOWED_PARCELS} parcels per account.`,
      responses: {
        201: { description: 'Followed (also when it already was)' }, 400: problem('Malformed number or postcode'), 401: problem('Not signed in'),
        403: problem('No parcel with this number for this postcode (the same answer for both)'), 409: problem('Already 50 parcels followed'), 429: problem('Too many wrong postcodes this hour'),
      },
    }),
    customerOnly,
    validate('json', FollowBody),
    async (c) => {
      const body = c.req.valid('json');
      const db = database();
      const result = await followParcel(db, c.get('session').customer.id, {
        trackingNumber: body.tracking_number, postcode: body.postcode, key: await carrierKey(db, bindings().CARRIER_KEY), now: new Date(),
      });
      if (!result.ok) {
        if (result.problem === 'invalid') throw invalidRequest([{ name: result.field, reason: result.reason }]);
        if (result.problem === 'rate_limited') throw new Problem('too-many-requests', `Trop de codes postaux erronés (${MAX_POSTCODE_FAILURES_PER_HOUR} par heure) : réessayez dans une heure.`, [], { 'retry-after': '3600' });
        if (result.problem === 'too_many') throw new Problem('conflict', `Vous suivez déjà ${MAX_FOLLOWED_PARCELS} colis : retirez-en un d’abord.`);
        throw new Problem('forbidden', 'Aucun colis ne correspond à ce numéro et à ce code postal de destinataire : vérifiez-les (le code postal est celui de l’adresse de livraison).');
      }
      return c.json({ tracking_number: result.trackingNumber, path: `/suivi/${result.trackingNumber}` }, 201);
    },
  )
  .delete(
    '/:trackingNumber',
    describeRoute({ tags: ['Account'], summary: 'Ne plus suivre un colis', responses: { 204: { description: 'Not followed any more' }, 400: problem('Malformed number'), 401: problem('Not signed in') } }),
    customerOnly,
    async (c) => {
      const parsed = parseTrackingNumber(c.req.param('trackingNumber'));
      if (!parsed.ok) throw invalidRequest([{ name: 'tracking_number', reason: parsed.reason }]);
      await unfollowParcel(database(), c.get('session').customer.id, parsed.number, new Date());
      return c.body(null, 204);
    },
  );
