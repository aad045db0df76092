/**
 * The locator snapshot's encoding, in Node: whatever the places, decoding
 * gives them back, coordinates rounded to 10^-7 degree.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LOCATION_TYPES, SERVICES } from '../../../db/vocabulary';
import { decodeSnapshot, encodeSnapshot, packSnapshot, unpackSnapshot, type NetworkPlace, type NetworkRows } from '../../../worker/locator/snapshot';

const TIME_ZONES = ['Europe/Paris', 'America/Cayenne', 'America/Guadeloupe', 'America/Martinique', 'Indian/Reunion',
  'Indian/Mayotte', 'America/Miquelon', 'Pacific/Noumea', 'Pacific/Tahiti', 'Pacific/Wallis'];

/** Names as the network has them: accents, apostrophes, ligatures, the odd emoji or separator. */
const text = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'aeéèêëàâîïôöùûüçœæ ÉÈÀÇŒ-’\'()0123456789SaintÉtienneLHaÿ'), maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ maxLength: 12 }),
);
const code = fc.stringMatching(/^[0-9AB]{5}$/);
const department = fc.constantFrom('01', '2A', '2B', '75', '971', '974', '976', '975', '988');
const latitude = fc.double({ min: -90, max: 90, noNaN: true });
const longitude = fc.double({ min: -180, max: 180, noNaN: true });

const place: fc.Arbitrary<NetworkPlace> = fc.record({
  id: fc.oneof(fc.stringMatching(/^D\d{6}$/), fc.stringMatching(/^[0-9A-Z]{5,8}$/)),
  name: text,
  type: fc.constantFrom(...LOCATION_TYPES),
  commune: text,
  inseeCode: code,
  postcode: code,
  department,
  timeZone: fc.constantFrom(...TIME_ZONES),
  // Stored lists are in catalogue order, possibly empty.
  services: fc.subarray([...SERVICES]),
  latitude,
  longitude,
});

/** Places drawn from a few shared communes, so the dictionaries hold repeats. */
const network: fc.Arbitrary<NetworkRows> = fc
  .array(fc.record({ commune: text, inseeCode: code, postcode: code, department }), { minLength: 1, maxLength: 8 })
  .chain((addresses) => fc.record({
    places: fc.array(fc.tuple(place, fc.nat(addresses.length - 1), fc.boolean()), { maxLength: 60 })
      .map((list) => list.map(([p, a, shared]) => (shared ? { ...p, ...addresses[a] } : p))),
    communes: fc.array(fc.record({ inseeCode: code, name: text, department }), { maxLength: 20 }),
  }));

/** Zero comes back unsigned. */
const rounded = (value: number) => Math.round(value * 1e7) / 1e7 || 0;

describe('the locator snapshot', () => {
  it('gives back every place and commune, coordinates rounded to 10^-7 degree', async () => {
    await fc.assert(fc.asyncProperty(network, async (rows) => {
      const decoded = await decodeSnapshot(await encodeSnapshot(rows));
      expect(decoded).toEqual({
        places: rows.places.map((p) => ({ ...p, latitude: rounded(p.latitude), longitude: rounded(p.longitude) })),
        communes: rows.communes,
      });
      for (const [i, p] of decoded.places.entries()) {
        expect(Math.abs(p.latitude - rows.places[i].latitude)).toBeLessThanOrEqual(5e-8 + 1e-12);
      }
    }), { numRuns: 300 });
  });

  it('keeps decimal coordinates of up to 7 decimals exactly, including those at the 10^-5 grid', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(place, fc.integer({ min: -900_000_000, max: 900_000_000 }), fc.integer({ min: -1_800_000_000, max: 1_800_000_000 }), fc.constantFrom(1e5, 1e6, 1e7)), { minLength: 1, maxLength: 40 }),
      (list) => {
        const places = list.map(([p, lat, lon, scale]) => ({ ...p, latitude: Number((Math.round(lat / (1e7 / scale)) / scale).toFixed(7)), longitude: Number((Math.round(lon / (1e7 / scale)) / scale).toFixed(7)) }));
        expect(unpackSnapshot(packSnapshot({ places, communes: [] })).places).toEqual(places);
      },
    ));
  });

  it('round-trips the empty network', async () => {
    expect(await decodeSnapshot(await encodeSnapshot({ places: [], communes: [] }))).toEqual({ places: [], communes: [] });
  });

  it('refuses what is not a snapshot, or a truncated one', () => {
    const packed = packSnapshot({ places: fc.sample(place, { numRuns: 20, seed: 1 }), communes: [] });
    expect(() => unpackSnapshot(new TextEncoder().encode('{"places":[]}'))).toThrow(/format 1/);
    expect(() => unpackSnapshot(packed.subarray(0, packed.length - 1))).toThrow(/truncated|range/);
    expect(() => unpackSnapshot(new Uint8Array([...packed, 0]))).toThrow(/trailing/);
  });
});
