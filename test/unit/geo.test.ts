import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { distanceMeters, GridIndex } from '../../worker/locator/geo';
import { parseNear } from '../../worker/locator/search-request';
import { classifyQuery, searchKey } from '../../worker/locator/text';

describe('great-circle distance', () => {
  it('matches known distances', () => {
    const paris = { latitude: 48.8566, longitude: 2.3522 };
    const lyon = { latitude: 45.764, longitude: 4.8357 };
    expect(distanceMeters(paris, lyon) / 1000).toBeCloseTo(391.5, 0);
    expect(distanceMeters({ latitude: 0, longitude: 179.9 }, { latitude: 0, longitude: -179.9 })).toBeCloseTo(22_239, -2);
  });

  it('is symmetric and zero on the same point', () => {
    const point = fc.record({ latitude: fc.double({ min: -90, max: 90, noNaN: true }), longitude: fc.double({ min: -180, max: 180, noNaN: true }) });
    fc.assert(fc.property(point, point, (a, b) => {
      expect(distanceMeters(a, b)).toBeCloseTo(distanceMeters(b, a), 6);
      expect(distanceMeters(a, a)).toBe(0);
    }));
  });
});

describe('grid index', () => {
  it('finds exactly the points a full scan finds, anywhere on Earth', () => {
    const point = fc.record({ latitude: fc.double({ min: -89, max: 89, noNaN: true }), longitude: fc.double({ min: -180, max: 180, noNaN: true }) });
    fc.assert(fc.property(fc.array(point, { maxLength: 200 }), point, fc.integer({ min: 1, max: 3_000_000 }), (points, center, radius) => {
      const items = points.map((p, i) => ({ ...p, id: i }));
      const index = new GridIndex(items);
      const found = index.within(center, radius, () => true, (a, b) => a.id - b.id).map((r) => r.item.id);
      const scan = items.filter((p) => distanceMeters(center, p) <= radius)
        .sort((a, b) => distanceMeters(center, a) - distanceMeters(center, b) || a.id - b.id).map((p) => p.id);
      expect(found).toEqual(scan);
    }), { numRuns: 300 });
  });
});

describe('search text', () => {
  it('reads names the way people type them', () => {
    expect(searchKey('Saint-Étienne-du-Rouvray')).toBe('saint etienne du rouvray');
    expect(searchKey('ST ETIENNE DU ROUVRAY')).toBe(searchKey('saint etienne du rouvray'));
    expect(searchKey('L’Haÿ-les-Roses')).toBe('l hay les roses');
    expect(classifyQuery(' 78500 ')).toEqual({ kind: 'postcode', postcode: '78500' });
    expect(classifyQuery('15015a')).toEqual({ kind: 'id', id: '15015A' });
    expect(parseNear('48.85,2.35')).toEqual({ latitude: 48.85, longitude: 2.35 });
    expect(parseNear('91,0')).toBeUndefined();
    expect(parseNear('1e3,2')).toBeUndefined();
  });
});
