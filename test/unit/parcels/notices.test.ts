/**
 * The notices' rules, by hand-worked cases: what a change brings, when each
 * may go out (quiet hours; a deadline-day reminder through them, never at
 * night), the reminders' days, and one message for notices due together.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { changeNotices, deadlineNotices, deliverAfter, mergedMessage, noticeKey } from '../../../worker/parcels/notices';
import type { StoredState } from '../../../worker/parcels/store';

const base: StoredState = {
  trackingNumber: 'RB123456785FR', eventCount: 2, step: 2, delivered: false, incidents: [], product: 'colissimo', promisedDate: null,
  waitingLocationId: null, waitingSince: null, shelf: null, postcodeMac: null, lastEventAt: 1_000, lastCode: 'ET1',
};
const place = { name: 'Lyon Bellecour', commune: 'Lyon', deadlineLabel: 'mercredi 16 décembre à 18 h 00' };

describe('what a change brings', () => {
  it('an arrival at a point names the place and the deadline; seen again, nothing', () => {
    const arrived = { ...base, step: 4, waitingLocationId: 'L1', waitingSince: 5_000, lastCode: 'AG1', lastEventAt: 5_000, eventCount: 3 };
    const [notice, ...rest] = changeNotices(base, arrived, place);
    expect(rest).toEqual([]);
    expect(notice).toMatchObject({ kind: 'arrived', about: '5000', timing: 'can_wait' });
    expect(notice!.line).toBe('Votre colis RB123456785FR vous attend : Lyon Bellecour (Lyon). À retirer avant le mercredi 16 décembre à 18 h 00.');
    expect(changeNotices(arrived, { ...arrived, eventCount: 4 }, place)).toEqual([]);
  });

  it('out for delivery, delivered (or handed over at the counter), and each new incident', () => {
    expect(changeNotices(base, { ...base, step: 4, lastCode: 'MD2', lastEventAt: 7_000 }, null).map((n) => n.kind)).toEqual(['out_for_delivery']);
    expect(changeNotices(base, { ...base, step: 5, delivered: true, lastCode: 'DI1' }, null)[0]!.line).toBe('Votre colis RB123456785FR a été livré.');
    expect(changeNotices(base, { ...base, step: 5, delivered: true, lastCode: 'DI2' }, null)[0]!.line).toBe('Votre colis RB123456785FR vous a été remis au guichet.');
    const problem = changeNotices(base, { ...base, incidents: ['probleme'], lastEventAt: 9_000 }, null);
    expect(problem).toMatchObject([{ kind: 'incident', about: 'probleme:9000' }]);
    expect(changeNotices({ ...base, incidents: ['probleme'] }, { ...base, incidents: ['probleme'], lastEventAt: 9_500 }, null)).toEqual([]);
  });
});

describe('when a notice may go out', () => {
  const paris = (start: string, end: string) => ({ start, end, timeZone: 'Europe/Paris' });

  it('after the person’s quiet hours, in their time zone', () => {
    // 23:30 in Paris on 1 December 2026 (UTC+1), quiet 22:00–07:30: at 07:30 the next morning.
    const now = new Date('2026-12-01T22:30:00Z');
    expect(new Date(deliverAfter('can_wait', now, paris('22:00', '07:30'))).toISOString()).toBe('2026-12-02T06:30:00.000Z');
    // 12:00, outside quiet hours: at once.
    const noon = new Date('2026-12-01T11:00:00Z');
    expect(deliverAfter('can_wait', noon, paris('22:00', '07:30'))).toBe(noon.getTime());
  });

  it('on the deadline’s day, through quiet hours but never at night', () => {
    // Quiet over lunch (12:00–14:00): the deadline-day reminder does not wait.
    const lunch = new Date('2026-12-01T11:30:00Z');
    expect(deliverAfter('deadline_day', lunch, paris('12:00', '14:00'))).toBe(lunch.getTime());
    expect(deliverAfter('can_wait', lunch, paris('12:00', '14:00'))).toBe(new Date('2026-12-01T13:00:00Z').getTime());
    // At 02:00 in Paris it waits for 08:00, even for someone with no quiet hours at all.
    const night = new Date('2026-12-01T01:00:00Z');
    expect(new Date(deliverAfter('deadline_day', night, paris('00:00', '00:00'))).toISOString()).toBe('2026-12-01T07:00:00.000Z');
  });

  it('never before now, and a can-wait notice never inside the quiet window', () => {
    fc.assert(fc.property(
      fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2027, 11, 31) }), fc.integer({ min: 0, max: 1439 }), fc.integer({ min: 0, max: 1439 }),
      (ms, start, end) => {
        const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
        const quiet = paris(hhmm(start), hhmm(end));
        const at = deliverAfter('can_wait', new Date(ms), quiet);
        expect(at).toBeGreaterThanOrEqual(ms);
        // The local minute it goes out at is outside [start, end) (or the very end of it).
        const local = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(at));
        const minute = Number(local.slice(0, 2)) * 60 + Number(local.slice(3, 5));
        const inside = start === end ? false : start < end ? minute >= start && minute < end : minute >= start || minute < end;
        expect(inside && at !== ms + 60_000).toBe(false);
      },
    ), { numRuns: 300 });
  });
});

describe('reminders', () => {
  const deadline = { at: Date.parse('2026-12-16T17:00:00Z'), date: '2026-12-16', closes: '18:00' };
  it('nothing before the last 2 days; a reminder within them; the deadline-day notice on the day; nothing after', () => {
    const at = (iso: string, local: string) => deadlineNotices('RB123456785FR', 1, deadline, place, Date.parse(iso), local).map((n) => n.kind);
    expect(at('2026-12-14T16:00:00Z', '2026-12-14')).toEqual([]);
    expect(at('2026-12-14T17:30:00Z', '2026-12-14')).toEqual(['reminder']);
    expect(at('2026-12-16T07:00:00Z', '2026-12-16')).toEqual(['deadline_day']);
    expect(at('2026-12-16T17:00:00Z', '2026-12-16')).toEqual([]);
  });
  it('keys a notice by person, parcel, kind and what it is about', () => {
    expect(noticeKey('customer:c1', { trackingNumber: 'RB123456785FR', kind: 'reminder', about: '1' })).toBe('customer:c1|RB123456785FR|reminder|1');
  });
});

describe('one message for notices due together', () => {
  it('names the single notice in the subject, counts several, and links each parcel once', () => {
    const link = (n: string) => `https://guichet.example/suivi/${n}`;
    expect(mergedMessage([{ trackingNumber: 'A', kind: 'delivered', line: 'Votre colis A a été livré.' }], link, 'pied').subject).toBe('Votre colis A est arrivé');
    const merged = mergedMessage([
      { trackingNumber: 'A', kind: 'arrived', line: 'ligne 1' }, { trackingNumber: 'B', kind: 'out_for_delivery', line: 'ligne 2' }, { trackingNumber: 'A', kind: 'reminder', line: 'ligne 3' },
    ], link, 'pied');
    expect(merged.subject).toBe('Vos colis : 3 nouvelles');
    expect(merged.text.match(/suivi\/A/g)).toHaveLength(1);
    expect(merged.text).toContain('- ligne 1\n- ligne 3\n  Suivi : https://guichet.example/suivi/A');
    expect(merged.text.trimEnd().endsWith('pied')).toBe(true);
  });
});
