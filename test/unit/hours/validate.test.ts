import { describe, expect, it } from 'vitest';
import { validateException, validateWeekly } from '../../../worker/hours/validate';

const rule = (day: number, opens: string, closes: string) => ({ day, opens, closes });

describe('weekly rules', () => {
  it('accepts a normal week, touching intervals, overnight ones and 48:00', () => {
    expect(validateWeekly([
      rule(1, '09:00', '12:00'), rule(1, '12:00', '17:30'), rule(6, '09:00', '12:00'),
      rule(5, '22:00', '26:00'), rule(3, '10:00', '48:00'), rule(2, '00:00', '24:00'),
    ])).toEqual([]);
    expect(validateWeekly([])).toEqual([]);
  });

  it('names the field and says what is wrong with a time', () => {
    expect(validateWeekly([rule(1, '9:00', '12:00')])).toEqual([{ name: 'rules[0].opens', reason: 'heure attendue au format HH:MM (00:00 à 23:59) : « 9:00 »' }]);
    expect(validateWeekly([rule(1, '09:00', '12:75')])).toEqual([{ name: 'rules[0].closes', reason: 'heure attendue au format HH:MM (00:00 à 48:00) : « 12:75 »' }]);
    expect(validateWeekly([rule(1, '24:00', '26:00')])).toEqual([{ name: 'rules[0].opens', reason: 'ouverture 24:00 hors de 00:00 à 23:59' }]);
    expect(validateWeekly([rule(1, '22:00', '48:30')])).toEqual([{ name: 'rules[0].closes', reason: 'fermeture 48:30 hors de 00:00 à 48:00' }]);
    expect(validateWeekly([{ day: 1, opens: 900, closes: null }])).toHaveLength(2);
  });

  it('refuses empty and inverted intervals, suggesting the after-midnight form', () => {
    expect(validateWeekly([rule(2, '09:00', '09:00')])).toEqual([{ name: 'rules[0]', reason: 'intervalle vide : 09:00–09:00' }]);
    expect(validateWeekly([rule(2, '12:00', '09:00')])).toEqual([
      { name: 'rules[0]', reason: 'intervalle inversé : 12:00 avant 09:00 (après minuit, écrire 33:00)' },
    ]);
  });

  it('refuses a bad day', () => {
    expect(validateWeekly([rule(0, '09:00', '12:00'), rule(8, '09:00', '12:00')]).map((i) => i.name)).toEqual(['rules[0].day', 'rules[1].day']);
    expect(validateWeekly([{ day: '1', opens: '09:00', closes: '12:00' }])[0].reason).toBe('jour attendu de 1 (lundi) à 7 (dimanche) : « 1 »');
  });

  it('refuses overlaps on the same weekday, naming the other rule', () => {
    expect(validateWeekly([rule(1, '08:00', '09:00'), rule(1, '10:00', '12:00'), rule(1, '11:00', '13:00')])).toEqual([
      { name: 'rules[2]', reason: 'chevauche rules[1] (lundi 10:00–12:00)' },
    ]);
    expect(validateWeekly([rule(3, '09:00', '12:00'), rule(3, '09:00', '12:00')])).toEqual([
      { name: 'rules[1]', reason: 'chevauche rules[0] (mercredi 09:00–12:00)' },
    ]);
  });

  it('refuses an overnight interval that runs into the next weekday’s, Sunday into Monday', () => {
    expect(validateWeekly([rule(1, '22:00', '26:00'), rule(2, '01:00', '03:00')])).toEqual([
      { name: 'rules[1]', reason: 'chevauche rules[0] (lundi 22:00–26:00)' },
    ]);
    expect(validateWeekly([rule(1, '08:00', '12:00'), rule(7, '20:00', '33:00')])).toEqual([
      { name: 'rules[0]', reason: 'chevauche rules[1] (dimanche 20:00–33:00)' },
    ]);
    // Ending exactly when the next day opens is fine.
    expect(validateWeekly([rule(7, '20:00', '32:00'), rule(1, '08:00', '12:00')])).toEqual([]);
  });

  it('refuses what is not a list of rules', () => {
    expect(validateWeekly({})).toEqual([{ name: 'rules', reason: 'liste de règles attendue' }]);
    expect(validateWeekly([null])).toEqual([{ name: 'rules[0]', reason: 'règle attendue : { day, opens, closes }' }]);
  });
});

