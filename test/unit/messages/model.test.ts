/**
 * Quiet hours and retries (worker/messages/model.ts), against wall clocks
 * computed here with Intl, independently of the hours engine.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deliverableAt, delayFor, MAX_DELAY_S, retryDelay } from '../../../worker/messages/model';

/** Local minute of day of `at` in `zone`, read with Intl. */
function wallMinute(at: Date, zone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return get('hour') * 60 + get('minute');
}

const ZONES = ['Europe/Paris', 'America/Martinique', 'Indian/Reunion', 'Pacific/Noumea', 'America/Miquelon', 'Pacific/Tahiti'];
const quiet = (timeZone: string) => ({ start: '21:00', end: '08:00', timeZone });
const inQuiet = (minute: number) => minute >= 21 * 60 || minute < 8 * 60;

describe('quiet hours', () => {
  it('a message that can wait is never delivered inside them, nor before it was sent, nor more than 11 hours later', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('2025-01-01'), max: new Date('2030-12-31'), noInvalidDate: true }), fc.constantFrom(...ZONES), (now, zone) => {
        const at = deliverableAt(now, quiet(zone));
        expect(at.getTime()).toBeGreaterThanOrEqual(now.getTime());
        expect(at.getTime() - now.getTime()).toBeLessThanOrEqual(11 * 3600_000 + 3600_000); // 11 h, one more on a DST night
        expect(inQuiet(wallMinute(at, zone)), `${now.toISOString()} ${zone} → ${at.toISOString()}`).toBe(false);
        if (!inQuiet(wallMinute(now, zone))) expect(at).toEqual(now);
      }),
      { numRuns: 2000 },
    );
  });

  it('ends at 08:00 local time: an evening message waits for the next morning', () => {
    // 22:30 in Paris on 24 November 2026 (UTC+1) → 08:00 on the 25th, 07:00Z.
    expect(deliverableAt(new Date('2026-11-24T21:30:00Z'), quiet('Europe/Paris')).toISOString()).toBe('2026-11-25T07:00:00.000Z');
    // 03:00 in Nouméa (UTC+11) → 08:00 the same day.
    expect(deliverableAt(new Date('2026-11-24T16:00:00Z'), quiet('Pacific/Noumea')).toISOString()).toBe('2026-11-24T21:00:00.000Z');
  });

  it('an urgent message (a sign-in code) goes at once; a delay never exceeds what a queue accepts', () => {
    const base = { id: 'test:quiet:1', channel: 'email' as const, to: 'a@exemple.fr', subject: 's', text: 't', quietHours: quiet('Europe/Paris') };
    const night = new Date('2026-11-24T22:30:00Z'); // 23:30 in Paris
    expect(delayFor({ ...base, urgent: true }, night)).toBe(0);
    expect(delayFor({ ...base, urgent: false }, night)).toBe(8.5 * 3600);
    const always = { ...base, urgent: false, quietHours: { start: '08:00', end: '07:59', timeZone: 'Europe/Paris' } };
    expect(delayFor(always, new Date('2026-11-24T07:00:00Z'))).toBeLessThanOrEqual(MAX_DELAY_S);
  });
});

describe('retries', () => {
  it('wait longer each time, an hour at most', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(retryDelay)).toEqual([30, 60, 120, 240, 480, 960, 1920, 3600]);
  });
});
