import { describe, expect, it } from 'vitest';
import { demoSchedule } from '../../../tools/demo/hours';
import { DEMO_SEED, generateDemoNetwork } from '../../../tools/demo/network';
import { statusAt } from '../../../worker/hours/engine';
import { validateException, validateWeekly } from '../../../worker/hours/validate';
import { instantAt } from '../../../worker/hours/zoned-time';

const TODAY = '2026-11-23';
const network = generateDemoNetwork(DEMO_SEED, 3000);
const schedules = network.map((l) => ({ location: l, schedule: demoSchedule(l, TODAY) }));

describe('demo hours', () => {
  it('are deterministic, and valid', () => {
    expect(network.slice(0, 50).map((l) => demoSchedule(l, TODAY))).toEqual(schedules.slice(0, 50).map((s) => s.schedule));
    for (const { schedule } of schedules) {
      expect(validateWeekly(schedule.weekly)).toEqual([]);
      for (const e of schedule.exceptions) expect(validateException(e, TODAY)).toEqual([]);
    }
  });

  it('keep the location’s zone and département', () => {
    for (const { location, schedule } of schedules) {
      expect(schedule).toMatchObject({ timeZone: location.timeZone, department: location.department });
    }
  });

  it('give a few locations a closure in the coming weeks, never in the past', () => {
    const closures = schedules.filter((s) => s.schedule.exceptions.some((e) => e.closed));
    expect(closures.length).toBeGreaterThan(0);
    expect(closures.length).toBeLessThan(schedules.length * 0.1);
    for (const { schedule } of schedules) for (const e of schedule.exceptions) expect(e.startDate >= TODAY).toBe(true);
  });

  it('open post offices on weekday mornings and close them on Sunday', () => {
    const offices = schedules.filter((s) => s.location.type === 'post_office');
    expect(offices.length).toBeGreaterThan(100);
    for (const { schedule } of offices) {
      expect(schedule.weekly.some((r) => r.day === 2)).toBe(true);
      expect(schedule.weekly.some((r) => r.day === 7)).toBe(false);
      // Tuesday 24 November 2026 at 10:00 local time.
      const exceptionThatDay = schedule.exceptions.some((e) => e.startDate <= '2026-11-24' && (e.endDate ?? '9999') >= '2026-11-24');
      if (!exceptionThatDay) expect(statusAt(schedule, instantAt('2026-11-24', '10:00', schedule.timeZone)).open).toBe(true);
    }
  });

  it('keep parcel lockers open around the clock, public holidays included, with no exception per holiday', () => {
    const lockers = schedules.filter((s) => s.location.type === 'parcel_locker');
    expect(lockers.length).toBeGreaterThan(100);
    for (const { location, schedule } of schedules) expect(schedule.openOnHolidays).toBe(location.type === 'parcel_locker');
    for (const { schedule } of lockers) {
      expect(schedule.exceptions).toEqual([]);
      for (const when of ['2026-11-24', '2026-12-25', '2027-01-01']) {
        expect(statusAt(schedule, instantAt(when, '03:00', schedule.timeZone))).toMatchObject({ open: true, closesAt: null });
      }
    }
  });

  it('vary by kind: relays keep long shop hours', () => {
    const relays = schedules.filter((s) => s.location.type === 'partner_relay');
    for (const { schedule } of relays) expect(schedule.weekly.some((r) => r.day === 6 && r.closes >= '19:00')).toBe(true);
  });
});
