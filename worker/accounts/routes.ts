/**
 * @module
 * The customer account over HTTP (`/api/v1/account…`): sign-in by emailed
 * code, the account, its history, its export and its deletion. The pages
 * (site/pages/connexion…, compte…) call the same use cases. The customer is
 * known by the session cookie; every change must come from the site's own
 * origin (api-auth.ts). Every answer is personal: private, no-store.
 */
import { Hono } from 'hono';
import { describeRoute, resolver } from 'hono-openapi';
import * as v from 'valibot';
import { database } from '../env';
import { personal } from '../http/headers';
import { invalidRequest, Problem } from '../http/problem';
import { validate } from '../http/validate';
import { ProblemSchema } from '../locations/api-schema';
import { deleteAccount, exportAccount, signOut } from './account';
import { customerOnly, requireSameOrigin, type CustomerEnv } from './api-auth';
import { favouritesOf } from './favourites';
import { historyOf } from './history';
import { CUSTOMER_COOKIE_CLEARED } from './sessions';
import { isAttemptId, requestCode, verifyCode } from './sign-in';

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: resolver(ProblemSchema) } } });
const json = (description: string, schema: v.GenericSchema) => ({ description, content: { 'application/json': { schema: resolver(schema) } } });

const CodeRequestBody = v.strictObject({ email: v.pipe(v.string('adresse électronique attendue (texte)'), v.maxLength(254, 'adresse électronique trop longue (254 caractères au plus)')) });
const CodeCheckBody = v.strictObject({
  attempt: v.pipe(v.string('identifiant de tentative attendu (texte)'), v.check((text: string) => isAttemptId(text), 'identifiant de tentative mal formé : celui renvoyé par POST /api/v1/account/sign-in/codes')),
  code: v.pipe(v.string('code attendu (texte de 6 chiffres)'), v.maxLength(12, 'code trop long')),
});
const SignOutBody = v.optional(v.strictObject({ everywhere: v.optional(v.boolean('everywhere : true ou false'), false) }), {});
const AttemptSchema = v.object({ attempt: v.string(), expires_at: v.string() });
const AccountSchema = v.object({ email: v.string(), name: v.nullable(v.string()) });

/** Sign-in calls also come from the site only: no other site may make a browser ask for codes. */
const sameOriginOnly = async (c: { req: { method: string; header(name: string): string | undefined } }, next: () => Promise<void>) => {
  requireSameOrigin(c.req.method, c.req.header('origin'));
  await next();
};

