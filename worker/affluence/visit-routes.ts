/**
 * @module
 * `POST /api/v1/offices/{id}/visits`: the counter's ticket events (arrival,
 * called, served), the data of the affluence histogram and the live level.
 * Two ways in, to the same use case (ingest.ts):
 * - a queue-management system, signing each request as the carriers do
 *   (`Guichet-Signature: k=<qms id>,t=…,v1=…` over the raw body,
 *   worker/parcels/signature.ts), bound to one office;
 * - a staff action: a bearer token with the `counter` role whose scope
 *   covers the office (recorded as `staff:<token id>`).
 * The batch is all or nothing (visits.ts says the rules). Tickets are
 * numbers on slips: nothing here names a person.
 */
import { Hono } from 'hono';
import { type DescribeRouteOptions, describeRoute, resolver } from 'hono-openapi';
import * as v from 'valibot';
import type { LocationRow } from '../../db/schema';
import { VISIT_EVENT_KINDS } from '../../db/vocabulary';
import { OfficeParams } from '../bookings/api-schema';
import { bindings, database } from '../env';
import { sha256 } from '../http/crypto';
import { PRIVATE_NO_STORE } from '../http/headers';
import { invalidRequest, Problem } from '../http/problem';
import { ProblemSchema } from '../locations/api-schema';
import { findLocation } from '../locations/queries';
import { carrierKey } from '../parcels/carriers';
import { parseSignatureHeader, SIGNATURE_HEADER, signatureMatches, timestampProblem } from '../parcels/signature';
import { requireStaff } from '../staff/auth';
import { inScope, type Staff } from '../staff/tokens';
import { recordVisits } from './ingest';
import { activeVisitSource, visitSourceSecret } from './sources';
import { MAX_VISIT_EVENTS, refusalStatus, TICKET_PATTERN, type VisitProblem, VisitsBody } from './visits';

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: resolver(ProblemSchema) } } });

const SIGNED_CHALLENGE = { 'www-authenticate': 'Guichet-Signature' };
const refuseSigned = (reason: string) => new Problem('unauthorized', `Requête de borne refusée : ${reason}.`, [], SIGNED_CHALLENGE);

/** Who posts: a signed source (bound to its office) or a counter clerk, with the `source` the events keep. */
type VisitCaller = { kind: 'feed'; source: string; officeId: string; replayDigest: string } | { kind: 'staff'; source: string; staff: Staff };

async function signedCaller(raw: Uint8Array<ArrayBuffer>, header: string | undefined, now: Date): Promise<VisitCaller> {
  const parsed = parseSignatureHeader(header);
  if (!parsed.ok) throw refuseSigned(parsed.reason);
  const stale = timestampProblem(parsed.parts.timestamp, now);
  if (stale) throw refuseSigned(stale);
  const db = database();
  // The header's `k` names the signer: a carrier there, a queue system here.
  const source = await activeVisitSource(db, parsed.parts.carrierId);
  const key = await carrierKey(db, bindings().CARRIER_KEY);
  // Same answer for an unknown or revoked source and a wrong signature: nothing to learn by probing ids.
  if (!source || !(await signatureMatches(await visitSourceSecret(key, source), parsed.parts, raw))) throw refuseSigned('signature invalide ou borne inconnue');
  return { kind: 'feed', source: source.id, officeId: source.locationId, replayDigest: await sha256(`${source.id}|${parsed.parts.timestamp}|${parsed.parts.digest}`) };
}

/** 403 unless the caller may post this office's visits. */
function mayPost(caller: VisitCaller, office: LocationRow): void {
  if (caller.kind === 'feed') {
    if (caller.officeId !== office.id) throw new Problem('forbidden', `Cette borne est rattachée à un autre bureau (${caller.officeId}) : elle ne peut pas déclarer les visites du bureau ${office.id}.`);
    return;
  }
  // Recording tickets is the counter's work; `hours` and `exceptions` are about timetables.
  if (caller.staff.role !== 'counter') throw new Problem('forbidden', 'Votre jeton ne permet pas d’enregistrer des visites : il faut le rôle counter.');
  if (!inScope(caller.staff, office)) throw new Problem('forbidden', 'Ce bureau est hors du périmètre de votre jeton.');
}

/** Each bad event under its index (a duplicate's or out-of-order event's reason names its ticket and day). */
const paramsOf = (problems: readonly VisitProblem[]) => problems.map((p) => ({ name: `events[${p.index}]`, reason: p.reason }));

const FAULT_WORDS: Record<VisitProblem['fault'], [string, string]> = {
  invalid: ['mal formé ou hors de la fenêtre de 24 h', 'mal formés ou hors de la fenêtre de 24 h'],
  duplicate: ['doublon (un événement de chaque sorte par ticket et par jour)', 'doublons (un événement de chaque sorte par ticket et par jour)'],
  out_of_order: ['hors d’ordre (arrival, puis called, puis served)', 'hors d’ordre (arrival, puis called, puis served)'],
};

/** The refusal of a whole batch: its status from the worst fault, every bad event listed (`invalid_params` and `events`). */
function refusal(problems: readonly VisitProblem[]): Problem {
  const counts = (['invalid', 'duplicate', 'out_of_order'] as const)
    .map((fault) => [fault, new Set(problems.filter((p) => p.fault === fault).map((p) => p.index)).size] as const)
    .filter(([, n]) => n > 0)
    .map(([fault, n]) => `${n} ${FAULT_WORDS[fault][n > 1 ? 1 : 0]}`);
  const detail = `Requête refusée, rien n’a été enregistré : ${counts.join(', ')}. Chaque événement en cause est nommé par son rang dans events.`;
  const members = { events: problems.map((p) => ({ index: p.index, ticket: p.ticket, reason: p.reason })) };
  const type = { 400: 'invalid-request', 409: 'conflict', 422: 'unprocessable' } as const;
  return new Problem(type[refusalStatus(problems)], detail, paramsOf(problems), {}, members);
}

