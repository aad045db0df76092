/**
 * @module
 * Validation of hours before they are stored: weekly rules and dated
 * exceptions. Everything the engine assumes (well-formed times, closes after
 * opens, no overlap) is checked here, once, with a precise French message per
 * problem so staff can fix the field they typed. Each issue names its field
 * as a path (`rules[2].closes`, `intervals[0]`, `start_date`), in the API's
 * snake_case, so the caller can attach it to the right input.
 */
import { DATE_FORMAT, readLocalDate } from './instants';
import { formatTime, parseTime } from './zoned-time';

export interface Issue {
  name: string;
  reason: string;
}

const DAY_NAMES = ['lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi', 'dimanche'];
const HHMM = /^\d{2}:\d{2}$/;
const MAX_CLOSES = 48 * 60;
const DAY = 1440;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A checked interval, in minutes, with where it came from (for overlap messages). */
interface Checked {
  path: string;
  opens: number;
  closes: number;
  /** Label for messages, e.g. `lundi 10:00–12:00`. */
  label: string;
}

/**
 * Checks the `opens`/`closes` of one interval; pushes issues and returns the
 * minutes when both are usable.
 */
function checkInterval(value: unknown, path: string, issues: Issue[]): { opens: number; closes: number } | null {
  if (!isRecord(value)) {
    issues.push({ name: path, reason: 'intervalle attendu : { opens, closes }' });
    return null;
  }
  const time = (field: 'opens' | 'closes', max: number, range: string) => {
    const raw = value[field];
    if (typeof raw !== 'string' || !HHMM.test(raw) || Number.isNaN(parseTime(raw))) {
      issues.push({ name: `${path}.${field}`, reason: `heure attendue au format HH:MM (${range}) : « ${String(raw ?? '')} »` });
      return null;
    }
    const minutes = parseTime(raw);
    if (minutes > max) {
      issues.push({ name: `${path}.${field}`, reason: `${field === 'opens' ? 'ouverture' : 'fermeture'} ${raw} hors de ${range}` });
      return null;
    }
    return minutes;
  };
  const opens = time('opens', DAY - 1, '00:00 à 23:59');
  const closes = time('closes', MAX_CLOSES, '00:00 à 48:00');
  if (opens === null || closes === null) return null;
  if (closes === opens) {
    issues.push({ name: path, reason: `intervalle vide : ${formatTime(opens)}–${formatTime(closes)}` });
    return null;
  }
  if (closes < opens) {
    // Most often someone meant "after midnight": say how to write it.
    issues.push({ name: path, reason: `intervalle inversé : ${formatTime(opens)} avant ${formatTime(closes)} (après minuit, écrire ${formatTime(closes + DAY)})` });
    return null;
  }
  return { opens, closes };
}

/** Pushes an issue on `b` for its first overlap with an earlier interval of `earlier` (shifted by `shift` minutes). */
function checkOverlaps(b: Checked, earlier: Array<{ item: Checked; shift: number }>, issues: Issue[]): void {
  for (const { item: a, shift } of earlier) {
    const aOpens = a.opens + shift;
    const aCloses = a.closes + shift;
    if (aOpens < b.closes && b.opens < aCloses) {
      const reason = a === b ? 'dure plus de 24 h : chevauche le même intervalle le lendemain' : `chevauche ${a.path} (${a.label})`;
      issues.push({ name: b.path, reason });
      return;
    }
  }
}

/**
 * Validates a list of weekly rules: `day` 1..7, times `HH:MM`, opens
 * 00:00..23:59, closes up to 48:00 and strictly after opens, no overlap
 * between intervals of the same weekday, nor between an interval running past
 * midnight and the next weekday's intervals (Sunday wraps to Monday).
 * Touching intervals (`09:00–12:00`, `12:00–14:00`) are allowed.
 */
