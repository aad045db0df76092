/**
 * @module
 * Parcels over HTTP (`/api/v1/parcels…`): carriers post signed events, and
 * anyone reads a parcel's status by its tracking number. The pages
 * (site/pages/suivi…) call the same use cases.
 */
import { Hono } from 'hono';
import { describeRoute, resolver } from 'hono-openapi';
import * as v from 'valibot';
import { bindings, database } from '../env';
import { sha256 } from '../http/crypto';
import { FRESH_UNTIL_HEADER, PRIVATE_NO_STORE } from '../http/headers';
import { invalidRequest, Problem } from '../http/problem';
import { validate } from '../http/validate';
import { ProblemSchema } from '../locations/api-schema';
import { requireSameOrigin } from '../accounts/api-auth';
import { EventsBody, IngestAnswerSchema, MAX_EVENTS_PER_REQUEST } from './api-schema';
import { activeCarrier, carrierKey, carrierSecret } from './carriers';
import { confirmAlert, endAlert, requestAlert } from './alerts';
import { ingestCarrierEvents } from './ingest';
import { notifyChanges } from './jobs';
import { presentParcel, ParcelStatusSchema } from './present';
import { parseSignatureHeader, SIGNATURE_HEADER, signatureMatches, timestampProblem } from './signature';
import { parseTrackingNumber } from './tracking-number';
import { parcelStatus, TRACKING_CACHE, UNKNOWN_PARCEL_EXPLANATION } from './view';

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: resolver(ProblemSchema) } } });

/** The number as typed (spaces, dashes and case ignored); a malformed one is a 400 saying what is wrong with it. */
const TrackingNumberParams = v.object({
  tracking_number: v.pipe(
    v.string(),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const parsed = parseTrackingNumber(dataset.value);
      if (!parsed.ok) addIssue({ message: parsed.reason });
    }),
  ),
});

const CHALLENGE = { 'www-authenticate': 'Guichet-Signature' };
const refuse = (reason: string) => new Problem('unauthorized', `Requête de transporteur refusée : ${reason}.`, [], CHALLENGE);

const AlertBody = v.strictObject({ email: v.pipe(v.string('email : texte attendu'), v.maxLength(254, 'email : 254 caractères au plus')) });
const TokenBody = v.strictObject({ token: v.pipe(v.string('token : texte attendu'), v.maxLength(200, 'token : 200 caractères au plus')) });

