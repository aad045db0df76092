/**
 * The EcoIndex formula the page tests and `npm run weigh` use, checked
 * against the reference implementation's own test values
 * (cnumr/ecoindex_python, tests/compute/test_ecoindex.py) and quantile bounds
 * (cnumr/ecoindex_js, test/compute-ecoindex.js).
 */
import { describe, expect, it } from 'vitest';
import { ECOINDEX_QUANTILES, ecoIndex, ecoIndexGrade, quantilePosition } from '../pages/ecoindex';

const score = (dom: number, requests: number, sizeKb: number) => Math.round(ecoIndex({ dom, requests, bytes: sizeKb * 1000 }));

describe('EcoIndex', () => {
  it('places values in the reference quantiles', () => {
    expect(quantilePosition(ECOINDEX_QUANTILES.sizeKb, 2500)).toBeCloseTo(14.086372025739513, 12);
    expect(quantilePosition(ECOINDEX_QUANTILES.dom, 150)).toBeCloseTo(2.892857142857143, 12);
    expect(quantilePosition(ECOINDEX_QUANTILES.requests, 23)).toBeCloseTo(2.8, 12);
    expect(quantilePosition(ECOINDEX_QUANTILES.sizeKb, 310182.902)).toBe(20);
  });

  it('scores as the reference does', () => {
    expect(score(100, 100, 100)).toBe(72);
    expect(score(100, 100, 1000)).toBe(67);
    expect(score(100, 100, 10000)).toBe(58);
    expect(score(200, 200, 10000)).toBe(46);
    expect(score(2355, 267, 2493)).toBe(10);
    expect(score(240, 20, 331)).toBe(83);
    expect(score(2240, 100, 310182.902)).toBe(16);
  });

  it('gives 100 − 5 per quantile when all three sit on the same bound', () => {
    const q = ECOINDEX_QUANTILES;
    for (let i = 0; i < q.dom.length; i++) {
      expect(ecoIndex({ dom: q.dom[i], requests: q.requests[i], bytes: q.sizeKb[i] * 1000 })).toBeCloseTo(100 - 5 * i, 9);
    }
  });

  it('grades A strictly above 80', () => {
    expect([100, 80.01, 80, 70.5, 56, 41, 26, 11, 10, 2].map(ecoIndexGrade)).toEqual(['A', 'A', 'B', 'B', 'C', 'D', 'E', 'F', 'G', 'G']);
  });
});
