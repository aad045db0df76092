/**
 * The parcel's state from its events: the same whatever the order, the
 * batches and the duplicates (fast-check), never backwards, and the
 * journeys a customer lives through, written out by hand.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENT_CODES } from '../../../worker/parcels/events';
import { parcelState, type ParcelEvent } from '../../../worker/parcels/timeline';

const H = 3600_000;
const T0 = Date.UTC(2026, 10, 20, 8);
const ev = (eventId: string, code: string, hours: number, locationId: string | null = null): ParcelEvent => ({ eventId, code, occurredAt: T0 + hours * H, locationId });

describe('a parcel’s journey', () => {
  it('moves through the five steps to delivered', () => {
    const journey = [ev('e1', 'DR1', 0), ev('e2', 'PC1', 2), ev('e3', 'ET1', 8), ev('e4', 'EP1', 20), ev('e5', 'MD2', 24), ev('e6', 'DI1', 28)];
    const steps = journey.map((_, i) => parcelState(journey.slice(0, i + 1)).step);
    expect(steps).toEqual([0, 1, 2, 3, 4, 5]);
    expect(parcelState(journey)).toMatchObject({ delivered: true, incidents: [], waiting: null, lastEventAt: T0 + 28 * H });
  });

  it('waits at a point after a notice, then is handed over at the counter', () => {
    const journey = [ev('a', 'PC1', 0), ev('b', 'MD2', 24), ev('c', 'ND1', 26), ev('d', 'AG1', 30, 'D000049')];
    expect(parcelState(journey.slice(0, 3)).incidents).toEqual(['avise']);
    expect(parcelState(journey)).toMatchObject({ step: 4, incidents: [], waiting: { locationId: 'D000049', since: T0 + 30 * H } });
    expect(parcelState([...journey, ev('e', 'DI2', 50, 'D000049')])).toMatchObject({ step: 5, delivered: true, waiting: null });
  });

  it('opens and closes a problem; keeps a return to sender', () => {
    const problem = [ev('a', 'PC1', 0), ev('b', 'PB1', 5)];
    expect(parcelState(problem).incidents).toEqual(['probleme']);
    expect(parcelState([...problem, ev('c', 'PB2', 9)]).incidents).toEqual([]);
    expect(parcelState([...problem, ev('c', 'RE1', 9)]).incidents).toEqual(['probleme', 'retour']);
  });

  it('never goes backwards: a late scan of an earlier step leaves it where it is', () => {
    const state = parcelState([ev('a', 'PC1', 0), ev('b', 'MD2', 24), ev('c', 'ET1', 25)]);
    expect(state.step).toBe(4);
  });

  it('keeps and reports unknown codes, and counts a replayed event once', () => {
    const state = parcelState([ev('a', 'PC1', 0), ev('x', 'ZZ9', 3), ev('y', 'ZZ9', 4), ev('a', 'PC1', 0)]);
    expect(state.unknownCodes).toEqual(['ZZ9']);
    expect(state.events.map((e) => e.eventId)).toEqual(['a', 'x', 'y']);
    expect(state.step).toBe(1);
  });
});

const codes = [...Object.keys(EVENT_CODES), 'XX1'];
const eventArb = fc.record({
  eventId: fc.stringMatching(/^e[0-9]{1,3}$/),
  code: fc.constantFrom(...codes),
  occurredAt: fc.integer({ min: T0, max: T0 + 20 * 24 * H }),
  locationId: fc.option(fc.constantFrom('D000049', 'D005834', '15015A'), { nil: null }),
});

describe('order-proof', () => {
  it('any shuffle, with duplicates, split in any batches, gives the state of the ordered events', () => {
    fc.assert(fc.property(
      fc.uniqueArray(eventArb, { selector: (e) => e.eventId, maxLength: 30 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      fc.integer({ min: 1, max: 7 }),
      (events, duplicateIndexes, batchSize) => {
        const ordered = [...events].sort((a, b) => a.occurredAt - b.occurredAt || a.eventId.localeCompare(b.eventId));
        const replayed = [...events, ...duplicateIndexes.flatMap((i) => (events.length ? [events[i % events.length]!] : []))].reverse();
        // Batches arrive one after the other; the state is computed from everything stored so far.
        const stored: ParcelEvent[] = [];
        for (let i = 0; i < replayed.length; i += batchSize) stored.push(...replayed.slice(i, i + batchSize));
        expect(parcelState(stored)).toEqual(parcelState(ordered));
      },
    ));
  });

  it('the step never decreases as events arrive, whatever their order', () => {
    fc.assert(fc.property(fc.uniqueArray(eventArb, { selector: (e) => e.eventId, maxLength: 25 }), (events) => {
      let previous = 0;
      for (let i = 1; i <= events.length; i++) {
        const step = parcelState(events.slice(0, i)).step;
        expect(step).toBeGreaterThanOrEqual(previous);
        previous = step;
      }
    }));
  });
});

describe('a return to the sender', () => {
  it('ends a wait at a point: nothing is left to collect', () => {
    const state = parcelState([
      { eventId: 'a', code: 'PC1', occurredAt: 1_000 },
      { eventId: 'b', code: 'AG1', occurredAt: 2_000, locationId: 'L1' },
      { eventId: 'c', code: 'RE1', occurredAt: 3_000 },
    ]);
    expect(state.waiting).toBeNull();
    expect(state.incidents).toEqual(['retour']);
  });
});
