/**
 * @module
 * The professional profile over HTTP (`/api/v1/account/pro`): read it, mark
 * the signed-in account professional (`PUT` {siret, company}), or remove
 * the mark. Personal answers (`private, no-store`), changes from the site's
 * own origin (`customerOnly`). The use cases are ./profile.ts.
 */
import { Hono } from 'hono';
import { describeRoute, resolver } from 'hono-openapi';
import * as v from 'valibot';
import { customerOnly, type CustomerEnv } from '../accounts/api-auth';
import { database } from '../env';
import { invalidRequest, methodNotAllowed, Problem } from '../http/problem';
import { validate } from '../http/validate';
import { ProblemSchema } from '../locations/api-schema';
import { COMPANY_MAX_LENGTH, type ProProfile, proProfileOf, removeProProfile, saveProProfile } from './profile';

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: resolver(ProblemSchema) } } });

const ProBody = v.strictObject({
  siret: v.pipe(v.string('siret : texte attendu (14 chiffres)'), v.maxLength(40, 'siret : 14 chiffres attendus')),
  company: v.pipe(v.string('company : texte attendu'), v.maxLength(COMPANY_MAX_LENGTH * 2, `company : ${COMPANY_MAX_LENGTH} caractères au plus`)),
});

const ProSchema = v.object({
  siret: v.pipe(v.string(), v.description('14 digits, spaces removed')),
  siren: v.pipe(v.string(), v.description('The first 9 digits: the company')),
  company: v.string(),
  created_at: v.string(),
  updated_at: v.string(),
});

const presentPro = (profile: ProProfile) => ({
  siret: profile.siret,
  siren: profile.siret.slice(0, 9),
  company: profile.company,
  created_at: profile.createdAt.toISOString(),
  updated_at: profile.updatedAt.toISOString(),
});

const NOT_PRO = 'Ce compte n’est pas un compte professionnel : enregistrez d’abord un SIRET (PUT /api/v1/account/pro).';

export const accountProRoutes = new Hono<CustomerEnv>()
  .get('/',
    describeRoute({
      tags: ['Account'], summary: 'Mon compte professionnel',
      responses: { 200: { description: 'The profile', content: { 'application/json': { schema: resolver(ProSchema) } } }, 401: problem('Not signed in'), 404: problem('Not a professional account') },
    }),
    customerOnly,
    async (c) => {
      const profile = await proProfileOf(database(), c.get('session').customer.id);
      if (!profile) throw new Problem('not-found', NOT_PRO);
      return c.json(presentPro(profile));
    })
  .put('/',
    describeRoute({
      tags: ['Account'], summary: 'Déclarer mon compte professionnel (SIRET)',
      description: 'Marks the signed-in account professional. `siret`: 14 digits (spaces allowed), checked by its Luhn key '
        + '(La Poste’s own establishments, SIREN 356 000 000: digit sum a multiple of 5) and its SIREN’s own Luhn key; zeros are refused. `company`: the company’s name. '
        + 'The status is declared, not verified against the Sirene register. Deposit slots are for professional accounts only.',
      responses: {
        200: { description: 'Changed', content: { 'application/json': { schema: resolver(ProSchema) } } },
        201: { description: 'The account is now professional', content: { 'application/json': { schema: resolver(ProSchema) } } },
        400: problem('Invalid SIRET or company name (named in `invalid_params`)'), 401: problem('Not signed in'), 403: problem('Not called from the site’s own origin'),
      },
    }),
    customerOnly,
    validate('json', ProBody),
    async (c) => {
      const body = c.req.valid('json');
      const result = await saveProProfile(database(), { customerId: c.get('session').customer.id, siret: body.siret, company: body.company, now: new Date() });
      if (!result.ok) throw invalidRequest([{ name: result.field, reason: result.reason }]);
      return c.json(presentPro(result.profile), result.created ? 201 : 200);
    })
  .delete('/',
    describeRoute({
      tags: ['Account'], summary: 'Retirer le statut professionnel',
      description: 'The account’s bookings stay. Removing it again is a 204 too.',
      responses: { 204: { description: 'Removed' }, 401: problem('Not signed in'), 403: problem('Not called from the site’s own origin') },
    }),
    customerOnly,
    async (c) => {
      await removeProProfile(database(), { customerId: c.get('session').customer.id, now: new Date() });
      return c.body(null, 204);
    })
  .all('/', methodNotAllowed('GET, HEAD, PUT, DELETE'));