export const parcelRoutes = new Hono()
  .post(
    '/alerts/confirmation',
    describeRoute({ tags: ['Parcels'], summary: 'Confirmer une alerte (double opt-in)', responses: { 200: { description: 'Confirmed' }, 404: problem('Unknown or expired token') } }),
    validate('json', TokenBody),
    async (c) => {
      const number = await confirmAlert(database(), c.req.valid('json').token, new Date());
      if (!number) throw new Problem('not-found', 'Lien de confirmation inconnu ou expiré (24 heures) : demandez les alertes à nouveau depuis la page du colis.');
      c.header('cache-control', PRIVATE_NO_STORE);
      return c.json({ tracking_number: number, confirmed: true });
    },
  )
  .post(
    '/alerts/unsubscribe',
    describeRoute({ tags: ['Parcels'], summary: 'Ne plus recevoir une alerte (un clic)', responses: { 200: { description: 'Ended (also when it already was)' } } }),
    validate('json', TokenBody),
    async (c) => {
      await endAlert(database(), c.req.valid('json').token);
      c.header('cache-control', PRIVATE_NO_STORE);
      return c.json({ ended: true });
    },
  )
  .post(
    '/:trackingNumber/alerts',
    describeRoute({
      tags: ['Parcels'],
      summary: 'Recevoir par courriel les nouvelles d’un colis',
      description: 'Sends a confirmation to the address (double opt-in); nothing else is sent until it is confirmed. The answer is the same whether or not the address already asked. Calls must come from the site (Origin).',
      responses: { 202: { description: 'Confirmation sent' }, 400: problem('Malformed number or address'), 403: problem('Not called from the site’s own origin'), 404: problem('No parcel with this number yet'), 429: problem('Too many requests from this client') },
    }),
    async (c, next) => {
      requireSameOrigin(c.req.method, c.req.header('origin'));
      await next();
    },
    validate('json', AlertBody),
    async (c) => {
      const config = bindings();
      const result = await requestAlert(database(), {
        trackingNumber: c.req.param('trackingNumber'), email: c.req.valid('json').email, clientIp: c.req.header('cf-connecting-ip'),
        now: new Date(), origin: config.SITE_ORIGIN, queue: config.messages.queue,
      });
      if (!result.ok) {
        if (result.problem === 'invalid') throw invalidRequest([{ name: result.field, reason: result.reason }]);
        if (result.problem === 'rate_limited') throw new Problem('too-many-requests', 'Trop de demandes depuis ce client : réessayez dans une minute.', [], { 'retry-after': '60' });
        throw new Problem('not-found', UNKNOWN_PARCEL_EXPLANATION);
      }
      c.header('cache-control', PRIVATE_NO_STORE);
      return c.json({ tracking_number: result.trackingNumber, confirmation_sent: true }, 202);
    },
  )
  .post(
  '/events',
  describeRoute({
    tags: ['Parcels'],
    summary: 'Recevoir les événements d’un transporteur (signés)',
    description: `Up to ${MAX_EVENTS_PER_REQUEST} events, signed with \`Guichet-Signature: k=<carrier id>,t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "t.body")>\` over the raw body. `
      + 'Each event is accepted, a duplicate (its `event_id` was already received: nothing changes) or rejected with its reasons; one bad event never rejects the others. Unknown codes are stored and listed in `unknown_codes`.',
    responses: {
      200: { description: 'A count per outcome, and each event’s outcome', content: { 'application/json': { schema: resolver(IngestAnswerSchema) } } },
      400: problem('The body is not `{ "events": [ … ] }` with 1 to 500 events'),
      401: problem('Missing, malformed, forged or stale signature; unknown or revoked carrier'),
      409: problem('This signed request was already received (a replay)'),
      413: problem('Body over 512 KiB'),
    },
  }),
  async (c) => {
    // The signature covers the raw bytes: read them before anything decodes or parses them.
    const raw = new Uint8Array(await c.req.arrayBuffer());
    const now = new Date();
    const header = parseSignatureHeader(c.req.header(SIGNATURE_HEADER));
    if (!header.ok) throw refuse(header.reason);
    const stale = timestampProblem(header.parts.timestamp, now);
    if (stale) throw refuse(stale);
    const db = database();
    const carrier = await activeCarrier(db, header.parts.carrierId);
    const key = await carrierKey(db, bindings().CARRIER_KEY);
    // Same answer for an unknown carrier and a wrong signature: nothing to learn by probing ids.
    if (!carrier || !(await signatureMatches(await carrierSecret(key, carrier), header.parts, raw))) throw refuse('signature invalide ou transporteur inconnu');

    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(raw));
    } catch {
      throw invalidRequest([{ name: 'body', reason: 'corps de requête illisible : JSON attendu' }]);
    }
    const parsed = v.safeParse(EventsBody, json);
    if (!parsed.success) {
      throw invalidRequest(parsed.issues.map((issue) => ({
        name: issue.path?.map((p) => String(p.key)).join('.') || 'body',
        reason: issue.expected === 'never' ? 'champ inconnu' : issue.message.startsWith('Invalid ') ? 'objet { "events": [ … ] } attendu' : issue.message,
      })));
    }
    const replayDigest = await sha256(`${carrier.id}|${header.parts.timestamp}|${header.parts.digest}`);
    let result;
    try {
      result = await ingestCarrierEvents(db, { carrierId: carrier.id, events: parsed.output.events, replayDigest, key, now });
    } catch (error) {
      if (/UNIQUE constraint failed: carrier_requests/.test(String((error as { cause?: Error })?.cause?.message ?? (error as Error)?.message))) {
        throw new Problem('conflict', 'Cette requête signée a déjà été reçue : une nouvelle requête porte un nouvel horodatage et sa signature.');
      }
      throw error;
    }
    const { changes, ...answer } = result;
    // Followers hear about what changed. Their notices are written now; a failure here is logged and the events stay stored.
    const config = bindings();
    await notifyChanges(db, { queue: config.messages.queue, origin: config.SITE_ORIGIN, holdingDays: config.holdingDays }, changes, now)
      .catch((error) => console.error('parcels: notices not recorded', error instanceof Error ? error.name : 'unknown'));
    c.header('cache-control', PRIVATE_NO_STORE);
    return c.json(answer);
  },
).get(
  '/:tracking_number',
  describeRoute({
    tags: ['Parcels'],
    summary: 'Le suivi d’un colis',
    description: 'La Poste’s five steps with the current one, open incidents, every event (French label, instant), the estimated delivery as a range of dates '
      + 'with its confidence, and, when the parcel waits at an office, relay or locker, that place and the last moment to collect it (a closing time of the place). '
      + 'Nothing personal: anyone holding the number reads this. Events arrive at any time: `Cache-Control: public, no-cache`, revalidate with the `ETag`.',
    responses: {
      200: { description: 'The parcel’s status', content: { 'application/json': { schema: resolver(ParcelStatusSchema) } } },
      400: problem('The tracking number is malformed (an S10 number such as RB123456785FR with its check digit, or a 13-character Colissimo number); `invalid_params` says what is wrong'),
      404: problem('No carrier has scanned this parcel yet (it appears after its first scan)'),
    },
  }),
  validate('param', TrackingNumberParams),
  async (c) => {
    const status = await parcelStatus(database(), c.req.valid('param').tracking_number, new Date());
    if (!status.ok) {
      if (status.problem === 'invalid') throw invalidRequest([{ name: 'tracking_number', reason: status.reason }]);
      throw new Problem('not-found', `Aucun événement pour le colis ${status.number}. ${UNKNOWN_PARCEL_EXPLANATION}`);
    }
    // The edge cache keeps it under the parcel's event count and its waiting place's hours (worker/edge/resources.ts), until its words
    // change with the clock; a browser revalidates with the ETag every time, and an unknown number (404) is never kept.
    c.header('cache-control', TRACKING_CACHE);
    c.header(FRESH_UNTIL_HEADER, status.view.holdsUntil.toISOString());
    return c.json(presentParcel(status.view));
  },
);
