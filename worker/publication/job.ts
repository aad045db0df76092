/**
 * @module
 * The publication job (cron, every 15 minutes): takes the hours changes
 * since each target's cursor, records one push per payload, advances the
 * cursor in the same D1 batch (so a change is never skipped nor lost), then
 * sends what is due. A failed push stays pending and is retried with
 * exponential backoff; nothing is ever dropped.
 */
import { and, asc, desc, eq, gt, lte, max } from 'drizzle-orm';
import { hoursAudit, publicationCursors, publicationPushes } from '../../db/schema';
import type { Database } from '../database';
import { googleBusinessHours } from '../hours/google';
import { loadSchedule } from '../hours/store';
import { localParts } from '../hours/zoned-time';
import { listLocationsByIds } from '../locations/queries';
import { locationPath } from '../locations/present';
import { backoffMs, enabledTargets, indexNowBodies, type PublicationConfig, type TargetName } from './targets';

/** Changes read per target and run; the next run continues from the cursor. */
const CHANGES_PER_RUN = 20_000;
const SENDS_PER_RUN = 200;

export interface RunReport {
  recorded: Record<string, number>;
  sent: number;
  failed: number;
}

async function recordPushes(db: Database, target: TargetName, config: PublicationConfig, now: Date): Promise<number> {
  const cursor = await db.select().from(publicationCursors).where(eq(publicationCursors.target, target)).get();
  const after = cursor?.lastSeq ?? 0;
  const changes = await db
    .select({ seq: hoursAudit.seq, locationId: hoursAudit.locationId })
    .from(hoursAudit)
    .where(gt(hoursAudit.seq, after))
    .orderBy(asc(hoursAudit.seq))
    .limit(CHANGES_PER_RUN)
    .all();
  if (changes.length === 0) return 0;
  const lastSeq = changes.at(-1)!.seq;
  const locations = await listLocationsByIds(db, [...new Set(changes.map((c) => c.locationId))]);
  const at = now.toISOString();
  const status = config.dryRun ? ('dry_run' as const) : ('pending' as const);

  const pushes: Array<typeof publicationPushes.$inferInsert> = [];
  if (target === 'indexnow') {
    const urls = locations.map((l) => `${config.siteOrigin}${locationPath(l)}`);
    indexNowBodies(config, urls).forEach((body, i) =>
      pushes.push({ target, locationIds: locations.slice(i * 10_000, (i + 1) * 10_000).map((l) => l.id), payload: JSON.stringify(body), status, nextAttemptAt: at, createdAt: at }),
    );
  } else {
    for (const location of locations) {
      const { schedule } = await loadSchedule(db, location, localParts(now, location.timeZone).date);
      const payload = { location_id: location.id, page_url: `${config.siteOrigin}${locationPath(location)}`, ...googleBusinessHours(schedule, now) };
      pushes.push({ target, locationIds: [location.id], payload: JSON.stringify(payload), status, nextAttemptAt: at, createdAt: at });
    }
  }
  // Pushes and cursor move together: a crash leaves either both or neither.
  await db.batch([
    db.insert(publicationCursors).values({ target, lastSeq, updatedAt: at })
      .onConflictDoUpdate({ target: publicationCursors.target, set: { lastSeq, updatedAt: at } }),
    ...pushes.map((p) => db.insert(publicationPushes).values(p)),
  ]);
  return pushes.length;
}

function destination(target: string, config: PublicationConfig): string | undefined {
  return target === 'indexnow' ? config.indexNowEndpoint : config.googleWebhookUrl;
}

async function sendDue(db: Database, config: PublicationConfig, now: Date): Promise<{ sent: number; failed: number }> {
  const due = await db
    .select()
    .from(publicationPushes)
    .where(and(eq(publicationPushes.status, 'pending'), lte(publicationPushes.nextAttemptAt, now.toISOString())))
    .orderBy(asc(publicationPushes.id))
    .limit(SENDS_PER_RUN)
    .all();
  let sent = 0;
  let failed = 0;
  for (const push of due) {
    const url = destination(push.target, config);
    let error: string | null = url ? null : `no ${push.target} target configured`;
    if (url) {
      try {
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: push.payload });
        await response.arrayBuffer();
        if (!response.ok) error = `HTTP ${response.status}`;
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
      }
    }
    const attempts = push.attempts + 1;
    if (error === null) {
      sent++;
      await db.update(publicationPushes).set({ status: 'sent', attempts, sentAt: now.toISOString(), lastError: null }).where(eq(publicationPushes.id, push.id));
    } else {
      failed++;
      const next = new Date(now.getTime() + backoffMs(attempts)).toISOString();
      await db.update(publicationPushes).set({ attempts, nextAttemptAt: next, lastError: error.slice(0, 500) }).where(eq(publicationPushes.id, push.id));
    }
  }
  return { sent, failed };
}

export async function runPublication(db: Database, config: PublicationConfig, now = new Date()): Promise<RunReport> {
  const recorded: Record<string, number> = {};
  for (const target of enabledTargets(config)) recorded[target] = await recordPushes(db, target, config, now);
  const { sent, failed } = config.dryRun ? { sent: 0, failed: 0 } : await sendDue(db, config, now);
  return { recorded, sent, failed };
}

export async function recentPushes(db: Database, limit = 50) {
  return db.select().from(publicationPushes).orderBy(desc(publicationPushes.id)).limit(limit).all();
}

export async function lastChangeSeq(db: Database): Promise<number> {
  return (await db.select({ seq: max(hoursAudit.seq) }).from(hoursAudit).get())?.seq ?? 0;
}
