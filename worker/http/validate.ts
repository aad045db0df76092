/**
 * @module
 * Request validation with valibot schemas that also describe the API in
 * OpenAPI (through hono-openapi): one schema, two uses. A failure becomes a
 * 400 problem that names every field at fault, with its reason in French.
 *
 * Query parameters are strict everywhere under /api: a route that declares
 * none refuses any (see {@link strictQuery}), one that declares a schema
 * refuses the others through its `strictObject`.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { MiddlewareHandler, ValidationTargets } from 'hono';
import { matchedRoutes } from 'hono/route';
import { validator } from 'hono-openapi';
import { invalidRequest } from './problem';

/** Marks the middlewares that validate a query, so {@link strictQuery} knows a route declares its parameters. */
const VALIDATES_QUERY = Symbol('validates-query');

/** valibot's issue details (its Standard Schema issues carry them). */
interface Detailed extends StandardSchemaV1.Issue {
  kind?: string;
  type?: string;
  expected?: string | null;
  received?: string;
}

const UNKNOWN: Partial<Record<keyof ValidationTargets, string>> = {
  query: 'paramètre inconnu',
  json: 'champ inconnu',
  form: 'champ inconnu',
  param: 'segment inconnu',
};

const TYPES: Record<string, string> = {
  string: 'texte', number: 'nombre', boolean: 'booléen (true ou false)', Object: 'objet', Array: 'liste', null: 'null', undefined: 'absent',
};

/** The schema's own (French) message; valibot's English defaults ("Invalid …") become French. */
function reason(issue: Detailed, target: keyof ValidationTargets): string {
  if (!issue.message.startsWith('Invalid ')) return issue.message;
  if (issue.expected === 'never') return UNKNOWN[target] ?? 'inconnu';
  if (issue.received === 'undefined') return 'obligatoire';
  if (issue.kind === 'schema' && issue.expected) {
    return `${issue.expected.split(' | ').map((t) => TYPES[t] ?? t).join(' ou ')} attendu`;
  }
  return 'valeur invalide';
}

function fieldName(issue: StandardSchemaV1.Issue, fallback: string): string {
  const first = issue.path?.[0];
  if (first === undefined) return fallback;
  return String(typeof first === 'object' ? first.key : first);
}

export function validate<S extends StandardSchemaV1, T extends keyof ValidationTargets>(target: T, schema: S) {
  const middleware = validator(target, schema, (result) => {
    if (!result.success) {
      throw invalidRequest(
        result.error.map((issue) => ({ name: fieldName(issue, target), reason: reason(issue as Detailed, target) })),
      );
    }
  });
  if (target === 'query') Object.assign(middleware, { [VALIDATES_QUERY]: true });
  return middleware;
}

/**
 * Refuses query parameters on API routes that declare none (a typo, or a
 * parameter another route takes), as docs/api.md promises: never silently
 * ignored.
 */
export const strictQuery = (): MiddlewareHandler => async (c, next) => {
  const names = [...new Set(new URL(c.req.url).searchParams.keys())];
  if (names.length === 0) return next();
  const routes = matchedRoutes(c);
  // No route of this method here: the 404 or 405 that follows says more than a 400 would.
  if (!routes.some((route) => route.method !== 'ALL')) return next();
  if (routes.some((route) => Reflect.get(route.handler, VALIDATES_QUERY) === true)) return next();
  throw invalidRequest(names.map((name) => ({ name, reason: 'paramètre inconnu : cette adresse n’en admet aucun' })));
};
