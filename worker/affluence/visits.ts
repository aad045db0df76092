/**
 * @module
 * The rules of a batch of ticket events (`POST /api/v1/offices/{id}/visits`),
 * pure: the events as received, the office's zone, what is already stored
 * for their tickets and `now` in; the events to store, or every bad one
 * with its index and reason, out. A batch is all or nothing: one bad event
 * refuses the request, so a feed never has to work out which half landed.
 *
 * The rules:
 * - a ticket is 1–12 letters, digits or dashes (`A042`): a number on a
 *   slip, never a person;
 * - `at` is an ISO 8601 instant with its offset, at most 2 minutes ahead of
 *   our clock (skew) and at most 24 hours old (see `OLDEST_MS`);
 * - its service date is the office's local date of `at`: tickets are
 *   numbered afresh each day, so a ticket is (office, service date, ticket);
 * - a ticket has at most one event of each kind (a second one is a
 *   duplicate: 409), and they come in order, arrival ≤ called ≤ served, both
 *   in sequence (stored first, then the batch in its order) and in time; a
 *   `called` or `served` without an arrival, after a later kind, or earlier
 *   than the event before it is out of order (422). `served` may follow the
 *   arrival directly: nobody is always called.
 */
import * as v from 'valibot';
import { VISIT_EVENT_KINDS, type VisitEventKind } from '../../db/vocabulary';
import { readInstant } from '../hours/instants';
import { localParts } from '../hours/zoned-time';

/** At most this many events per request: a busy office's half day at once, about 40 KB, inside the API's 64 KiB body cap. */
export const MAX_VISIT_EVENTS = 500;
/** A queue system's clock may be this far ahead of ours. */
export const FUTURE_SKEW_MS = 2 * 60_000;
/**
 * An event older than this is refused as stale. A counter's feed reports
 * visits as they happen; one a day late is a replay or a broken clock
 * rather than a live count. Bounding the past also bounds the harm of a
 * leaked secret (it can add to the last day, never rewrite a year of
 * histograms), and keeps every check within one or two service days.
 */
export const OLDEST_MS = 24 * 3_600_000;

export const TICKET_PATTERN = /^[A-Za-z0-9-]{1,12}$/;

const KIND_RANK: Record<VisitEventKind, number> = { arrival: 0, called: 1, served: 2 };
const KIND_LABEL: Record<VisitEventKind, string> = { arrival: 'l’arrivée', called: 'l’appel', served: 'le service' };

export const VisitsBody = v.strictObject({
  events: v.pipe(
    v.array(v.unknown(), 'events : liste d’événements attendue'),
    v.minLength(1, 'events : au moins un événement'),
    v.maxLength(MAX_VISIT_EVENTS, `events : ${MAX_VISIT_EVENTS} événements au plus par requête`),
  ),
});

/** One ticket event as a queue system sends it (the OpenAPI description and the first check of each event). */
export const VisitEventSchema = v.strictObject({
  ticket: v.pipe(v.string('ticket : texte attendu'), v.regex(TICKET_PATTERN, 'ticket : 1 à 12 lettres, chiffres ou tirets (par exemple A042)')),
  kind: v.picklist(VISIT_EVENT_KINDS, 'kind : arrival, called ou served attendu'),
  at: v.pipe(
    v.string('at : instant ISO 8601 attendu, avec fuseau'),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const read = readInstant(dataset.value);
      if (!read.ok) addIssue({ message: `at : ${read.reason}` });
    }),
  ),
});

/** A checked event, ready to store. */
export interface VisitEvent {
  ticket: string;
  kind: VisitEventKind;
  /** Epoch ms. */
  at: number;
  /** The office's local date of `at`, `YYYY-MM-DD`. */
  serviceDate: string;
}

/** An event already stored for one of the batch's tickets. */
export type StoredVisit = VisitEvent;

/** `invalid`: malformed or outside the time window (400); `duplicate` (409); `out_of_order` (422). */
export type VisitFault = 'invalid' | 'duplicate' | 'out_of_order';

export interface VisitProblem {
  index: number;
  /** The ticket when it could be read. */
  ticket: string | null;
  fault: VisitFault;
  reason: string;
}

export type VisitCheck = { ok: true; events: VisitEvent[] } | { ok: false; problems: VisitProblem[] };

const issueReason = (issue: v.BaseIssue<unknown>) => {
  const key = issue.path?.map((p) => String(p.key)).join('.') ?? '';
  if (issue.expected === 'never' && key) return `${key} : champ inconnu`;
  if (issue.received === 'undefined' && key) return `${key} : obligatoire`;
  return issue.message.startsWith('Invalid ') ? `${key || 'événement'} : objet { "ticket", "kind", "at" } attendu` : issue.message;
};

const minutesText = (ms: number) => (ms < 3_600_000 ? `${Math.ceil(ms / 60_000)} min` : `${Math.floor(ms / 3_600_000)} h ${Math.floor((ms % 3_600_000) / 60_000)} min`);

/**
 * Each event read on its own: its shape, its instant within the window, its
 * service date. Returns the readable events (with their index in the batch)
 * and the problems of the others.
 */
