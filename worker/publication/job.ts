/**
 * @module
 * The publication job (cron, every 15 minutes): takes the hours changes
 * since each target's cursor, records one push per payload, advances the
 * cursor in the same D1 batch (so a change is never skipped nor lost), then
 * sends what is due. A failed push stays pending and is retried with
 * exponential backoff; nothing is ever dropped.
 */
import { and, asc, desc, eq, gt, lt, lte, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { hoursAudit, publicationCursors, publicationPushes } from '../../db/schema';
import type { Database } from '../database';
import { googleBusinessHours } from '../hours/google';
import { loadSchedules } from '../hours/store';
import { addDays, localParts } from '../hours/zoned-time';
import { listLocationsByIds } from '../locations/queries';
import { locationPath } from '../locations/present';
import { backoffMs, enabledTargets, indexNowBodies, type PublicationConfig, type TargetName } from './targets';

/** Changes read per target and run; the next run continues from the cursor. */
const CHANGES_PER_RUN = 5_000;
/** Distinct locations per target and run: keeps a run well under D1's per-invocation query budget. */
const LOCATIONS_PER_RUN = 300;
/** URLs per recorded IndexNow push (the protocol allows 10,000; smaller rows stay far from D1's row size limit). */
const URLS_PER_PUSH = 2_000;
const SENDS_PER_RUN = 200;
const SEND_TIMEOUT_MS = 10_000;

export interface RunReport {
  recorded: Record<string, number>;
  sent: number;
  failed: number;
  errors: string[];
}

/** The changes to publish this run: whole locations only, so the cursor never skips part of one. */
async function nextChanges(db: Database, after: number) {
  const changes = await db
    .select({ seq: hoursAudit.seq, locationId: hoursAudit.locationId })
    .from(hoursAudit)
    .where(gt(hoursAudit.seq, after))
    .orderBy(asc(hoursAudit.seq))
    .limit(CHANGES_PER_RUN)
    .all();
  const ids = new Set<string>();
  let lastSeq = after;
  for (const change of changes) {
    if (!ids.has(change.locationId) && ids.size === LOCATIONS_PER_RUN) break;
    ids.add(change.locationId);
    lastSeq = change.seq;
  }
  return { ids: [...ids], lastSeq };
}

async function recordPushes(db: Database, target: TargetName, config: PublicationConfig, now: Date): Promise<number> {
  const cursor = await db.select().from(publicationCursors).where(eq(publicationCursors.target, target)).get();
  const { ids, lastSeq } = await nextChanges(db, cursor?.lastSeq ?? 0);
  if (ids.length === 0) return 0;
  const locations = await listLocationsByIds(db, ids);
  const at = now.toISOString();
  const status = config.dryRun ? ('dry_run' as const) : ('pending' as const);
  const writes: BatchItem<'sqlite'>[] = [];
  let recorded = 0;

  if (target === 'indexnow') {
    for (let i = 0; i < locations.length; i += URLS_PER_PUSH) {
      const chunk = locations.slice(i, i + URLS_PER_PUSH);
      for (const body of indexNowBodies(config, chunk.map((l) => `${config.siteOrigin}${locationPath(l)}`))) {
        writes.push(db.insert(publicationPushes).values({ target, locationIds: chunk.map((l) => l.id), payload: JSON.stringify(body), status, nextAttemptAt: at, createdAt: at }));
        recorded++;
      }
    }
  } else {
    const schedules = await loadSchedules(db, locations, addDays(localParts(now, 'UTC').date, -2));
    for (const location of locations) {
      const payload = { location_id: location.id, page_url: `${config.siteOrigin}${locationPath(location)}`, ...googleBusinessHours(schedules.get(location.id)!, now) };
      // A newer payload replaces an older one still waiting: a late retry must never send stale hours.
      writes.push(
        db.update(publicationPushes).set({ status: 'superseded' })
          .where(and(eq(publicationPushes.target, 'google'), eq(publicationPushes.status, 'pending'), sql`${publicationPushes.locationIds} = ${JSON.stringify([location.id])}`)),
        db.insert(publicationPushes).values({ target, locationIds: [location.id], payload: JSON.stringify(payload), status, nextAttemptAt: at, createdAt: at }),
      );
      recorded++;
    }
  }
  // Pushes and cursor move together: a crash leaves either both or neither; the cursor never goes back.
  await db.batch([
    db.insert(publicationCursors).values({ target, lastSeq, updatedAt: at })
      .onConflictDoUpdate({ target: publicationCursors.target, set: { lastSeq, updatedAt: at }, setWhere: lt(publicationCursors.lastSeq, lastSeq) }),
    ...writes,
  ]);
  return recorded;
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
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body: push.payload,
          signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
        });
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
  const errors: string[] = [];
  for (const target of enabledTargets(config)) {
    // One target's failure must not hold back the others, nor the sending of what is due.
    try {
      recorded[target] = await recordPushes(db, target, config, now);
    } catch (error) {
      errors.push(`${target}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const { sent, failed } = config.dryRun ? { sent: 0, failed: 0 } : await sendDue(db, config, now);
  return { recorded, sent, failed, errors };
}

export async function recentPushes(db: Database, limit = 50) {
  return db.select().from(publicationPushes).orderBy(desc(publicationPushes.id)).limit(limit).all();
}
