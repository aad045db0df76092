/**
 * The rules of a visits batch: examples worked by hand, then properties on
 * generated days of tickets, against an oracle that reads the service date
 * with Intl directly and judges order in the plainest way (for each ticket,
 * the kinds seen so far, in the order arrival, called, served).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkVisits, MAX_VISIT_EVENTS, refusalStatus, type StoredVisit, type VisitProblem } from '../../../worker/affluence/visits';

const PARIS = 'Europe/Paris';
const NOW = new Date('2026-11-24T15:00:00Z'); // 16:00 in Paris, a Tuesday
const MIN = 60_000;
const at = (minutesAgo: number) => new Date(NOW.getTime() - minutesAgo * MIN).toISOString();
const ev = (ticket: string, kind: string, when: string) => ({ ticket, kind, at: when });

/** The local date in `zone`, read by Intl (en-CA writes YYYY-MM-DD). */
const localDate = (ms: number, zone: string) =>
  new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms);

const refused = (result: ReturnType<typeof checkVisits>) => {
  expect(result.ok).toBe(false);
  return (result as { problems: VisitProblem[] }).problems;
};

describe('one batch, by hand', () => {
  it('accepts a ticket’s day in order, with its service date in the office’s zone', () => {
    const result = checkVisits([ev('A042', 'arrival', at(30)), ev('A042', 'called', at(20)), ev('A042', 'served', at(5))], [], PARIS, NOW);
    expect(result).toEqual({
      ok: true,
      events: [
        { ticket: 'A042', kind: 'arrival', at: NOW.getTime() - 30 * MIN, serviceDate: '2026-11-24' },
        { ticket: 'A042', kind: 'called', at: NOW.getTime() - 20 * MIN, serviceDate: '2026-11-24' },
        { ticket: 'A042', kind: 'served', at: NOW.getTime() - 5 * MIN, serviceDate: '2026-11-24' },
      ],
    });
  });

  it('takes the offset as written: 23:30 in Paris on the 23rd is 22:30Z, and the 23rd', () => {
    const result = checkVisits([ev('B1', 'arrival', '2026-11-23T23:30:00+01:00')], [], PARIS, NOW);
    expect(result.ok && result.events[0]).toMatchObject({ at: Date.parse('2026-11-23T22:30:00Z'), serviceDate: '2026-11-23' });
    // The same instant at an office in Nouméa (UTC+11) is already the 24th there.
    const noumea = checkVisits([ev('B1', 'arrival', '2026-11-23T23:30:00+01:00')], [], 'Pacific/Noumea', NOW);
    expect(noumea.ok && noumea.events[0]!.serviceDate).toBe('2026-11-24');
  });

  it('lets served follow the arrival directly (nobody called)', () => {
    expect(checkVisits([ev('C7', 'arrival', at(10)), ev('C7', 'served', at(2))], [], PARIS, NOW).ok).toBe(true);
  });

  it('takes what is stored first: a called after a stored arrival is in order', () => {
    const stored: StoredVisit[] = [{ ticket: 'C7', kind: 'arrival', at: NOW.getTime() - 10 * MIN, serviceDate: '2026-11-24' }];
    expect(checkVisits([ev('C7', 'called', at(3))], stored, PARIS, NOW).ok).toBe(true);
    // The same ticket on another day is another ticket: no arrival that day.
    const yesterday: StoredVisit[] = [{ ...stored[0]!, serviceDate: '2026-11-23' }];
    expect(refused(checkVisits([ev('C7', 'called', at(3))], yesterday, PARIS, NOW))[0]).toMatchObject({ index: 0, ticket: 'C7', fault: 'out_of_order' });
  });

  it('refuses malformed events, each with its own reasons, and the whole batch', () => {
    const problems = refused(checkVisits([
      ev('A1', 'arrival', at(5)),
      ev('trop-long-ticket', 'arrival', at(5)),
      ev('A 2', 'left', 'hier'),
      { ticket: 'A3', kind: 'arrival', at: at(1), person: 'Mme X' },
      42,
    ], [], PARIS, NOW));
    expect(problems.map((p) => p.index)).toEqual([1, 2, 2, 2, 3, 4]);
    expect(problems.every((p) => p.fault === 'invalid')).toBe(true);
    expect(problems.find((p) => p.index === 1)!.reason).toMatch(/^ticket : 1 à 12/);
    expect(problems.filter((p) => p.index === 2).map((p) => p.reason.split(' :')[0])).toEqual(['ticket', 'kind', 'at']);
    expect(problems.find((p) => p.index === 3)!.reason).toBe('person : champ inconnu');
    expect(refusalStatus(problems)).toBe(400);
  });

  it('refuses an event more than 2 minutes ahead or more than 24 hours old, saying why', () => {
    const ok = checkVisits([ev('D1', 'arrival', at(-2)), ev('D2', 'arrival', at(24 * 60))], [], PARIS, NOW);
    expect(ok.ok).toBe(true);
    const problems = refused(checkVisits([ev('D3', 'arrival', new Date(NOW.getTime() + 2 * MIN + 1000).toISOString()), ev('D4', 'arrival', new Date(NOW.getTime() - 24 * 60 * MIN - 1000).toISOString())], [], PARIS, NOW));
    expect(problems[0]).toMatchObject({ index: 0, fault: 'invalid' });
    expect(problems[0]!.reason).toMatch(/dans le futur ; 2 minutes d’avance au plus/);
    expect(problems[1]).toMatchObject({ index: 1, fault: 'invalid' });
    expect(problems[1]!.reason).toMatch(/24 h au plus : un flux aussi tardif est refusé/);
  });

  it('names duplicates in the batch and against storage (409)', () => {
    const stored: StoredVisit[] = [{ ticket: 'E1', kind: 'arrival', at: NOW.getTime() - 50 * MIN, serviceDate: '2026-11-24' }];
    const problems = refused(checkVisits([ev('E1', 'arrival', at(40)), ev('E2', 'arrival', at(30)), ev('E2', 'arrival', at(29))], stored, PARIS, NOW));
    expect(problems).toEqual([
      { index: 0, ticket: 'E1', fault: 'duplicate', reason: expect.stringMatching(/^arrival déjà enregistré pour le ticket E1 du 2026-11-24/) },
      { index: 2, ticket: 'E2', fault: 'duplicate', reason: expect.stringMatching(/dans cette requête \(événement 1\)$/) },
    ]);
    expect(refusalStatus(problems)).toBe(409);
  });

  it('names out-of-order events: without arrival, after a later kind, earlier in time (422)', () => {
    const problems = refused(checkVisits([
      ev('F1', 'called', at(10)), // no arrival
      ev('F2', 'arrival', at(20)), ev('F2', 'served', at(10)), ev('F2', 'called', at(15)), // called after served
      ev('F3', 'arrival', at(20)), ev('F3', 'called', at(25)), // called before its arrival
    ], [], PARIS, NOW));
    expect(problems.map((p) => [p.index, p.ticket, p.fault])).toEqual([[0, 'F1', 'out_of_order'], [3, 'F2', 'out_of_order'], [5, 'F3', 'out_of_order']]);
    expect(problems[0]!.reason).toMatch(/sans arrivée/);
    expect(problems[1]!.reason).toMatch(/called après served/);
    expect(problems[2]!.reason).toMatch(/avant l’arrivée/);
    expect(refusalStatus(problems)).toBe(422);
  });

  it('says 400 before 409 before 422 when a batch has several faults, and lists them all', () => {
    const problems = refused(checkVisits([ev('G1', 'called', at(1)), ev('G2', 'arrival', at(2)), ev('G2', 'arrival', at(1)), ev('G3', 'arrival', 'x')], [], PARIS, NOW));
    expect(problems.map((p) => p.fault)).toEqual(['out_of_order', 'duplicate', 'invalid']);
    expect(refusalStatus(problems)).toBe(400);
    expect(refusalStatus(problems.slice(0, 2))).toBe(409);
  });

  it('states the limit of a request', () => {
    expect(MAX_VISIT_EVENTS).toBe(500);
  });
});

