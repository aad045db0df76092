/**
 * @module
 * Passkeys (WebAuthn): adding one to an account, signing in with one. The
 * browser's script (site/public/passkeys.js) asks for options, hands them
 * to `navigator.credentials`, and posts the answer back as JSON
 * (`PublicKeyCredential.toJSON()` or the same shape built by hand).
 *
 * Adding, listing and removing need the session (`customerOnly`). Signing
 * in is open to anyone, so it must come from Guichet's own pages (Origin)
 * and is counted against the client's sign-in limit, shared with the
 * emailed codes.
 */
import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import { describeRoute, resolver } from 'hono-openapi';
import * as v from 'valibot';
import { bindings, database, siteOrigin } from '../env';
import { decodeBase64url } from '../http/base64url';
import { personal } from '../http/headers';
import { methodNotAllowed, Problem } from '../http/problem';
import { validate } from '../http/validate';
import { ProblemSchema } from '../locations/api-schema';
import { type CustomerEnv, customerOnly, requireSameOrigin } from './api-auth';
import { finishRegistration, finishSignIn, type PasskeyItem, passkeysOf, registrationOptions, removePasskey, signInOptions } from './passkeys';
import { MAX_CREDENTIAL_ID_BYTES } from './webauthn';

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: resolver(ProblemSchema) } } });

/** A base64url field, decoded; `maxBytes` bounds what an attacker can make us parse. */
const bytes = (what: string, maxBytes: number) =>
  v.pipe(
    v.string(`${what} : texte base64url attendu`),
    v.maxLength(Math.ceil((maxBytes * 4) / 3), `${what} : trop long`),
    v.check((text) => decodeBase64url(text) !== undefined, `${what} : base64url sans remplissage attendu`),
    v.transform((text) => decodeBase64url(text)!),
  );

const CREDENTIAL_ID = v.pipe(
  v.string('identifiant de clé : texte attendu'),
  v.nonEmpty('identifiant de clé manquant'),
  v.maxLength(Math.ceil((MAX_CREDENTIAL_ID_BYTES * 4) / 3), 'identifiant de clé trop long'),
  v.check((text) => decodeBase64url(text) !== undefined, 'identifiant de clé : base64url attendu'),
);

/** The fields every answer carries; browsers add others (transports, public key…), which are ignored. */
const credential = <T extends v.ObjectEntries>(response: T) =>
  v.pipe(
    v.looseObject({
      id: CREDENTIAL_ID,
      rawId: bytes('rawId', MAX_CREDENTIAL_ID_BYTES),
      type: v.literal('public-key', 'type : « public-key » attendu'),
      response: v.looseObject(response),
    }),
    v.forward(v.check((c) => decodeBase64url(c.id)!.length === c.rawId.length && decodeBase64url(c.id)!.every((b, i) => b === c.rawId[i]), 'id : doit être rawId'), ['id']),
  );

const RegistrationBody = credential({
  clientDataJSON: bytes('clientDataJSON', 4096),
  attestationObject: bytes('attestationObject', 16384),
});

const SignInBody = credential({
  clientDataJSON: bytes('clientDataJSON', 4096),
  authenticatorData: bytes('authenticatorData', 4096),
  signature: bytes('signature', 1024),
  userHandle: v.optional(v.nullable(bytes('userHandle', 64)), null),
});

const IdParam = v.object({ id: CREDENTIAL_ID });

const presentPasskey = (key: PasskeyItem) => ({ id: key.id, name: key.name, created_at: key.createdAt, last_used_at: key.lastUsedAt });

const SIGN_IN_LIMIT_PERIOD_S = 60;

/** The public sign-in calls: personal answers, from our pages only, within the client's sign-in limit. */
const signInCall = createMiddleware(async (c, next) => {
  try {
    requireSameOrigin(c.req.method, c.req.header('origin'));
    const limiter = bindings().SIGN_IN_LIMITER;
    const clientIp = c.req.header('cf-connecting-ip');
    // Without CF-Connecting-IP the call did not come through Cloudflare's edge (local runs): not counted.
    if (limiter && clientIp && !(await limiter.limit({ key: `sign-in:${clientIp}` })).success) {
      throw new Problem('too-many-requests', `Trop de tentatives de connexion depuis votre adresse : réessayez dans ${SIGN_IN_LIMIT_PERIOD_S} secondes.`, [], {
        'retry-after': String(SIGN_IN_LIMIT_PERIOD_S),
      });
    }
    await next();
  } finally {
    personal(c.res.headers);
  }
});

const EXPIRED = 'Demande de clé d’accès expirée ou déjà utilisée : recommencez.';
const REFUSED = 'Clé d’accès refusée : la vérification a échoué. Recommencez, ou connectez-vous avec un code reçu par courriel.';

