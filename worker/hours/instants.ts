/**
 * @module
 * The one parser of the dates and instants people and partners send us:
 * local dates `2026-11-24` (exceptions, the staff form) and instants
 * `2026-11-24T10:00:00+01:00` (`status?at=`, the locator's `open_at`).
 *
 * Strict where `Date.parse` and valibot's `isoDate` are lenient: they move
 * `2026-02-30` to 2 March, so an exception or a status would silently land on
 * another day. Here a date that does not exist is refused, as are offsets
 * beyond ±14:00 (no zone has one), times like `24:00` or `10:60`, and years
 * outside 1970–2200 (what the hours engine and the holiday tables serve).
 * Each refusal says why, in French, for the 400 that names the field.
 */
import * as v from 'valibot';
import { DAY_MS, dayOrNaN } from './zoned-time';

export const MIN_YEAR = 1970;
export const MAX_YEAR = 2200;
/** The widest UTC offset in use (Kiribati, UTC+14), in minutes; the most negative is −12:00. */
const MAX_OFFSET_MINUTES = 14 * 60;

/** Why a value is refused: its shape, a date or time that does not exist, the year, the offset. */
export type Problem = 'format' | 'impossible' | 'year' | 'offset';
export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: Problem; reason: string };

export const DATE_FORMAT = 'date attendue au format AAAA-MM-JJ';
export const INSTANT_FORMAT = 'instant ISO 8601 attendu, avec fuseau (ex. 2026-11-23T10:00:00Z)';

const DATE_SHAPE = /^\d{4}-\d{2}-\d{2}$/;
const INSTANT_SHAPE = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/** The day number of a `YYYY-MM-DD` date that exists, with the reason when it does not. */
export function readLocalDate(text: unknown): Parsed<number> {
  if (typeof text !== 'string' || !DATE_SHAPE.test(text)) return { ok: false, problem: 'format', reason: DATE_FORMAT };
  const year = Number(text.slice(0, 4));
  if (year < MIN_YEAR || year > MAX_YEAR) return { ok: false, problem: 'year', reason: `année hors de ${MIN_YEAR}–${MAX_YEAR} : ${text}` };
  const day = dayOrNaN(text);
  if (Number.isNaN(day)) return { ok: false, problem: 'impossible', reason: `date impossible : ${text} n’existe pas` };
  return { ok: true, value: day };
}

/** The instant of an ISO 8601 date-time with its offset, with the reason when it is impossible. */
export function readInstant(text: unknown): Parsed<Date> {
  const m = typeof text === 'string' ? INSTANT_SHAPE.exec(text) : null;
  if (!m) return { ok: false, problem: 'format', reason: INSTANT_FORMAT };
  const [, date, hh, mm, ss = '0', fraction = '', sign, oh, om] = m;
  const day = readLocalDate(date);
  if (!day.ok) return day;
  const [hours, minutes, seconds] = [Number(hh), Number(mm), Number(ss)];
  if (hours > 23 || minutes > 59 || seconds > 59) return { ok: false, problem: 'impossible', reason: `heure impossible : ${text}` };
  let offset = 0;
  if (sign) {
    const [offsetHours, offsetMinutes] = [Number(oh), Number(om)];
    offset = offsetHours * 60 + offsetMinutes;
    if (offsetMinutes > 59 || offset > MAX_OFFSET_MINUTES) return { ok: false, problem: 'offset', reason: `décalage horaire hors de ±14:00 : ${sign}${oh}:${om}` };
    if (sign === '-') offset = -offset;
  }
  const ms = day.value * DAY_MS + ((hours * 60 + minutes - offset) * 60 + seconds) * 1000 + Number(fraction.padEnd(3, '0'));
  return { ok: true, value: new Date(ms) };
}

/** Day number of a `YYYY-MM-DD` date that exists in 1970–2200, else null. */
export function parseLocalDate(text: string): number | null {
  const parsed = readLocalDate(text);
  return parsed.ok ? parsed.value : null;
}

/** The instant of `2026-11-24T10:00:00+01:00` (or `Z`), else null. */
export function parseInstant(text: string): Date | null {
  const parsed = readInstant(text);
  return parsed.ok ? parsed.value : null;
}

/** Messages in place of the parser's reasons (a form speaks to people in whole sentences). */
export type Messages = { format?: string } & Partial<Record<Exclude<Problem, 'format'>, string>>;

/**
 * A check for a valibot pipe: the shape is left to a `regex` before it (so
 * OpenAPI shows the pattern, and a malformed value gets one message), this
 * refuses what has the shape but cannot be.
 */
const possible = (read: (text: string) => Parsed<unknown>, shape: RegExp, messages: Messages) =>
  v.rawCheck<string>(({ dataset, addIssue }) => {
    if (!dataset.typed || !shape.test(dataset.value)) return;
    const parsed = read(dataset.value);
    if (!parsed.ok) addIssue({ message: messages[parsed.problem] ?? parsed.reason });
  });

/** A local date `YYYY-MM-DD` that exists (the output stays the string). */
export const localDateSchema = (messages: Messages = {}) => {
  const format = messages.format ?? DATE_FORMAT;
  return v.pipe(v.string(format), v.regex(DATE_SHAPE, format), possible(readLocalDate, DATE_SHAPE, messages));
};

/** An ISO 8601 instant with its offset (the output stays the string: read it with `parseInstant`). */
export const instantSchema = (messages: Messages = {}) => {
  const format = messages.format ?? INSTANT_FORMAT;
  return v.pipe(v.string(format), v.regex(INSTANT_SHAPE, format), possible(readInstant, INSTANT_SHAPE, messages));
};
