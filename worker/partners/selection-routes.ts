/**
 * @module
 * `POST /api/v1/selections/verify`: the partner's server checks a shopper's
 * choice before accepting an order. Authenticated with the secret key.
 */
import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import { describeRoute } from 'hono-openapi';
import * as v from 'valibot';
import { database } from '../env';
import { NO_STORE } from '../http/headers';
import { methodNotAllowed, Problem } from '../http/problem';
import { validate } from '../http/validate';
import { SERVICES } from '../locations/catalog';
import { presentLocation } from '../locations/present';
import { findLocation } from '../locations/queries';
import { type Partner, partnerBySecretKey } from './keys';
import { signingConfig, verifySelection } from './selection';

const VerifyBody = v.strictObject({
  token: v.pipe(v.string(), v.minLength(1, 'jeton vide'), v.maxLength(4000, 'jeton trop long')),
  /** What the order needs: a choice made without these services is refused. */
  required_services: v.optional(v.array(v.picklist(SERVICES, 'service inconnu')), []),
});

/** The partner's server, by its secret key: checked before the body is even read. */
const partnerServer = createMiddleware<{ Variables: { partner: Partner } }>(async (c, next) => {
  const secret = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
  const partner = secret ? await partnerBySecretKey(database(), secret) : undefined;
  if (!partner) {
    throw new Problem('unauthorized', 'Clé secrète partenaire requise : Authorization: Bearer sk_…', [], { 'www-authenticate': 'Bearer realm="guichet-partners"' });
  }
  c.set('partner', partner);
  await next();
});

export const selectionRoutes = new Hono()
  .post(
    '/verify',
    describeRoute({
      tags: ['Partners'],
      security: [{ bearer: [] }],
      summary: 'Vérifier le point choisi par un client (serveur du partenaire, clé secrète)',
      responses: { 200: { description: '`valid` and, when valid, the location' }, 400: { description: 'Invalid body' }, 401: { description: 'Unknown secret key' } },
    }),
    partnerServer,
    validate('json', VerifyBody),
    async (c) => {
      const db = database();
      c.header('cache-control', NO_STORE);
      const result = await verifySelection(db, signingConfig(), c.req.valid('json').token, Math.floor(Date.now() / 1000), c.get('partner').id);
      if (!result.ok) return c.json({ valid: false, reason: result.reason });
      const { payload } = result;
      const location = await findLocation(db, payload.l);
      if (!location || location.status !== 'active') return c.json({ valid: false, reason: 'ce point de contact n’est plus en service' });
      const notAsked = c.req.valid('json').required_services.filter((s) => !payload.s.includes(s));
      if (notAsked.length) return c.json({ valid: false, reason: `choix fait sans le service demandé : ${notAsked.join(', ')}` });
      const missing = payload.s.filter((s) => !location.services.includes(s));
      if (missing.length) return c.json({ valid: false, reason: `ce point n’offre plus : ${missing.join(', ')}` });
      return c.json({ valid: true, location: presentLocation(location), services: payload.s, expires_at: new Date(payload.e * 1000).toISOString() });
    },
  )
  .all('/verify', methodNotAllowed('POST'));