export function readVisitEvents(raw: readonly unknown[], zone: string, now: Date): { events: { index: number; event: VisitEvent }[]; problems: VisitProblem[] } {
  const events: { index: number; event: VisitEvent }[] = [];
  const problems: VisitProblem[] = [];
  const nowMs = now.getTime();
  for (const [index, item] of raw.entries()) {
    const parsed = v.safeParse(VisitEventSchema, item, { abortEarly: false });
    if (!parsed.success) {
      const ticket = typeof (item as { ticket?: unknown })?.ticket === 'string' ? (item as { ticket: string }).ticket.slice(0, 12) : null;
      for (const reason of new Set(parsed.issues.map(issueReason))) problems.push({ index, ticket, fault: 'invalid', reason });
      continue;
    }
    const { ticket, kind } = parsed.output;
    const at = (readInstant(parsed.output.at) as { value: Date }).value.getTime();
    if (at > nowMs + FUTURE_SKEW_MS) {
      problems.push({ index, ticket, fault: 'invalid', reason: `at : ${minutesText(at - nowMs)} dans le futur ; 2 minutes d’avance au plus (vérifiez l’horloge de la borne)` });
      continue;
    }
    if (at < nowMs - OLDEST_MS) {
      problems.push({
        index, ticket, fault: 'invalid',
        reason: `at : événement vieux de ${minutesText(nowMs - at)}, 24 h au plus : un flux aussi tardif est refusé (rejeu ou horloge déréglée), il fausserait l’affluence`,
      });
      continue;
    }
    events.push({ index, event: { ticket, kind, at, serviceDate: localParts(at, zone).date } });
  }
  return { events, problems };
}

/** The (service date, ticket) pairs of a batch: what to read back from storage before `orderProblems`. */
export function ticketsOf(events: readonly { event: VisitEvent }[]): { serviceDate: string; ticket: string }[] {
  const seen = new Map<string, { serviceDate: string; ticket: string }>();
  for (const { event } of events) seen.set(`${event.serviceDate}|${event.ticket}`, { serviceDate: event.serviceDate, ticket: event.ticket });
  return [...seen.values()];
}

/**
 * Duplicates and order, per ticket and service day: what is stored comes
 * first, then the batch in its order. A refused event is not taken as
 * happened (a later event of its ticket is judged without it).
 */
export function orderProblems(events: readonly { index: number; event: VisitEvent }[], stored: readonly StoredVisit[]): VisitProblem[] {
  type Seen = { at: number; index: number | null };
  const tickets = new Map<string, Map<VisitEventKind, Seen>>();
  const stateOf = (e: VisitEvent) => {
    const key = `${e.serviceDate}|${e.ticket}`;
    let state = tickets.get(key);
    if (!state) tickets.set(key, (state = new Map()));
    return state;
  };
  for (const s of stored) stateOf(s).set(s.kind, { at: s.at, index: null });

  const problems: VisitProblem[] = [];
  for (const { index, event } of events) {
    const state = stateOf(event);
    const where = `ticket ${event.ticket} du ${event.serviceDate}`;
    const same = state.get(event.kind);
    if (same) {
      problems.push({
        index, ticket: event.ticket, fault: 'duplicate',
        reason: same.index === null
          ? `${event.kind} déjà enregistré pour le ${where} : un événement de chaque sorte par ticket et par jour`
          : `${event.kind} déjà présent pour le ${where} dans cette requête (événement ${same.index})`,
      });
      continue;
    }
    const rank = KIND_RANK[event.kind];
    const later = [...state.keys()].find((kind) => KIND_RANK[kind] > rank);
    const before = [...state.entries()].filter(([kind]) => KIND_RANK[kind] < rank).sort((a, b) => KIND_RANK[b[0]] - KIND_RANK[a[0]])[0];
    let reason: string | null = null;
    if (later) reason = `hors d’ordre : ${event.kind} après ${later} pour le ${where} (l’ordre est arrival, called, served)`;
    else if (rank > 0 && !state.has('arrival')) reason = `hors d’ordre : ${event.kind} sans arrivée (arrival) enregistrée ou plus tôt dans la requête pour le ${where}`;
    else if (before && event.at < before[1].at) {
      reason = `hors d’ordre : ${event.kind} à ${new Date(event.at).toISOString()}, avant ${KIND_LABEL[before[0]]} du ${where} (${new Date(before[1].at).toISOString()})`;
    }
    if (reason) {
      problems.push({ index, ticket: event.ticket, fault: 'out_of_order', reason });
      continue;
    }
    state.set(event.kind, { at: event.at, index });
  }
  return problems;
}

/** The whole check of a batch against what is stored for its tickets: the events to store, or every problem, by index. */
export function checkVisits(raw: readonly unknown[], stored: readonly StoredVisit[], zone: string, now: Date): VisitCheck {
  const read = readVisitEvents(raw, zone, now);
  const problems = [...read.problems, ...orderProblems(read.events, stored)].sort((a, b) => a.index - b.index);
  return problems.length ? { ok: false, problems } : { ok: true, events: read.events.map((e) => e.event) };
}

/** The status of a refused batch: 400 when any event is malformed or out of the window, else 409 when any is a duplicate, else 422. */
export function refusalStatus(problems: readonly VisitProblem[]): 400 | 409 | 422 {
  if (problems.some((p) => p.fault === 'invalid')) return 400;
  if (problems.some((p) => p.fault === 'duplicate')) return 409;
  return 422;
}