describe('exceptions', () => {
  const TODAY = '2026-11-23';
  const closure = { startDate: '2026-11-24', endDate: '2026-11-24', closed: true, intervals: [] };

  it('accepts a closure, special hours over a range, an open-ended closure, and today', () => {
    expect(validateException(closure, TODAY)).toEqual([]);
    expect(validateException({ startDate: '2026-12-01', endDate: '2026-12-24', closed: false, intervals: [{ opens: '10:00', closes: '12:00' }, { opens: '22:00', closes: '34:00' }] }, TODAY)).toEqual([]);
    expect(validateException({ ...closure, startDate: TODAY, endDate: null }, TODAY)).toEqual([]);
  });

  it('accepts the API’s snake_case too', () => {
    expect(validateException({ start_date: '2026-11-24', end_date: null, closed: true, intervals: [] }, TODAY)).toEqual([]);
  });

  it('refuses bad or past dates and an end before the start', () => {
    expect(validateException({ ...closure, startDate: '2026-02-30', endDate: '2026-04-31' }, TODAY)).toEqual([
      { name: 'start_date', reason: 'date impossible : 2026-02-30 n’existe pas' },
      { name: 'end_date', reason: 'date impossible : 2026-04-31 n’existe pas' },
    ]);
    expect(validateException({ ...closure, startDate: '2026-1-24' }, TODAY)).toEqual([
      { name: 'start_date', reason: 'date attendue au format AAAA-MM-JJ : « 2026-1-24 »' },
    ]);
    expect(validateException({ ...closure, endDate: '2201-01-01' }, TODAY)).toEqual([
      { name: 'end_date', reason: 'année hors de 1970–2200 : 2201-01-01' },
    ]);
    expect(validateException({ ...closure, startDate: '2026-11-22' }, TODAY)).toEqual([
      { name: 'start_date', reason: 'date passée : 2026-11-22 est avant aujourd’hui (2026-11-23)' },
    ]);
    expect(validateException({ ...closure, endDate: '2026-11-20' }, TODAY)).toEqual([
      { name: 'end_date', reason: 'end_date avant start_date : 2026-11-20 est avant 2026-11-24' },
    ]);
    expect(validateException({ ...closure, endDate: '24/11/2026' }, TODAY)[0].name).toBe('end_date');
  });

  it('needs intervals exactly when open', () => {
    expect(validateException({ ...closure, intervals: [{ opens: '10:00', closes: '12:00' }] }, TODAY)).toEqual([
      { name: 'intervals', reason: 'une fermeture ne peut pas avoir d’intervalles' },
    ]);
    expect(validateException({ ...closure, closed: false }, TODAY)).toEqual([
      { name: 'intervals', reason: 'au moins un intervalle attendu (ou closed: true pour fermer)' },
    ]);
    expect(validateException({ ...closure, closed: 'yes' }, TODAY)[0].name).toBe('closed');
  });

  it('checks each interval like a weekly rule', () => {
    const special = (intervals: Array<{ opens: string; closes: string }>, endDate: string | null = '2026-11-24') =>
      validateException({ startDate: '2026-11-24', endDate, closed: false, intervals }, TODAY);
    expect(special([{ opens: '12:00', closes: '09:00' }])).toEqual([
      { name: 'intervals[0]', reason: 'intervalle inversé : 12:00 avant 09:00 (après minuit, écrire 33:00)' },
    ]);
    expect(special([{ opens: '09:00', closes: '12:00' }, { opens: '11:00', closes: '14:00' }])).toEqual([
      { name: 'intervals[1]', reason: 'chevauche intervals[0] (09:00–12:00)' },
    ]);
    expect(special([{ opens: '09:00', closes: '09:00' }])).toEqual([{ name: 'intervals[0]', reason: 'intervalle vide : 09:00–09:00' }]);
    // Over several days, an interval past midnight reaches the next day's intervals.
    expect(special([{ opens: '08:00', closes: '12:00' }, { opens: '22:00', closes: '33:00' }], '2026-11-30')).toEqual([
      { name: 'intervals[0]', reason: 'chevauche intervals[1] (22:00–33:00)' },
    ]);
    expect(special([{ opens: '08:00', closes: '12:00' }, { opens: '22:00', closes: '33:00' }])).toEqual([]);
    expect(special([{ opens: '10:00', closes: '40:00' }], null)).toEqual([
      { name: 'intervals[0]', reason: 'dure plus de 24 h : chevauche le même intervalle le lendemain' },
    ]);
  });
});
