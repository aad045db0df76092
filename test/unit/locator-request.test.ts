import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeSearchCursor, encodeSearchCursor, formatDistance, formatNear, formSearchInput, parseNear, readNear, readSearchForm, readWidgetRequest, widgetSearchInput,
} from '../../worker/locator/search-request';

const now = new Date('2026-12-01T10:00:00Z');

describe('the one search-request reader', () => {
  it('reads near once for every door, with every reason it is wrong', () => {
    expect(readNear(' 48.85 , 2.35 ')).toEqual({ latitude: 48.85, longitude: 2.35 });
    expect(readNear('91,181')).toEqual(['latitude hors de −90…90', 'longitude hors de −180…180']);
    expect(readNear('1e3,2')).toEqual([expect.stringContaining('latitude,longitude')]);
    fc.assert(fc.property(fc.double({ min: -90, max: 90, noNaN: true }), fc.double({ min: -180, max: 180, noNaN: true }), (latitude, longitude) => {
      const point = { latitude: Math.round(latitude * 1e5) / 1e5, longitude: Math.round(longitude * 1e5) / 1e5 };
      expect(parseNear(formatNear(point))).toEqual({ latitude: point.latitude + 0, longitude: point.longitude + 0 });
    }));
  });

  it('formats distances one way', () => {
    expect([0, 344, 995, 1000, 1234, 12_345, 50_000].map(formatDistance)).toEqual(['0 m', '340 m', '1000 m', '1 km', '1,2 km', '12,3 km', '50 km']);
  });

  it('makes opaque cursors that decode only as spelled', () => {
    fc.assert(fc.property(fc.nat(10_000), (offset) => { expect(decodeSearchCursor(encodeSearchCursor(offset))).toBe(offset); }));
    for (const bad of ['', 'o10', 'zz', `${encodeSearchCursor(3)}=`, btoa('{"offset":3 }').replace(/=+$/, ''), btoa('{"offset":1e1}').replace(/=+$/, '')]) {
      expect(decodeSearchCursor(bad), bad).toBeUndefined();
    }
  });

  it('reads the /recherche form leniently, a position winning over the text', () => {
    const form = readSearchForm(new URLSearchParams('q=%20Lille%20&near=50.6,3.06&service=teleport&type=post_office&rayon=7&ouvert=oui&page=99'));
    expect(form).toMatchObject({ q: 'Lille', near: { latitude: 50.6, longitude: 3.06 }, service: '', type: 'post_office', radiusKm: 5, openNow: true, saturday: false, page: 10 });
    expect(formSearchInput(form, now)).toEqual({
      near: { latitude: 50.6, longitude: 3.06 }, q: undefined, radius: 5000, limit: 20, offset: 180,
      servicesAll: undefined, types: ['post_office'], openNow: true, openSaturday: false, now,
    });
    expect(formSearchInput(readSearchForm({ near: 'ici' , q: 'Lille' }), now)).toBeUndefined();
    expect(formSearchInput(readSearchForm({}), now)).toBeUndefined();
  });

  it('reads the widget request, a typed place winning over the position', () => {
    const request = readWidgetRequest({ key: 'pk_x', q: 'Lille', near: '50.6,3.06', return_url: 'https://shop.example/commande?x=1' });
    expect(request).toMatchObject({ services: ['parcel_pickup'], servicesValid: true, returnOrigin: 'https://shop.example' });
    expect(widgetSearchInput(request, now)).toMatchObject({ q: 'Lille', near: undefined, radius: 10_000, limit: 10, offset: 0, servicesAll: ['parcel_pickup'] });
    expect(readWidgetRequest({ services: 'parcel_pickup,teleport', return_url: 'nope' })).toMatchObject({ servicesValid: false, returnOrigin: '' });
    expect(readWidgetRequest({ services: '' }).servicesValid).toBe(false);
  });
});
