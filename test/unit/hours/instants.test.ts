import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { instantSchema, localDateSchema, parseInstant, parseLocalDate } from '../../../worker/hours/instants';

/**
 * The one parser of dates and instants. Expectations come from `Date.UTC`
 * and from the calendar (days per month), never from the parser itself.
 */

const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, '0');
/** Days in a month, from the calendar: day 0 of the next month is the last of this one. */
const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

const civil = fc
  .record({ year: fc.integer({ min: 1970, max: 2200 }), month: fc.integer({ min: 1, max: 12 }), day: fc.integer({ min: 1, max: 31 }) })
  .filter(({ year, month, day }) => day <= daysIn(year, month));
const offsetMinutes = fc.integer({ min: -14 * 60, max: 14 * 60 });
const offsetText = (minutes: number) => `${minutes < 0 ? '-' : '+'}${pad(Math.trunc(minutes / 60))}:${pad(minutes % 60)}`;

describe('parseLocalDate', () => {
  it('reads every date of 1970–2200 as its day number', () => {
    fc.assert(
      fc.property(civil, ({ year, month, day }) => {
        expect(parseLocalDate(`${year}-${pad(month)}-${pad(day)}`)).toBe(Date.UTC(year, month - 1, day) / 86_400_000);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses days past the end of their month, instead of moving them to the next', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1970, max: 2200 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 9 }), (year, month, beyond) => {
        const day = daysIn(year, month) + beyond;
        fc.pre(day <= 99);
        expect(parseLocalDate(`${year}-${pad(month)}-${pad(day)}`)).toBeNull();
      }),
    );
    for (const text of ['2026-02-30', '2026-04-31', '2027-02-29', '2100-02-29', '2026-13-01', '2026-00-10', '2026-01-00']) expect(parseLocalDate(text)).toBeNull();
    expect(parseLocalDate('2028-02-29')).not.toBeNull();
    expect(parseLocalDate('2000-02-29')).not.toBeNull();
  });

  it('refuses years outside 1970–2200 and other shapes', () => {
    for (const text of ['1969-12-31', '2201-01-01', '0000-01-01', '9999-12-31', '2026-1-01', '26-01-01', '2026-01-01T00:00Z', ' 2026-01-01', '']) {
      expect(parseLocalDate(text)).toBeNull();
    }
    expect(parseLocalDate('1970-01-01')).toBe(0);
    expect(parseLocalDate('2200-12-31')).not.toBeNull();
  });
});

describe('parseInstant', () => {
  it('reads any possible instant with its offset exactly', () => {
    fc.assert(
      fc.property(
        civil,
        fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 999 }),
        offsetMinutes, fc.constantFrom('seconds', 'minutes', 'millis', 'zulu'),
        ({ year, month, day }, hour, minute, second, milli, offset, precision) => {
          const zulu = precision === 'zulu';
          const [s, ms] = precision === 'minutes' ? [0, 0] : precision === 'seconds' ? [second, 0] : [second, milli];
          const time = precision === 'minutes' ? `${pad(hour)}:${pad(minute)}` : `${pad(hour)}:${pad(minute)}:${pad(second)}${precision === 'seconds' ? '' : `.${pad(milli, 3)}`}`;
          const text = `${year}-${pad(month)}-${pad(day)}T${time}${zulu ? 'Z' : offsetText(offset)}`;
          const expected = Date.UTC(year, month - 1, day, hour, minute, s, ms) - (zulu ? 0 : offset) * 60_000;
          expect(parseInstant(text)?.getTime()).toBe(expected);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('agrees with Date.parse whenever it accepts, and never throws', () => {
    const near = fc.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/);
    fc.assert(
      fc.property(fc.oneof(near, fc.string()), (text) => {
        const parsed = parseInstant(text);
        if (parsed) expect(parsed.getTime()).toBe(Date.parse(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses impossible dates and times that Date.parse would move', () => {
    for (const text of ['2026-02-30T10:00:00Z', '2026-04-31T10:00:00+02:00', '2026-02-29T10:00Z', '2026-11-24T24:00:00Z', '2026-11-24T10:60:00Z', '2026-11-24T10:00:60Z']) {
      expect(parseInstant(text), text).toBeNull();
    }
    expect(Date.parse('2026-02-30T10:00:00Z')).not.toBeNaN(); // what we guard against
  });

  it('refuses offsets beyond ±14:00 and years outside 1970–2200', () => {
    for (const text of ['2026-11-24T10:00:00+14:01', '2026-11-24T10:00:00-15:00', '2026-11-24T10:00:00+02:60', '1969-12-31T23:00:00Z', '2201-01-01T00:00:00Z']) {
      expect(parseInstant(text), text).toBeNull();
    }
    expect(parseInstant('2026-11-24T10:00:00+14:00')?.toISOString()).toBe('2026-11-23T20:00:00.000Z');
    expect(parseInstant('2026-11-24T10:00:00-14:00')?.toISOString()).toBe('2026-11-25T00:00:00.000Z');
    expect(parseInstant('2026-11-24T10:00Z')?.toISOString()).toBe('2026-11-24T10:00:00.000Z');
    expect(parseInstant('2026-11-24T10:00:00.5+01:00')?.toISOString()).toBe('2026-11-24T09:00:00.500Z');
  });
});

describe('valibot schemas built on the parser', () => {
  const Query = v.strictObject({ at: v.optional(instantSchema()), start_date: v.optional(localDateSchema()) });
  const issues = (input: unknown) => {
    const result = v.safeParse(Query, input);
    return result.success ? [] : result.issues.map((i) => [i.path?.[0]?.key, i.message]);
  };

  it('name the field, with one reason each', () => {
    expect(issues({ at: '2026-02-30T10:00:00Z' })).toEqual([['at', 'date impossible : 2026-02-30 n’existe pas']]);
    expect(issues({ at: '2026-11-24T10:00:00+15:00' })).toEqual([['at', 'décalage horaire hors de ±14:00 : +15:00']]);
    expect(issues({ at: '2201-01-01T10:00:00Z' })).toEqual([['at', 'année hors de 1970–2200 : 2201-01-01']]);
    expect(issues({ at: 'demain' })).toEqual([['at', 'instant ISO 8601 attendu, avec fuseau (ex. 2026-11-23T10:00:00Z)']]);
    expect(issues({ start_date: '2026-04-31' })).toEqual([['start_date', 'date impossible : 2026-04-31 n’existe pas']]);
    expect(issues({ start_date: '1969-07-21' })).toEqual([['start_date', 'année hors de 1970–2200 : 1969-07-21']]);
    expect(issues({ start_date: '24/11/2026' })).toEqual([['start_date', 'date attendue au format AAAA-MM-JJ']]);
  });

  it('keep the string of a possible value', () => {
    expect(v.parse(Query, { at: '2026-11-24T10:00:00+01:00', start_date: '2028-02-29' })).toEqual({ at: '2026-11-24T10:00:00+01:00', start_date: '2028-02-29' });
  });
});
