/**
 * The affluence as the API answers it and the office page shows it, on
 * histograms written out by hand: the visible window, Monday first, the
 * words of a level, the bar classes, today's day in the office's zone, the
 * live sentence and how long a page showing it holds.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Histogram, HistogramDay } from '../../../worker/affluence/histogram';
import {
  affluenceSection, levelWord, presentAffluence, sectionHoldsUntil, spokenTime, visibleSpan, widthClass,
} from '../../../worker/affluence/present';

/** A day whose quarters `levels` (quarter index → level) are visible, the rest hidden; mean = level / 10. */
function day(weekday: number, levels: Record<number, number> = {}, observedDays = 13): HistogramDay {
  const slots = Array.from({ length: 96 }, (_, q) => {
    const level = levels[q] ?? null;
    const h = String(Math.floor(q / 4)).padStart(2, '0');
    return { time: `${h}:${String((q % 4) * 15).padStart(2, '0')}`, level, mean: level === null ? null : level / 10 };
  });
  const means = Object.values(levels).map((l) => l / 10);
  return { weekday, observedDays, peakMean: means.length ? Math.max(...means) : null, slots };
}

const week = (days: Record<number, Record<number, number>>): Histogram => ({
  weekdays: [1, 2, 3, 4, 5, 6, 7].map((w) => day(w, days[w] ?? {}, days[w] ? 13 : 0)),
});

describe('visibleSpan', () => {
  it('runs from the first visible quarter to the last, hidden ones inside kept as null', () => {
    // 09:00 = 36, 12:00 = 48: 36, 37 visible, 38–47 hidden (lunch), 48 visible.
    const span = visibleSpan(day(2, { 36: 40, 37: 100, 48: 55 }));
    expect(span.map((s) => s.time)).toEqual(['09:00', '09:15', '09:30', '09:45', '10:00', '10:15', '10:30', '10:45', '11:00', '11:15', '11:30', '11:45', '12:00']);
    expect(span[0]!.level).toBe(40);
    expect(span.slice(2, 12).every((s) => s.level === null)).toBe(true);
    expect(span.at(-1)!.level).toBe(55);
  });

  it('is empty when every quarter is hidden', () => {
    expect(visibleSpan(day(7))).toEqual([]);
  });
});

describe('presentAffluence', () => {
  const office = { id: 'D000123', timeZone: 'Europe/Paris' };
  const now = new Date('2026-11-24T09:05:00Z');

  it('answers seven weekdays, Monday first, each with its visible window and the hiding rule', () => {
    const answer = presentAffluence(office, { histogram: week({ 6: { 40: 100, 41: 37 } }), live: { arrivals: 3, level: 25, usual: 60 } }, now);
    expect(answer.weekdays.map((d) => d.name)).toEqual(['lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi', 'dimanche']);
    expect(answer.weekdays.map((d) => d.weekday)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(answer.weekdays[5]).toEqual({ weekday: 6, name: 'samedi', observed_days: 13, slots: [{ time: '10:00', level: 100, mean: 10 }, { time: '10:15', level: 37, mean: 3.7 }] });
    expect(answer.weekdays[0]!.slots).toEqual([]);
    expect(answer.min_observations).toBe(10);
    expect(answer.hiding_rule).toContain('10 arrivées');
    expect(answer.live).toEqual({ at: '2026-11-24T09:05:00.000Z', level: 25, usual: 60, arrivals: 3 });
  });

  it('answers empty days and no live level for an office where nothing was counted', () => {
    const answer = presentAffluence(office, { histogram: null, live: null }, now);
    expect(answer.weekdays.every((d) => d.slots.length === 0 && d.observed_days === 0)).toBe(true);
    expect(answer.live).toBeNull();
  });
});

describe('levelWord', () => {
  it('follows the alert thresholds: below 30 calm, from 55 busy', () => {
    expect([0, 29, 30, 54, 55, 84, 85, 140].map(levelWord))
      .toEqual(['calme', 'calme', 'peu chargé', 'peu chargé', 'assez chargé', 'assez chargé', 'très chargé', 'très chargé']);
  });
});

describe('widthClass and spokenTime', () => {
  it('rounds a level to the nearest 5 % step, capped at 100', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 300 }), (level) => {
      const step = Number(/^w(\d+)$/.exec(widthClass(level))![1]);
      expect(step % 5).toBe(0);
      expect(step).toBeLessThanOrEqual(100);
      if (level <= 100) expect(Math.abs(step - level)).toBeLessThanOrEqual(2.5);
      else expect(step).toBe(100);
    }));
  });

  it('says a time as French reads it', () => {
    expect(spokenTime('10:15')).toBe('10 h 15');
    expect(spokenTime('09:00')).toBe('9 h 00');
  });
});

