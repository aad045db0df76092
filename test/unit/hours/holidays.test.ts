import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { easterSunday, holidayOn, publicHolidays } from '../../../worker/hours/holidays';
import { addDays, weekdayOfDate } from '../../../worker/hours/zoned-time';

const names = (year: number, department: string) => publicHolidays(year, department).map((h) => `${h.date} ${h.name}`);

describe('Easter', () => {
  it.each([
    [1961, '1961-04-02'],
    [2000, '2000-04-23'],
    [2008, '2008-03-23'],
    [2011, '2011-04-24'],
    [2024, '2024-03-31'],
    [2025, '2025-04-20'],
    [2026, '2026-04-05'],
    [2027, '2027-03-28'],
    [2038, '2038-04-25'],
    [2285, '2285-03-22'],
  ])('%i: %s', (year, date) => {
    expect(easterSunday(year)).toBe(date);
  });

  it('is a Sunday between 22 March and 25 April, 1900–2200', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1900, max: 2200 }), (year) => {
        const easter = easterSunday(year);
        expect(weekdayOfDate(easter)).toBe(7);
        expect(easter >= `${year}-03-22` && easter <= `${year}-04-25`).toBe(true);
      }),
      { numRuns: 301 },
    );
  });

  it('moves Easter Monday, Ascension and Whit Monday with it, every year', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1900, max: 2200 }), (year) => {
        const easter = easterSunday(year);
        expect(holidayOn(addDays(easter, 1), '75')).toBe('Lundi de Pâques');
        // Ascension may share 1 or 8 May with a fixed holiday; it is a holiday either way.
        expect(holidayOn(addDays(easter, 39), '75')).not.toBeNull();
        expect(holidayOn(addDays(easter, 50), '75')).toBe('Lundi de Pentecôte');
        expect(holidayOn(addDays(easter, -2), '75')).toBeNull();
        expect(holidayOn(addDays(easter, -2), '67')).toBe('Vendredi saint');
      }),
      { numRuns: 301 },
    );
  });
});

describe('public holidays', () => {
  it('lists the 11 national days, sorted, with French names', () => {
    expect(names(2026, '75')).toEqual([
      "2026-01-01 Jour de l'an",
      '2026-04-06 Lundi de Pâques',
      '2026-05-01 Fête du Travail',
      '2026-05-08 Victoire 1945',
      '2026-05-14 Ascension',
      '2026-05-25 Lundi de Pentecôte',
      '2026-07-14 Fête nationale',
      '2026-08-15 Assomption',
      '2026-11-01 Toussaint',
      '2026-11-11 Armistice 1918',
      '2026-12-25 Noël',
    ]);
    expect(names(2026, '2A')).toEqual(names(2026, '75'));
  });

  it('adds Vendredi saint and Saint-Étienne in Alsace-Moselle (57, 67, 68) only', () => {
    for (const department of ['57', '67', '68']) {
      const list = publicHolidays(2026, department);
      expect(list).toHaveLength(13);
      expect(list).toContainEqual({ date: '2026-04-03', name: 'Vendredi saint' });
      expect(list).toContainEqual({ date: '2026-12-26', name: 'Saint-Étienne' });
    }
    expect(holidayOn('2026-12-26', '54')).toBeNull();
    expect(holidayOn('2027-03-26', '57')).toBe('Vendredi saint');
  });

  it.each([
    ['971', '05-27'],
    ['972', '05-22'],
    ['973', '06-10'],
    ['974', '12-20'],
    ['976', '04-27'],
    ['977', '10-09'],
    ['978', '05-28'],
  ])('adds the abolition of slavery in %s on %s', (department, day) => {
    expect(holidayOn(`2026-${day}`, department)).toBe('Abolition de l’esclavage');
    expect(publicHolidays(2026, department)).toHaveLength(12);
  });

  it('gives the other overseas territories (975, 986, 987, 988) the national list', () => {
    for (const department of ['975', '986', '987', '988']) expect(names(2027, department)).toEqual(names(2027, '75'));
  });

  it('uses Monaco’s own list', () => {
    expect(names(2026, 'MC')).toEqual([
      "2026-01-01 Jour de l'an",
      '2026-01-27 Sainte-Dévote',
      '2026-04-06 Lundi de Pâques',
      '2026-05-01 Fête du Travail',
      '2026-05-14 Ascension',
      '2026-05-25 Lundi de Pentecôte',
      '2026-06-04 Fête-Dieu',
      '2026-08-15 Assomption',
      '2026-11-01 Toussaint',
      '2026-11-19 Fête du Prince',
      '2026-12-08 Immaculée Conception',
      '2026-12-25 Noël',
    ]);
    expect(holidayOn('2026-07-14', 'MC')).toBeNull();
    expect(holidayOn('2026-11-19', 'mc')).toBe('Fête du Prince');
  });

  it('uses Andorra’s principal list', () => {
    const list = publicHolidays(2026, 'AD');
    expect(list.map((h) => h.date)).toEqual([
      '2026-01-01', '2026-01-06', '2026-03-14', '2026-04-06', '2026-05-01', '2026-05-25',
      '2026-08-15', '2026-09-08', '2026-11-01', '2026-12-08', '2026-12-25', '2026-12-26',
    ]);
    expect(holidayOn('2026-09-08', 'AD')).toBe('Notre-Dame de Meritxell');
  });

  it('keeps one entry per date when two holidays coincide (Ascension on 1 May 2008)', () => {
    const list = publicHolidays(2008, '75');
    expect(list.filter((h) => h.date === '2008-05-01')).toHaveLength(1);
    expect(new Set(list.map((h) => h.date)).size).toBe(list.length);
  });
});