export function validateWeekly(rules: unknown): Issue[] {
  const issues: Issue[] = [];
  if (!Array.isArray(rules)) return [{ name: 'rules', reason: 'liste de règles attendue' }];
  const byDay: Checked[][] = [[], [], [], [], [], [], [], []];
  rules.forEach((rule: unknown, index) => {
    const path = `rules[${index}]`;
    if (!isRecord(rule)) {
      issues.push({ name: path, reason: 'règle attendue : { day, opens, closes }' });
      return;
    }
    const day = rule.day;
    const dayOk = typeof day === 'number' && Number.isInteger(day) && day >= 1 && day <= 7;
    if (!dayOk) issues.push({ name: `${path}.day`, reason: `jour attendu de 1 (lundi) à 7 (dimanche) : « ${String(day)} »` });
    const times = checkInterval(rule, path, issues);
    if (!dayOk || !times) return;
    byDay[day].push({ path, ...times, label: `${DAY_NAMES[day - 1]} ${formatTime(times.opens)}–${formatTime(times.closes)}` });
  });

  for (let day = 1; day <= 7; day++) {
    const previous = byDay[day === 1 ? 7 : day - 1];
    // The previous day's intervals, moved onto this day's clock: only those past midnight can reach it.
    const spill = previous.filter((p) => p.closes > DAY).map((item) => ({ item, shift: -DAY }));
    const seen: Array<{ item: Checked; shift: number }> = [];
    for (const item of byDay[day]) {
      checkOverlaps(item, [...seen, ...spill], issues);
      seen.push({ item, shift: 0 });
    }
  }
  return issues;
}

/** The parser's reason, with the value typed when the reason does not quote it already. */
const dateReason = (reason: string, value: unknown) => (reason.startsWith(DATE_FORMAT) ? `${reason} : « ${String(value ?? '')} »` : reason);

/** What `validateException` reads; camelCase (`NewException`) and snake_case (API body) are both accepted. */
export interface ExceptionInput {
  startDate?: unknown;
  endDate?: unknown;
  start_date?: unknown;
  end_date?: unknown;
  closed?: unknown;
  intervals?: unknown;
}

/**
 * Validates one dated exception against the location's local date `today`:
 * valid `YYYY-MM-DD` dates, `start_date` not in the past, `end_date` null or
 * not before `start_date`; closed ⇒ no intervals, open ⇒ at least one; the
 * same interval checks as weekly rules (no overlap within a day, nor with an
 * interval of the same exception running past midnight into the next day).
 */
export function validateException(input: ExceptionInput, today: string): Issue[] {
  const issues: Issue[] = [];
  if (!isRecord(input)) return [{ name: 'exception', reason: 'exception attendue' }];
  const start = input.start_date ?? input.startDate;
  const end = input.end_date !== undefined ? input.end_date : input.endDate;

  // The one date parser of the API: refuses 2026-02-30 rather than moving it.
  const startDay = readLocalDate(start);
  const todayDay = readLocalDate(today);
  if (!startDay.ok) issues.push({ name: 'start_date', reason: dateReason(startDay.reason, start) });
  else if (todayDay.ok && startDay.value < todayDay.value) {
    issues.push({ name: 'start_date', reason: `date passée : ${start} est avant aujourd’hui (${today})` });
  }
  if (end !== null && end !== undefined) {
    const endDay = readLocalDate(end);
    if (!endDay.ok) {
      issues.push({ name: 'end_date', reason: dateReason(endDay.reason === DATE_FORMAT ? `${DATE_FORMAT}, ou vide` : endDay.reason, end) });
    } else if (startDay.ok && endDay.value < startDay.value) {
      issues.push({ name: 'end_date', reason: `end_date avant start_date : ${end} est avant ${start}` });
    }
  }

  if (typeof input.closed !== 'boolean') {
    issues.push({ name: 'closed', reason: 'booléen attendu : true (fermé) ou false (horaires particuliers)' });
    return issues;
  }
  const intervals = input.intervals ?? [];
  if (!Array.isArray(intervals)) {
    issues.push({ name: 'intervals', reason: 'liste d’intervalles attendue' });
    return issues;
  }
  if (input.closed && intervals.length > 0) {
    issues.push({ name: 'intervals', reason: 'une fermeture ne peut pas avoir d’intervalles' });
    return issues;
  }
  if (!input.closed && intervals.length === 0) {
    issues.push({ name: 'intervals', reason: 'au moins un intervalle attendu (ou closed: true pour fermer)' });
    return issues;
  }

  const checked: Checked[] = [];
  intervals.forEach((interval: unknown, index) => {
    const path = `intervals[${index}]`;
    const times = checkInterval(interval, path, issues);
    if (times) checked.push({ path, ...times, label: `${formatTime(times.opens)}–${formatTime(times.closes)}` });
  });
  // Same day: plain overlap. Over a range of days, an interval past midnight
  // also reaches the next day's intervals (they are the same list).
  const multiDay = end === null || end === undefined || end !== start;
  const seen: Array<{ item: Checked; shift: number }> = [];
  const spill = multiDay ? checked.filter((c) => c.closes > DAY).map((item) => ({ item, shift: -DAY })) : [];
  for (const item of checked) {
    checkOverlaps(item, [...seen, ...spill], issues);
    seen.push({ item, shift: 0 });
  }
  return issues;
}