describe('affluenceSection', () => {
  const histogram = week({ 1: { 36: 50 }, 6: { 40: 100 }, 7: { 40: 80 } });

  it('puts today first, by the office’s own calendar', () => {
    // Saturday 23:30 UTC is already Sunday 00:30 in Paris, still Saturday in Martinique.
    const at = new Date('2026-11-28T23:30:00Z');
    const paris = affluenceSection({ histogram, live: null }, 'Europe/Paris', at)!;
    expect(paris.days.map((d) => [d.name, d.today])).toEqual([['dimanche', true], ['lundi', false], ['samedi', false]]);
    const martinique = affluenceSection({ histogram, live: null }, 'America/Martinique', at)!;
    expect(martinique.days.map((d) => [d.name, d.today])).toEqual([['samedi', true], ['lundi', false], ['dimanche', false]]);
    expect(martinique.days[0]!.bars).toEqual([{ time: '10 h 00', level: 100, widthClass: 'w100' }]);
  });

  it('names today even when it shows no bar', () => {
    const tuesday = affluenceSection({ histogram, live: null }, 'Europe/Paris', new Date('2026-11-24T10:00:00Z'))!;
    expect(tuesday.todayName).toBe('mardi');
    expect(tuesday.days.some((d) => d.today)).toBe(false);
  });

  it('is null when nothing is visible', () => {
    expect(affluenceSection({ histogram: week({}), live: { arrivals: 4, level: 20, usual: null } }, 'Europe/Paris', new Date())).toBeNull();
    expect(affluenceSection({ histogram: null, live: null }, 'Europe/Paris', new Date())).toBeNull();
  });

  it('says the live level beside the usual one, or why it cannot compare', () => {
    const now = new Date('2026-11-23T09:00:00Z');
    expect(affluenceSection({ histogram, live: { arrivals: 1, level: 20, usual: 70 } }, 'Europe/Paris', now)!.liveSentence)
      .toBe('En ce moment : calme (20 %) — d’habitude à cette heure : assez chargé (70 %).');
    expect(affluenceSection({ histogram, live: { arrivals: 2, level: 60, usual: null } }, 'Europe/Paris', now)!.liveSentence)
      .toBe('En ce moment : assez chargé (60 %) — trop peu de visites observées pour comparer.');
    // Nobody came and nobody usually comes (closed): nothing to say.
    expect(affluenceSection({ histogram, live: { arrivals: 0, level: 0, usual: null } }, 'Europe/Paris', now)!.liveSentence).toBeNull();
    expect(affluenceSection({ histogram, live: { arrivals: 3, level: null, usual: null } }, 'Europe/Paris', now)!.liveSentence).toBeNull();
  });
});

describe('sectionHoldsUntil', () => {
  const now = new Date('2026-11-23T09:07:30Z');
  const far = new Date('2026-11-23T11:00:00Z');
  const histogram = week({ 1: { 40: 100 } });
  const withLive = affluenceSection({ histogram, live: { arrivals: 2, level: 40, usual: 100 } }, 'Europe/Paris', now);
  const withoutLive = affluenceSection({ histogram, live: { arrivals: 0, level: 0, usual: null } }, 'Europe/Paris', now);

  it('keeps a page with a live level 2 minutes, one without until the next quarter, never past holdsUntil', () => {
    expect(sectionHoldsUntil(withLive, far, now).toISOString()).toBe('2026-11-23T09:09:30.000Z');
    expect(sectionHoldsUntil(withoutLive, far, now).toISOString()).toBe('2026-11-23T09:15:00.000Z');
    const soon = new Date('2026-11-23T09:08:00Z');
    expect(sectionHoldsUntil(withLive, soon, now)).toEqual(soon);
    expect(sectionHoldsUntil(null, far, now)).toEqual(far);
  });
});
