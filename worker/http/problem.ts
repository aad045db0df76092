/**
 * @module
 * Errors as RFC 9457 problem details (`application/problem+json`).
 * Handlers throw a {@link Problem}; the app's error handler renders it.
 * Each `type` is a stable URI clients can switch on (see docs/api.md).
 */
import { NO_STORE } from './headers';

export interface InvalidParam {
  /** The parameter or field at fault, e.g. `limit` or `cursor`. */
  name: string;
  reason: string;
}

export const PROBLEM_TYPES = {
  'invalid-request': { status: 400, title: 'La requête contient des paramètres invalides.' },
  unauthorized: { status: 401, title: 'Authentification requise.' },
  forbidden: { status: 403, title: 'Action non autorisée pour ce jeton.' },
  'not-found': { status: 404, title: 'Ressource introuvable.' },
  'method-not-allowed': { status: 405, title: 'Méthode non autorisée sur cette ressource.' },
  conflict: { status: 409, title: 'La requête contredit l’état de la ressource.' },
  'precondition-failed': { status: 412, title: 'La ressource a changé depuis votre lecture.' },
  'payload-too-large': { status: 413, title: 'Corps de requête trop volumineux.' },
  unprocessable: { status: 422, title: 'La requête est bien formée mais ne peut pas s’appliquer à l’état enregistré.' },
  'precondition-required': { status: 428, title: 'En-tête If-Match requis.' },
  'too-many-requests': { status: 429, title: 'Trop de requêtes.' },
  internal: { status: 500, title: 'Erreur interne.' },
} as const;
export type ProblemType = keyof typeof PROBLEM_TYPES;

export const PROBLEM_BASE = '/api/problems/';

export class Problem extends Error {
  constructor(
    readonly type: ProblemType,
    readonly detail: string,
    readonly invalidParams: InvalidParam[] = [],
    readonly headers: Record<string, string> = {},
    /** RFC 9457 extension members the client can act on (`alternatives`, `current_version`…); never personal data. */
    readonly members: Record<string, unknown> = {},
  ) {
    super(detail);
  }

  get status(): number {
    return PROBLEM_TYPES[this.type].status;
  }

  toResponse(instance?: string, headers: Record<string, string> = {}): Response {
    const body = {
      type: `${PROBLEM_BASE}${this.type}`,
      title: PROBLEM_TYPES[this.type].title,
      status: this.status,
      detail: this.detail,
      ...(instance ? { instance } : {}),
      ...(this.invalidParams.length ? { invalid_params: this.invalidParams } : {}),
      ...this.members,
    };
    return new Response(JSON.stringify(body), {
      status: this.status,
      headers: { 'content-type': 'application/problem+json; charset=utf-8', 'cache-control': NO_STORE, ...this.headers, ...headers },
    });
  }
}

/** A 400 naming each parameter at fault. */
export function invalidRequest(params: InvalidParam[]): Problem {
  const names = [...new Set(params.map((p) => p.name))];
  return new Problem('invalid-request', `Paramètre invalide : ${names.join(', ')}.`, params);
}

/** Handler for the other methods of a resource: 405 with the `Allow` header. */
export const methodNotAllowed = (allow: string) => (c: { req: { method: string; url: string } }) =>
  new Problem('method-not-allowed', `Méthode ${c.req.method} non autorisée ; méthodes admises : ${allow}.`).toResponse(
    new URL(c.req.url).pathname,
    { allow },
  );
