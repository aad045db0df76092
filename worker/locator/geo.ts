/**
 * @module
 * Distances on the Earth and a grid index for nearest-point queries. Pure.
 *
 * The grid only narrows the candidates; every answer is decided by the exact
 * great-circle distance, so the index can never change a result, only its cost.
 */

export interface Point {
  latitude: number;
  longitude: number;
}

const EARTH_RADIUS_M = 6_371_008.8;
const RAD = Math.PI / 180;

/** Great-circle distance in metres (haversine). */
export function distanceMeters(a: Point, b: Point): number {
  const dLat = (b.latitude - a.latitude) * RAD;
  const dLon = (b.longitude - a.longitude) * RAD;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.latitude * RAD) * Math.cos(b.latitude * RAD) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Cell size in degrees: about 11 km of latitude, a few hundred points in the densest cells. */
export const CELL_DEGREES = 0.1;

const cellOf = (value: number) => Math.floor(value / CELL_DEGREES);
const key = (latCell: number, lonCell: number) => `${latCell}:${lonCell}`;

/**
 * Latitude and longitude ranges (in cells) that contain every point within
 * `radius` metres of `center`. Longitude ranges may wrap around ±180°.
 */
function cellRanges(center: Point, radius: number): { lat: [number, number]; lon: Array<[number, number]> } {
  const dLat = (radius / EARTH_RADIUS_M) / RAD;
  const minLat = Math.max(-90, center.latitude - dLat);
  const maxLat = Math.min(90, center.latitude + dLat);
  // The widest longitude span of the circle is at the latitude farthest from the equator.
  const extremeLat = Math.max(Math.abs(minLat), Math.abs(maxLat));
  const cos = Math.cos(extremeLat * RAD);
  if (cos < 1e-6 || radius / EARTH_RADIUS_M >= Math.PI / 2) {
    return { lat: [cellOf(minLat), cellOf(maxLat)], lon: [[cellOf(-180), cellOf(180)]] };
  }
  const dLon = Math.min(180, Math.asin(Math.min(1, Math.sin(radius / EARTH_RADIUS_M) / cos)) / RAD);
  const west = center.longitude - dLon;
  const east = center.longitude + dLon;
  const lon: Array<[number, number]> = [];
  if (west < -180) lon.push([cellOf(west + 360), cellOf(180)], [cellOf(-180), cellOf(east)]);
  else if (east > 180) lon.push([cellOf(west), cellOf(180)], [cellOf(-180), cellOf(east - 360)]);
  else lon.push([cellOf(west), cellOf(east)]);
  return { lat: [cellOf(minLat), cellOf(maxLat)], lon };
}

export class GridIndex<T extends Point> {
  private readonly cells = new Map<string, T[]>();

  constructor(readonly items: readonly T[]) {
    for (const item of items) {
      const k = key(cellOf(item.latitude), cellOf(item.longitude));
      const cell = this.cells.get(k);
      if (cell) cell.push(item);
      else this.cells.set(k, [item]);
    }
  }

  /** Every item within `radius` metres of `center`, nearest first (ties by `tieBreak`). */
  within(center: Point, radius: number, keep: (item: T) => boolean, tieBreak: (a: T, b: T) => number): Array<{ item: T; distance: number }> {
    const { lat, lon } = cellRanges(center, radius);
    const found: Array<{ item: T; distance: number }> = [];
    for (let la = lat[0]; la <= lat[1]; la++) {
      for (const [from, to] of lon) {
        for (let lo = from; lo <= to; lo++) {
          for (const item of this.cells.get(key(la, lo)) ?? []) {
            if (!keep(item)) continue;
            const distance = distanceMeters(center, item);
            if (distance <= radius) found.push({ item, distance });
          }
        }
      }
    }
    return found.sort((a, b) => a.distance - b.distance || tieBreak(a.item, b.item));
  }
}