// ---------------------------------------------------------------------------
// Generated days: tickets with their arrival, maybe called, maybe served,
// at instants within the last 24 h, in zones on both sides of UTC.

const ZONES = ['Europe/Paris', 'America/Guadeloupe', 'Indian/Reunion', 'Pacific/Noumea', 'Pacific/Tahiti'];
const KINDS = ['arrival', 'called', 'served'] as const;

interface Visit { ticket: string; steps: { kind: (typeof KINDS)[number]; at: number }[] }

const visits = fc.uniqueArray(
  fc.record({
    ticket: fc.stringMatching(/^[A-Z][0-9]{1,3}$/),
    start: fc.integer({ min: 0, max: 23 * 60 * 60_000 }),
    gaps: fc.array(fc.integer({ min: 0, max: 20 * MIN }), { minLength: 0, maxLength: 2 }),
    called: fc.boolean(),
  }),
  { selector: (v) => v.ticket, minLength: 1, maxLength: 30 },
).map((list) => list.map(({ ticket, start, gaps, called }): Visit => {
  // An arrival within the last 24 h, then maybe called, maybe served (served may come without a call).
  let t = NOW.getTime() - 24 * 3_600_000 + 1000 + start;
  const kinds = gaps.length === 2 ? (['called', 'served'] as const) : gaps.length === 1 ? [called ? 'called' as const : 'served' as const] : [];
  const steps: Visit['steps'] = [{ kind: 'arrival', at: t }];
  kinds.forEach((kind, i) => steps.push({ kind, at: (t += gaps[i]!) }));
  return { ticket, steps };
}));

