/**
 * The demo parcels `npm start` seeds: deterministic apart from the clock,
 * valid numbers and events, every stage present, each at the place and at
 * the step its stage name promises. Expectations come from tables written
 * here from the stage names and La Poste's codes, not from the generator.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import type { LocationType } from '../../db/vocabulary';
import { demoSchedule } from '../../tools/demo/hours';
import { DEMO_SEED, generateDemoNetwork } from '../../tools/demo/network';
import { DEMO_CARRIER, DEMO_PARCEL_COUNT, DEMO_STAGES, type DemoParcel, demoParcels, type DemoStage, demoTrackingNumbers, parcelsByStage } from '../../tools/demo/parcels';
import { localParts } from '../../worker/hours/zoned-time';
import { CarrierEvent } from '../../worker/parcels/api-schema';
import { collectionDeadline, DEFAULT_HOLDING_DAYS } from '../../worker/parcels/deadline';
import { silenceOf } from '../../worker/parcels/silence';
import { parcelState } from '../../worker/parcels/timeline';
import { parseTrackingNumber } from '../../worker/parcels/tracking-number';

const network = generateDemoNetwork(DEMO_SEED, 6000);
const byId = new Map(network.map((l) => [l.id, l]));
const NOW = new Date('2026-11-26T10:00:00Z');
const parcels = demoParcels(network, NOW);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const RELAYS = ['partner_relay', 'parcel_shop'] as const;
/** What each stage promises, from its name: the step reached, the incidents open, where it waits. */
const PROMISED: Record<DemoStage, { step: number; delivered?: true; incidents?: string[]; waitsAt?: readonly LocationType[]; last: string }> = {
  announced: { step: 0, last: 'DR1' },
  taken_in_charge: { step: 1, last: 'PC1' },
  in_transit: { step: 2, last: 'ET1' },
  at_distribution_site: { step: 3, last: 'EP1' },
  out_for_delivery: { step: 4, last: 'MD2' },
  // Avisé during the round: the round was step 4, and the timeline never goes back.
  notice_left: { step: 4, incidents: ['avise'], last: 'ND1' },
  waiting_post_office: { step: 4, waitsAt: ['post_office'], last: 'AG1' },
  waiting_relay: { step: 4, waitsAt: RELAYS, last: 'AG1' },
  waiting_locker: { step: 4, waitsAt: ['parcel_locker'], last: 'AG1' },
  deadline_soon: { step: 4, waitsAt: ['parcel_locker'], last: 'AG1' },
  delivered: { step: 5, delivered: true, last: 'DI1' },
  handed_over: { step: 5, delivered: true, waitsAt: ['post_office'], last: 'DI2' },
  problem: { step: 2, incidents: ['probleme'], last: 'PB1' },
  problem_resolved: { step: 3, last: 'EP1' },
  returned: { step: 4, incidents: ['avise', 'retour'], last: 'RE1' },
  silent: { step: 2, last: 'ET1' },
};

const stateOf = (parcel: DemoParcel) =>
  parcelState(parcel.events.map((e) => ({ eventId: e.event_id, code: e.code, occurredAt: Date.parse(e.occurred_at), locationId: e.location_id })));

/** What does not depend on the clock: everything but instants and promised dates, and the instants' distance to `now`. */
const shape = (list: DemoParcel[], now: Date) =>
  list.map((p) => ({
    ...p,
    events: p.events.map(({ occurred_at, promised_date: _, ...rest }) => ({ ...rest, ago: now.getTime() - Date.parse(occurred_at) })),
  }));

