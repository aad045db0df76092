/**
 * @module
 * The IndexNow key file, and what the publication job recorded (staff only):
 * in dry-run mode, that is exactly what would have been sent.
 */
import { Hono } from 'hono';
import { bindings, database, siteOrigin } from '../env';
import { Problem } from '../http/problem';
import { requireStaff } from '../staff/auth';
import { recentPushes } from './job';
import { publicationConfig } from './targets';

export const publicationRoutes = new Hono()
  .get('/:file{[A-Za-z0-9-]{8,128}\\.txt}', (c) => {
    const config = publicationConfig(bindings() as unknown as Record<string, unknown>, siteOrigin(c.req.raw));
    if (!config.indexNowKey || c.req.param('file') !== `${config.indexNowKey}.txt`) throw new Problem('not-found', 'Fichier inconnu.');
    return c.text(config.indexNowKey);
  })
  .get('/api/v1/hours/publication', async (c) => {
    const db = database();
    const staff = await requireStaff(db, c.req.header('authorization'), new Date());
    if (staff.role !== 'hours' || staff.scopeType !== 'network') {
      throw new Problem('forbidden', 'Le journal de publication est réservé aux jetons « hours » de portée nationale.');
    }
    const config = publicationConfig(bindings() as unknown as Record<string, unknown>, siteOrigin(c.req.raw));
    c.header('cache-control', 'private, no-store');
    return c.json({
      dry_run: config.dryRun,
      pushes: (await recentPushes(db)).map((p) => ({
        id: p.id, target: p.target, status: p.status, attempts: p.attempts, location_ids: p.locationIds,
        created_at: p.createdAt, sent_at: p.sentAt, next_attempt_at: p.nextAttemptAt, last_error: p.lastError,
        payload: JSON.parse(p.payload),
      })),
    });
  });