const eventsOf = (list: Visit[]) => list.flatMap((v) => v.steps.map((s) => ({ ticket: v.ticket, kind: s.kind, at: new Date(s.at).toISOString() })));

/** The oracle's order check: per ticket and day, the kinds seen so far must be exactly the ranks before this one, at earlier or equal times. */
function oracleAccepts(events: { ticket: string; kind: string; at: string }[], zone: string): boolean {
  const seen = new Map<string, { rank: number; at: number }[]>();
  for (const e of events) {
    const t = Date.parse(e.at);
    const key = `${localDate(t, zone)}|${e.ticket}`;
    const list = seen.get(key) ?? [];
    const rank = KINDS.indexOf(e.kind as (typeof KINDS)[number]);
    if (list.some((s) => s.rank >= rank)) return false;
    if (rank > 0 && !list.some((s) => s.rank === 0)) return false;
    if (list.some((s) => s.at > t)) return false;
    list.push({ rank, at: t });
    seen.set(key, list);
  }
  return true;
}

describe('generated days', () => {
  it('accepts every ticket day in order, with Intl’s local date as service date', () => {
    fc.assert(fc.property(visits, fc.constantFrom(...ZONES), (list, zone) => {
      const events = eventsOf(list);
      const result = checkVisits(events, [], zone, NOW);
      if (!oracleAccepts(events, zone)) return; // a ticket whose day crosses local midnight: judged below
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.events.map((e) => e.serviceDate)).toEqual(events.map((e) => localDate(Date.parse(e.at), zone)));
    }));
  });

  it('judges any shuffle of a day as the plain oracle does', () => {
    fc.assert(fc.property(visits.chain((list) => fc.tuple(fc.constant(list), fc.shuffledSubarray(eventsOf(list), { minLength: 1 }))), fc.constantFrom(...ZONES), ([, events], zone) => {
      const result = checkVisits(events, [], zone, NOW);
      expect(result.ok).toBe(oracleAccepts(events, zone));
      if (!result.ok) expect(result.problems.every((p) => p.fault === 'out_of_order')).toBe(true);
    }));
  });

  it('refuses the same events again, once stored, each one named as a duplicate', () => {
    fc.assert(fc.property(visits, fc.constantFrom(...ZONES), (list, zone) => {
      const events = eventsOf(list);
      const first = checkVisits(events, [], zone, NOW);
      if (!first.ok) return;
      const again = checkVisits(events, first.events, zone, NOW);
      expect(again.ok).toBe(false);
      if (again.ok) return;
      expect(again.problems.map((p) => p.index)).toEqual(events.map((_, i) => i));
      expect(again.problems.every((p) => p.fault === 'duplicate')).toBe(true);
    }));
  });

  it('splits a day in two requests as it accepts it in one', () => {
    fc.assert(fc.property(visits, fc.constantFrom(...ZONES), fc.nat(), (list, zone, cut) => {
      const events = eventsOf(list);
      const whole = checkVisits(events, [], zone, NOW);
      const split = cut % (events.length + 1);
      const head = checkVisits(events.slice(0, split), [], zone, NOW);
      if (!head.ok) {
        expect(whole.ok).toBe(false);
        return;
      }
      const tail = checkVisits(events.slice(split), head.events, zone, NOW);
      expect(tail.ok).toBe(whole.ok);
    }));
  });
});
