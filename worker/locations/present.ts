/**
 * @module
 * A stored location as the API and the pages show it.
 */
import type { LocationRow } from '../../db/schema';
import type { Country, LocationResource } from './api-schema';
import { LOCATION_TYPE_LABELS } from './catalog';
import { findDepartment } from './departments';
import { communeSlug, locationSlug } from './names';

export function locationPath(row: Pick<LocationRow, 'id' | 'name' | 'commune'>): string {
  return `/bureaux/${locationSlug(row)}`;
}

export function communePath(commune: { name: string; inseeCode: string }): string {
  return `/communes/${communeSlug(commune)}`;
}

/**
 * ISO 3166-1 alpha-2 country of a location, from its territory code: Monaco
 * and Andorra are countries of their own; every département and overseas
 * collectivity is France (docs/decisions.md).
 */
export function countryOf(department: string): Country {
  const code = department.toUpperCase();
  return code === 'MC' || code === 'AD' ? code : 'FR';
}

export function presentLocation(row: LocationRow): LocationResource {
  return {
    id: row.id,
    name: row.name,
    official_name: row.sourceName,
    type: row.type,
    type_label: LOCATION_TYPE_LABELS[row.type],
    parent_id: row.parentId,
    address: {
      line: row.addressLine,
      complement: row.addressComplement,
      lieu_dit: row.lieuDit,
      postcode: row.postcode,
      commune: row.commune,
      insee_code: row.inseeCode,
      department: row.department,
      department_name: findDepartment(row.department)?.name ?? row.department,
      country: countryOf(row.department),
    },
    coordinates: { latitude: row.latitude, longitude: row.longitude, precision: row.geocodePrecision },
    phone: row.phone,
    time_zone: row.timeZone,
    services: row.services,
    step_free_access: row.stepFreeAccess,
    status: row.status,
    closed_at: row.closedAt,
    updated_at: row.updatedAt,
    page_url: locationPath(row),
  };
}
