/**
 * @module
 * The IndexNow key file, and the publication journal (staff only): counts,
 * the pushes set aside (`failed`) and the latest ones. In a dry run, the
 * pending pushes are exactly what will be sent once it is off.
 */
import { Hono } from 'hono';
import { describeRoute, resolver } from 'hono-openapi';
import { bindings, database } from '../env';
import { PRIVATE_NO_STORE } from '../http/headers';
import { Problem } from '../http/problem';
import { ProblemSchema } from '../locations/api-schema';
import { requireStaff } from '../staff/auth';
import { publicationJournal, pushPayload } from './job';
import { configuredPublication, type PublicationConfig } from './targets';

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: resolver(ProblemSchema) } } });
const config = () => configuredPublication(bindings());

function present(p: Awaited<ReturnType<typeof publicationJournal>>['recent'][number], current: PublicationConfig) {
  return {
    id: p.id, target: p.target, status: p.status, attempts: p.attempts, location_ids: p.locationIds,
    created_at: p.createdAt, sent_at: p.sentAt, next_attempt_at: p.nextAttemptAt, last_error: p.lastError,
    payload: pushPayload(p, current),
  };
}

export const publicationRoutes = new Hono()
  .get('/:file{[A-Za-z0-9-]{8,128}\\.txt}',
    // Left out of the OpenAPI document: it is IndexNow's ownership proof for search
    // engines, not part of the API, and its one valid name is the deployment's key.
    describeRoute({ hide: true }),
    (c) => {
      const { indexNowKey } = config();
      if (!indexNowKey || c.req.param('file') !== `${indexNowKey}.txt`) throw new Problem('not-found', 'Fichier inconnu.');
      return c.text(indexNowKey);
    })
  .get('/api/v1/hours/publication',
    describeRoute({
      tags: ['Hours (staff)'],
      security: [{ bearer: [] }],
      summary: 'Journal de publication vers IndexNow et Google',
      description:
        'Network-wide `hours` tokens only. `counts` by status; `failed`: pushes a target refused for good (a 4xx other than 408 and 429), set aside and never retried; ' +
        '`pushes`: the latest 50. While `dry_run` is true nothing is sent: `pending` pushes are what will be sent once it is off. ' +
        'IndexNow payloads are shown as they would be sent now (the key is read when sending).',
      responses: { 200: { description: 'The publication journal' }, 401: problem('No valid token'), 403: problem('Not a network-wide hours token') },
    }),
    async (c) => {
      const db = database();
      const staff = await requireStaff(db, c.req.header('authorization'), new Date());
      if (staff.role !== 'hours' || staff.scopeType !== 'network') {
        throw new Problem('forbidden', 'Le journal de publication est réservé aux jetons « hours » de portée nationale.');
      }
      const current = config();
      const journal = await publicationJournal(db);
      c.header('cache-control', PRIVATE_NO_STORE);
      return c.json({
        dry_run: current.dryRun,
        counts: journal.counts,
        failed: journal.failed.map((p) => present(p, current)),
        pushes: journal.recent.map((p) => present(p, current)),
      });
    });