export const passkeyRoutes = new Hono<CustomerEnv>()
  .get(
    '/',
    describeRoute({ tags: ['Accounts'], summary: 'Mes clés d’accès', responses: { 200: { description: 'passkeys: id, name, created_at, last_used_at' }, 401: problem('Not signed in') } }),
    customerOnly,
    async (c) => c.json({ passkeys: (await passkeysOf(database(), c.get('session').customer.id)).map(presentPasskey) }),
  )
  .post(
    '/registration/options',
    describeRoute({ tags: ['Accounts'], summary: 'Ajouter une clé d’accès : options pour navigator.credentials.create()', responses: { 200: { description: 'PublicKeyCredentialCreationOptionsJSON' }, 401: problem('Not signed in'), 403: problem('Not from Guichet’s pages') } }),
    customerOnly,
    async (c) => c.json(await registrationOptions(database(), c.get('session'), siteOrigin(), new Date())),
  )
  .post(
    '/registration',
    describeRoute({ tags: ['Accounts'], summary: 'Ajouter une clé d’accès : réponse du navigateur', responses: { 201: { description: 'The new passkey; next: the page to show' }, 400: problem('Bad shape, or too many passkeys'), 401: problem('Not signed in, expired challenge or refused answer'), 403: problem('Not from Guichet’s pages') } }),
    customerOnly,
    validate('json', RegistrationBody),
    async (c) => {
      const body = c.req.valid('json');
      const outcome = await finishRegistration(database(), c.get('session'), {
        rawId: body.rawId, clientDataJSON: body.response.clientDataJSON, attestationObject: body.response.attestationObject,
      }, siteOrigin(), new Date());
      if (!outcome.ok) {
        switch (outcome.problem) {
          case 'expired': throw new Problem('unauthorized', EXPIRED);
          case 'refused': throw new Problem('unauthorized', REFUSED);
          case 'already_registered': throw new Problem('invalid-request', 'Cette clé d’accès est déjà enregistrée.');
          case 'too_many': throw new Problem('invalid-request', 'Vous avez déjà 10 clés d’accès : supprimez-en une avant d’en ajouter une autre.');
        }
      }
      return c.json({ passkey: presentPasskey(outcome.passkey), next: '/compte/cles?ajoutee=1' }, 201);
    },
  )
  .delete(
    '/:id',
    describeRoute({ tags: ['Accounts'], summary: 'Supprimer une de mes clés d’accès', responses: { 204: { description: 'Removed' }, 401: problem('Not signed in'), 403: problem('Not from Guichet’s pages'), 404: problem('No such passkey on this account') } }),
    customerOnly,
    validate('param', IdParam),
    async (c) => {
      const removed = await removePasskey(database(), c.get('session').customer.id, c.req.valid('param').id, new Date());
      if (!removed) throw new Problem('not-found', 'Aucune clé d’accès de ce compte ne porte cet identifiant.');
      return c.body(null, 204);
    },
  )
  .post(
    '/sign-in/options',
    describeRoute({ tags: ['Accounts'], summary: 'Se connecter avec une clé d’accès : options pour navigator.credentials.get()', responses: { 200: { description: 'PublicKeyCredentialRequestOptionsJSON' }, 403: problem('Not from Guichet’s pages'), 429: problem('Too many sign-in attempts') } }),
    signInCall,
    async (c) => c.json(await signInOptions(database(), siteOrigin(), new Date())),
  )
  .post(
    '/sign-in',
    describeRoute({ tags: ['Accounts'], summary: 'Se connecter avec une clé d’accès : réponse du navigateur', responses: { 200: { description: 'Signed in (session cookie set); next: the page to show' }, 400: problem('Bad shape'), 401: problem('Unknown passkey, expired challenge or refused answer'), 403: problem('Not from Guichet’s pages'), 429: problem('Too many sign-in attempts') } }),
    signInCall,
    validate('json', SignInBody),
    async (c) => {
      const body = c.req.valid('json');
      const outcome = await finishSignIn(database(), { rawId: body.rawId, ...body.response }, {
        siteOrigin: siteOrigin(), cookieHeader: c.req.header('cookie'), now: new Date(),
      });
      if (!outcome.ok) {
        switch (outcome.problem) {
          case 'expired': throw new Problem('unauthorized', EXPIRED);
          case 'unknown_credential': throw new Problem('unauthorized', 'Clé d’accès inconnue : elle a peut-être été supprimée de votre compte. Connectez-vous avec un code reçu par courriel.');
          case 'refused': throw new Problem('unauthorized', REFUSED);
        }
      }
      c.header('set-cookie', outcome.cookie);
      return c.json({ next: '/compte' });
    },
  )
  .all('/', methodNotAllowed('GET, HEAD'))
  .all('/registration/options', methodNotAllowed('POST'))
  .all('/registration', methodNotAllowed('POST'))
  .all('/sign-in/options', methodNotAllowed('POST'))
  .all('/sign-in', methodNotAllowed('POST'))
  .all('/:id', methodNotAllowed('DELETE'));