describe('demo parcels', () => {
  it('come from the demo carrier, whose id has the carriers’ shape', () => {
    expect(DEMO_CARRIER.id).toMatch(/^car_[a-z0-9]{12}$/);
    expect(parcels).toHaveLength(DEMO_PARCEL_COUNT);
  });

  it('are the same parcels, at the same distance in time, whatever the clock', () => {
    const sample = demoParcels(network, NOW, 200);
    fc.assert(
      fc.property(fc.date({ min: new Date('2024-01-01T00:00:00Z'), max: new Date('2030-12-31T00:00:00Z'), noInvalidDate: true }), (now) => {
        expect(shape(demoParcels(network, now, 200), now)).toEqual(shape(sample, NOW));
      }),
      { numRuns: 25 },
    );
  });

  it('are the first parcels of a larger set, and other indices give other numbers', () => {
    expect(demoParcels(network, NOW, 40)).toEqual(parcels.slice(0, 40));
    // Numbers and stages do not depend on the network (places do): the README's numbers hold on any demo network.
    const smaller = demoParcels(generateDemoNetwork(DEMO_SEED, 1500), NOW, 300);
    expect(smaller.map((p) => [p.trackingNumber, p.stage])).toEqual(parcels.slice(0, 300).map((p) => [p.trackingNumber, p.stage]));
    expect(demoTrackingNumbers(300)).toEqual(smaller.map((p) => p.trackingNumber));
    const others = demoParcels(network, NOW, 3000, DEMO_PARCEL_COUNT);
    const numbers = new Set(parcels.map((p) => p.trackingNumber));
    expect(others.filter((p) => numbers.has(p.trackingNumber))).toEqual([]);
  });

  it('have valid, unique tracking numbers of both formats', () => {
    const formats = new Set<string>();
    for (const p of parcels) {
      const parsed = parseTrackingNumber(p.trackingNumber);
      expect(parsed, p.trackingNumber).toMatchObject({ ok: true, number: p.trackingNumber });
      if (parsed.ok) formats.add(parsed.format);
      if (p.trackingNumber.endsWith('FR')) expect(p.trackingNumber).toMatch(/^[A-Z]{2}\d{9}FR$/);
      else expect(p.trackingNumber).toMatch(/^[0-9A-Z]{2}\d{11}$/);
    }
    expect(formats).toEqual(new Set(['s10', 'colissimo']));
    expect(new Set(parcels.map((p) => p.trackingNumber)).size).toBe(parcels.length);
  });

  it('send events a carrier may send: valid, never in the future, in order, the recipient’s postcode first', () => {
    const ids = new Set<string>();
    for (const p of parcels) {
      expect(p.postcode).toMatch(/^\d{5}$/);
      expect(byId.get(p.destinationLocationId)?.postcode).toBe(p.postcode);
      expect(p.events[0]!.recipient_postcode).toBe(p.postcode);
      let previous = -Infinity;
      for (const e of p.events) {
        expect(v.safeParse(CarrierEvent, e).issues).toBeUndefined();
        expect(e.tracking_number).toBe(p.trackingNumber);
        const at = Date.parse(e.occurred_at);
        expect(at).toBeLessThanOrEqual(NOW.getTime());
        expect(at).toBeGreaterThanOrEqual(previous);
        previous = at;
        if (e.location_id) expect(byId.has(e.location_id), e.location_id).toBe(true);
        ids.add(e.event_id);
      }
    }
    expect(ids.size).toBe(parcels.reduce((n, p) => n + p.events.length, 0));
  });

  it('include the parcels the README invites to try, at the stage it says', () => {
    const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
    const examples: Array<[string, DemoStage]> = [
      ['EE314792784FR', 'waiting_locker'], ['EE314871972FR', 'deadline_soon'], ['EE314476022FR', 'out_for_delivery'],
      ['6A27184389219', 'silent'], ['EE315030355FR', 'handed_over'],
    ];
    for (const [number, stage] of examples) {
      expect(readme).toContain(`/suivi/${number}`);
      expect(parcelsByStage(parcels)[stage]?.trackingNumber).toBe(number);
    }
  });

  it('cover every stage, the first parcels one stage each', () => {
    expect(new Set(parcels.map((p) => p.stage))).toEqual(new Set(DEMO_STAGES));
    expect(demoParcels(network, NOW, DEMO_STAGES.length).map((p) => p.stage)).toEqual([...DEMO_STAGES]);
    expect(Object.keys(parcelsByStage(parcels)).sort()).toEqual([...DEMO_STAGES].sort());
  });

  it('wait at a place of the kind their stage names, on a shelf, and that is where they are headed', () => {
    for (const p of parcels) {
      const kinds = PROMISED[p.stage].waitsAt;
      const arrivals = p.events.filter((e) => e.code === 'AG1');
      if (!kinds) {
        expect(arrivals).toEqual([]);
        continue;
      }
      expect(arrivals).toHaveLength(1);
      const arrival = arrivals[0]!;
      expect(kinds).toContain(byId.get(arrival.location_id!)?.type);
      expect(arrival.shelf).toMatch(/^[A-Z]\d{2}$/);
      expect(p.destinationLocationId).toBe(arrival.location_id);
      if (p.stage === 'handed_over') expect(p.events.at(-1)).toMatchObject({ code: 'DI2', location_id: arrival.location_id });
    }
  });

  it('give each parcel, through the timeline, the step its stage promises', () => {
    for (const p of parcels) {
      const promised = PROMISED[p.stage];
      const state = stateOf(p);
      expect({ stage: p.stage, step: state.step, delivered: state.delivered, incidents: state.incidents, last: p.events.at(-1)!.code })
        .toEqual({ stage: p.stage, step: promised.step, delivered: promised.delivered ?? false, incidents: promised.incidents ?? [], last: promised.last });
      if (promised.waitsAt && !promised.delivered) expect(state.waiting?.locationId).toBe(p.destinationLocationId);
      else expect(state.waiting).toBeNull();
    }
  });

  it('are silent for too long only in the `silent` stage (weeks without public holidays)', () => {
    // Thursdays and a Friday whose previous five days hold a Sunday and no public holiday anywhere in France.
    for (const at of ['2026-03-20T10:00:00Z', '2026-10-22T15:00:00Z', '2026-11-26T06:00:00Z']) {
      const now = new Date(at);
      for (const p of demoParcels(network, now, 1000)) {
        const silence = silenceOf(stateOf(p), now, byId.get(p.destinationLocationId)!.department);
        expect({ stage: p.stage, overdue: silence?.overdue ?? false }).toEqual({ stage: p.stage, overdue: p.stage === 'silent' });
      }
    }
  });

  it('due today or tomorrow at its locker, whatever the clock; lockers’ other parcels later', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('2025-01-01T00:00:00Z'), max: new Date('2029-12-31T00:00:00Z'), noInvalidDate: true }), (now) => {
        for (const p of demoParcels(network, now, 400).filter((x) => x.stage === 'deadline_soon' || x.stage === 'waiting_locker')) {
          const locker = byId.get(p.destinationLocationId)!;
          const today = localParts(now, locker.timeZone).date;
          const arrival = p.events.find((e) => e.code === 'AG1')!;
          const deadline = collectionDeadline(demoSchedule(locker, today), new Date(arrival.occurred_at), DEFAULT_HOLDING_DAYS.parcel_locker)!;
          const tomorrow = localParts(now.getTime() + DAY, locker.timeZone).date;
          if (p.stage === 'deadline_soon') expect([today, tomorrow]).toContain(deadline.date);
          else expect(deadline.deadline.getTime()).toBeGreaterThan(now.getTime() + DAY);
        }
      }),
      { numRuns: 30 },
    );
  });
});