const VISITS_BODY: DescribeRouteOptions['requestBody'] = {
  required: true,
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['events'],
        properties: {
          events: {
            type: 'array', minItems: 1, maxItems: MAX_VISIT_EVENTS,
            items: {
              type: 'object',
              required: ['ticket', 'kind', 'at'],
              properties: {
                ticket: { type: 'string', pattern: TICKET_PATTERN.source, example: 'A042' },
                kind: { type: 'string', enum: [...VISIT_EVENT_KINDS] },
                at: { type: 'string', format: 'date-time', example: '2026-11-24T10:02:00+01:00' },
              },
            },
          },
        },
      },
    },
  },
};

const EventsAnswerSchema = v.object({ accepted: v.pipe(v.number(), v.description('Events stored (all of the request)')) });

export const officeVisitRoutes = new Hono()
  .post('/:id/visits',
    describeRoute({
      tags: ['Pro services (staff)'],
      summary: 'Enregistrer les tickets du guichet (arrivée, appel, service)',
      security: [{ bearer: [] }],
      description: `\`{ "events": [ { "ticket": "A042", "kind": "arrival" | "called" | "served", "at": "2026-11-24T10:02:00+01:00" } ] }\`, 1 to ${MAX_VISIT_EVENTS} events. `
        + 'Either signed by the office’s queue-management system (`Guichet-Signature: k=<qms id>,t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "t.body")>` over the raw body, as the carriers sign) '
        + 'or sent by staff with a `counter` bearer token whose scope covers the office. '
        + '`at` is at most 2 minutes ahead and 24 hours old; the ticket’s service day is the office’s local date of `at`. Per ticket and day: one event of each kind, in the order arrival, called, served, in sequence and in time (`served` may follow `arrival` directly). '
        + 'All or nothing: one bad event refuses the request, and the problem lists every bad event (`events`: index, ticket, reason). Tickets are not people: no personal data.',
      requestBody: VISITS_BODY,
      responses: {
        201: { description: 'Every event stored', content: { 'application/json': { schema: resolver(EventsAnswerSchema) } } },
        400: problem('Body not `{ "events": [ … ] }` with 1 to 500 events, or events malformed or outside the time window (each named)'),
        401: problem('No signature nor token; malformed, forged or stale signature; unknown or revoked source; unknown token'),
        403: problem('A source bound to another office; a token without the counter role or whose scope misses the office'),
        404: problem('Unknown office'),
        409: problem('A signed request already received (replay), or duplicate events (each named)'),
        413: problem('Body over 64 KiB'),
        422: problem('Events out of order (each named)'),
      },
    }),
    async (c) => {
      // The signature covers the raw bytes: read them before anything decodes them.
      const raw = new Uint8Array(await c.req.arrayBuffer());
      const now = new Date();
      const signature = c.req.header(SIGNATURE_HEADER);
      let caller: VisitCaller;
      if (signature !== undefined) caller = await signedCaller(raw, signature, now);
      else if (c.req.header('authorization') !== undefined) {
        const staff = await requireStaff(database(), c.req.header('authorization'), now);
        caller = { kind: 'staff', source: `staff:${staff.id}`, staff };
      } else {
        throw new Problem('unauthorized', 'Requête non authentifiée : signez-la (Guichet-Signature, borne de gestion de file) ou présentez un jeton du guichet (Authorization: Bearer <jeton>).', [], SIGNED_CHALLENGE);
      }

      const param = v.safeParse(OfficeParams, { id: c.req.param('id') });
      if (!param.success) throw invalidRequest([{ name: 'id', reason: param.issues[0]!.message }]);
      const db = database();
      const office = await findLocation(db, param.output.id);
      if (!office) throw new Problem('not-found', `Aucun bureau n’a l’identifiant ${param.output.id}.`);
      mayPost(caller, office);

      let json: unknown;
      try {
        json = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(raw));
      } catch {
        throw invalidRequest([{ name: 'body', reason: 'corps de requête illisible : JSON attendu' }]);
      }
      const body = v.safeParse(VisitsBody, json);
      if (!body.success) {
        throw invalidRequest(body.issues.map((issue) => ({
          name: issue.path?.map((p) => String(p.key)).join('.') || 'body',
          reason: issue.expected === 'never' ? 'champ inconnu' : issue.message.startsWith('Invalid ') ? 'objet { "events": [ … ] } attendu' : issue.message,
        })));
      }

      const outcome = await recordVisits(db, {
        office: { id: office.id, timeZone: office.timeZone }, source: caller.source, events: body.output.events,
        replayDigest: caller.kind === 'feed' ? caller.replayDigest : null, now,
      });
      if (!outcome.ok) {
        if (outcome.problem === 'replay') throw new Problem('conflict', 'Cette requête signée a déjà été reçue : une nouvelle requête porte un nouvel horodatage et sa signature.');
        throw refusal(outcome.problems);
      }
      c.header('cache-control', PRIVATE_NO_STORE);
      return c.json({ accepted: outcome.accepted }, 201);
    });
