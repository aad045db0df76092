import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { ClosureForm, formDate, formTimeZone } from '../../../worker/hours/closure-form';

/** The staff closure form: its default date, and the date field's one parser. */

const officeStaff = { scopeType: 'office' as const, scopeValue: 'X' };

describe('the closure form’s default date is today where the office is', () => {
  it('Réunion (UTC+4) is already on the next day when Paris is still on this one', () => {
    const now = new Date('2026-11-23T21:30:00Z'); // 22:30 in Paris, 01:30 on the 24th in Saint-Denis
    expect(formDate(now, formTimeZone(officeStaff, { timeZone: 'Indian/Reunion' }))).toBe('2026-11-24');
    expect(formDate(now, formTimeZone({ scopeType: 'network', scopeValue: null }))).toBe('2026-11-23');
  });

  it('Polynésie (UTC−10) is still on the day before', () => {
    const now = new Date('2026-11-24T05:00:00Z'); // 06:00 in Paris, 19:00 on the 23rd in Papeete
    expect(formDate(now, formTimeZone(officeStaff, { timeZone: 'Pacific/Tahiti' }))).toBe('2026-11-23');
  });

  it('a département’s staff get their département’s date', () => {
    const now = new Date('2026-11-24T05:00:00Z');
    expect(formDate(now, formTimeZone({ scopeType: 'department', scopeValue: '987' }))).toBe('2026-11-23');
    expect(formDate(now, formTimeZone({ scopeType: 'department', scopeValue: '78' }))).toBe('2026-11-24');
  });
});

describe('the closure form’s date', () => {
  const form = (date: string) => v.safeParse(ClosureForm, { csrf: 'c', location: '15015A', date, reason: 'works' });
  const message = (date: string) => {
    const result = form(date);
    return result.success ? null : result.issues.map((i) => [i.path?.[0]?.key, i.message]);
  };

  it('refuses dates that do not exist instead of moving them, and years out of range', () => {
    expect(message('2026-02-30')).toEqual([['date', 'Cette date n’existe pas.']]);
    expect(message('2026-04-31')).toEqual([['date', 'Cette date n’existe pas.']]);
    expect(message('2201-01-01')).toEqual([['date', 'Date attendue entre 1970 et 2200.']]);
    expect(message('24/11/2026')).toEqual([['date', 'Date attendue au format AAAA-MM-JJ.']]);
    expect(message('2028-02-29')).toBeNull();
  });
});