export const accountRoutes = new Hono<CustomerEnv>()
  .post(
    '/sign-in/codes',
    describeRoute({
      tags: ['Account'],
      summary: 'Recevoir un code de connexion par courriel',
      description: 'Sends a 6-digit code (10 minutes, 5 attempts) to the address. The answer is the same whether or not the address has an account.',
      responses: {
        202: json('The code is on its way; `attempt` goes with it to POST /sign-in', AttemptSchema),
        400: problem('Malformed address'), 403: problem('Not called from the site’s own origin'), 429: problem('Too many codes for this address or client'),
      },
    }),
    sameOriginOnly,
    validate('json', CodeRequestBody),
    async (c) => {
      const result = await requestCode(database(), { email: c.req.valid('json').email, clientIp: c.req.header('cf-connecting-ip'), now: new Date() });
      if (!result.ok) {
        if (result.problem === 'rate_limited') throw new Problem('too-many-requests', 'Trop de codes demandés pour cette adresse ou depuis ce client : réessayez dans une heure.', [], { 'retry-after': '3600' });
        throw invalidRequest([{ name: 'email', reason: result.reason }]);
      }
      const answer = c.json({ attempt: result.attemptId, expires_at: result.expiresAt }, 202);
      personal(answer.headers);
      return answer;
    },
  )
  .post(
    '/sign-in',
    describeRoute({
      tags: ['Account'],
      summary: 'Se connecter avec le code reçu',
      description: 'Checks the code of an attempt. Success sets the session cookie (`__Host-guichet-session`) and creates the account on its first sign-in.',
      responses: {
        200: json('Signed in', v.object({ signed_in: v.boolean(), account_created: v.boolean() })),
        400: problem('Malformed code or attempt'), 401: problem('Wrong code, or no live attempt (expired, used, out of guesses)'), 403: problem('Not called from the site’s own origin'),
      },
    }),
    sameOriginOnly,
    validate('json', CodeCheckBody),
    async (c) => {
      const body = c.req.valid('json');
      const result = await verifyCode(database(), { attemptId: body.attempt, code: body.code, cookieHeader: c.req.header('cookie'), now: new Date() });
      if (!result.ok) {
        if (result.problem === 'invalid_code') throw invalidRequest([{ name: 'code', reason: result.reason }]);
        if (result.problem === 'wrong_code') throw new Problem('unauthorized', `Code incorrect : encore ${result.guessesLeft} essai(s) avec ce code.`);
        throw new Problem('unauthorized', 'Ce code n’est plus valable (expiré, déjà utilisé ou 5 essais faits) : demandez-en un nouveau.');
      }
      const answer = c.json({ signed_in: true, account_created: result.created });
      for (const cookie of result.cookies) answer.headers.append('set-cookie', cookie);
      personal(answer.headers);
      return answer;
    },
  )
  .get(
    '/',
    describeRoute({
      tags: ['Account'], summary: 'Mon compte',
      responses: { 200: json('The signed-in customer’s account', AccountSchema), 401: problem('Not signed in') },
    }),
    customerOnly,
    async (c) => {
      const { customer } = c.get('session');
      const favourites = await favouritesOf(database(), customer.id);
      return c.json({
        email: customer.email, name: customer.name, phone: customer.phone, addresses: customer.addresses,
        notification_preferences: { channels: customer.channels, quiet_hours: { start: customer.quietStart, end: customer.quietEnd, time_zone: customer.timeZone } },
        favourite_offices: favourites.map((f) => ({ id: f.locationId, name: f.name, commune: f.commune, path: f.href })),
        created_at: customer.createdAt,
      });
    },
  )
  .get(
    '/history',
    describeRoute({ tags: ['Account'], summary: 'Historique (site et guichets)', responses: { 200: { description: 'Newest first' }, 401: problem('Not signed in') } }),
    customerOnly,
    async (c) => {
      const items = await historyOf(database(), c.get('session').customer.id);
      return c.json({ items: items.map((h) => ({ at: h.at, what: h.label, kind: h.kind, where: h.where, channel: h.channel, location_id: h.locationId, detail: h.detail })) });
    },
  )
  .post(
    '/export',
    describeRoute({ tags: ['Account'], summary: 'Exporter toutes mes données (JSON)', responses: { 200: { description: 'Everything held about the customer, as a JSON file' }, 401: problem('Not signed in'), 403: problem('Not called from the site’s own origin') } }),
    customerOnly,
    async (c) => {
      const data = await exportAccount(database(), c.get('session').customer, new Date());
      return c.body(JSON.stringify(data, null, 2), 200, {
        'content-type': 'application/json; charset=utf-8',
        'content-disposition': 'attachment; filename="guichet-mes-donnees.json"',
      });
    },
  )
  .post(
    '/sign-out',
    describeRoute({ tags: ['Account'], summary: 'Se déconnecter (cet appareil, ou tous avec everywhere)', responses: { 204: { description: 'Signed out; the cookie is cleared' }, 401: problem('Not signed in'), 403: problem('Not called from the site’s own origin') } }),
    customerOnly,
    async (c) => {
      const session = c.get('session');
      // The body is optional: none signs out this device.
      const text = await c.req.text();
      let raw: unknown = {};
      try {
        raw = text.trim() ? JSON.parse(text) : {};
      } catch {
        throw invalidRequest([{ name: 'body', reason: 'corps de requête illisible : JSON attendu' }]);
      }
      const body = v.safeParse(SignOutBody, raw);
      if (!body.success) throw invalidRequest([{ name: 'everywhere', reason: body.issues[0].message }]);
      // The Origin check (customerOnly) stands in for the form's CSRF token here.
      const result = await signOut(database(), session, { csrf: session.csrfToken, everywhere: body.output.everywhere, now: new Date() });
      if (!result.ok) throw new Problem('forbidden', 'Déconnexion refusée.');
      c.header('set-cookie', result.cookie);
      return c.body(null, 204);
    },
  )
  .delete(
    '/',
    describeRoute({ tags: ['Account'], summary: 'Supprimer mon compte et toutes ses données', responses: { 204: { description: 'Deleted, at once and completely' }, 401: problem('Not signed in'), 403: problem('Not called from the site’s own origin') } }),
    customerOnly,
    async (c) => {
      await deleteAccount(database(), c.get('session').customer);
      c.header('set-cookie', CUSTOMER_COOKIE_CLEARED);
      return c.body(null, 204);
    },
  );
