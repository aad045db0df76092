/**
 * @module
 * Recording a batch of ticket events (the use case behind
 * `POST /api/v1/offices/{id}/visits`): checked whole against what is stored
 * for its tickets (visits.ts), then written in ONE D1 batch with the signed
 * request's replay record, so either every event and the record land, or
 * nothing does.
 *
 * The check reads before it writes, and D1 has no interactive transaction:
 * two requests racing the same ticket may both pass it. The unique index
 * `visit_events_ticket_idx` (office, service date, ticket, kind) then
 * refuses the second batch whole; it is read again and answered as the
 * duplicate it is (409), never a 500.
 */
import { eq } from 'drizzle-orm';
import { visitRequests } from '../../db/schema';
import type { Database } from '../database';
import { orderProblems, readVisitEvents, type StoredVisit, ticketsOf, type VisitEvent, type VisitProblem } from './visits';

export interface VisitBatch {
  office: { id: string; timeZone: string };
  /** `qms_…` (a signed feed) or `staff:<token id>` (a staff action). */
  source: string;
  events: readonly unknown[];
  /** The signed request's digest, recorded with the events (null for a staff action). */
  replayDigest: string | null;
  now: Date;
}

export type VisitOutcome =
  | { ok: true; accepted: number }
  | { ok: false; problem: 'replay' }
  | { ok: false; problem: 'refused'; problems: VisitProblem[] };

/** Whether this signed request was already received. */
export async function seenRequest(db: Database, digest: string): Promise<boolean> {
  return (await db.select({ digest: visitRequests.digest }).from(visitRequests).where(eq(visitRequests.digest, digest)).get()) !== undefined;
}

/** The stored events of these tickets at the office: one read on the unique index's prefix. */
export async function storedVisitsOf(db: Database, officeId: string, tickets: readonly { serviceDate: string; ticket: string }[]): Promise<StoredVisit[]> {
  if (tickets.length === 0) return [];
  const wanted = new Set(tickets.map((t) => `${t.serviceDate}|${t.ticket}`));
  const { results } = await db.$client.prepare(
    `select service_date, ticket, kind, at from visit_events
     where location_id = ?1 and service_date in (select value from json_each(?2)) and ticket in (select value from json_each(?3))`,
  ).bind(officeId, JSON.stringify([...new Set(tickets.map((t) => t.serviceDate))]), JSON.stringify([...new Set(tickets.map((t) => t.ticket))]))
    .all<{ service_date: string; ticket: string; kind: StoredVisit['kind']; at: number }>();
  return results
    .filter((r) => wanted.has(`${r.service_date}|${r.ticket}`))
    .map((r) => ({ serviceDate: r.service_date, ticket: r.ticket, kind: r.kind, at: r.at }));
}

const failure = (error: unknown) => String((error as { cause?: Error })?.cause?.message ?? (error as Error)?.message ?? error);

/** Checks the batch and stores it whole, or says why not (nothing written). */
export async function recordVisits(db: Database, batch: VisitBatch): Promise<VisitOutcome> {
  if (batch.replayDigest && (await seenRequest(db, batch.replayDigest))) return { ok: false, problem: 'replay' };
  const read = readVisitEvents(batch.events, batch.office.timeZone, batch.now);
  const judge = async () => [...read.problems, ...orderProblems(read.events, await storedVisitsOf(db, batch.office.id, ticketsOf(read.events)))]
    .sort((a, b) => a.index - b.index);
  const problems = await judge();
  if (problems.length) return { ok: false, problem: 'refused', problems };

  const events = read.events.map((e) => e.event);
  try {
    await insertVisits(db, { officeId: batch.office.id, source: batch.source, events, replayDigest: batch.replayDigest, receivedAt: batch.now.getTime() });
  } catch (error) {
    const message = failure(error);
    if (/UNIQUE constraint failed: visit_requests/.test(message)) return { ok: false, problem: 'replay' };
    if (/UNIQUE constraint failed: visit_events/.test(message)) {
      // Another request stored some of these tickets' events in between: read again, and name them.
      const now = await judge();
      return { ok: false, problem: 'refused', problems: now.length ? now : [{ index: 0, ticket: null, fault: 'duplicate', reason: 'un autre envoi a enregistré ces tickets au même moment : renvoyez la requête pour savoir lesquels' }] };
    }
    if (/visit_order/.test(message)) {
      // Another request stored a stage of one of these tickets in between (the order trigger, migration 0015): read again, and name it.
      const now = await judge();
      return { ok: false, problem: 'refused', problems: now.length ? now : [{ index: 0, ticket: null, fault: 'out_of_order', reason: 'un autre envoi a enregistré une étape de ces tickets au même moment : renvoyez la requête pour savoir lesquelles' }] };
    }
    throw error;
  }
  return { ok: true, accepted: events.length };
}

/** The events (in batch order, so `seq` follows it) and the replay record, in one D1 batch: all or nothing. */
export async function insertVisits(
  db: Database,
  input: { officeId: string; source: string; events: readonly VisitEvent[]; replayDigest: string | null; receivedAt: number },
): Promise<void> {
  const d1 = db.$client;
  const rows = input.events.map((e) => [e.serviceDate, e.ticket, e.kind, e.at]);
  const statements = [
    ...(input.replayDigest ? [d1.prepare('insert into visit_requests (digest, received_at) values (?1, ?2)').bind(input.replayDigest, input.receivedAt)] : []),
    d1.prepare(
      `insert into visit_events (location_id, service_date, ticket, kind, at, source, received_at)
       select ?1, value ->> 0, value ->> 1, value ->> 2, value ->> 3, ?2, ?3 from json_each(?4) order by key`,
    ).bind(input.officeId, input.source, input.receivedAt, JSON.stringify(rows)),
  ];
  await d1.batch(statements);
}
