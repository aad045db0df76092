/**
 * @module
 * Maps one record of La Poste's open-data file (laposte_poincont2.csv) to a
 * location, or explains why the record cannot be used. Pure: no I/O.
 */
import type { GeocodePrecision, NewLocationRow } from '../../db/schema';
import { DEFAULT_SERVICES, type LocationType } from '../../worker/locations/catalog';
import { departmentOf } from '../../worker/locations/departments';
import { displayLocationName, displayPlaceName } from '../../worker/locations/names';
import { contentHash } from './hash';

export const OPEN_DATA_COLUMNS = [
  'Identifiant_du_site', 'Libellé_du_site', 'Caractéristique_du_site', 'Site_Acores_de_rattachement',
  'Adresse', 'Complément_d_adresse', 'Lieu_dit', 'Code_postal', 'Localité', 'Code_INSEE', 'Pays',
  'Latitude', 'Longitude', 'Précision_du_géocodage', 'Numéro_de_téléphone', 'latlong',
] as const;

const TYPES: Record<string, LocationType> = {
  'bureau de poste': 'post_office',
  'agence postale communale': 'communal_agency',
  'agence postale intercommunale': 'intercommunal_agency',
  'agence postale militaire': 'military_agency',
  'relais poste commerçant': 'partner_relay',
  'relais poste commercant': 'partner_relay',
};

const PRECISIONS: Record<string, GeocodePrecision> = {
  'géocodé au numéro': 'address',
  'géocodé au milieu de la rue': 'street',
  'géocodé au milieu d un îlot': 'block',
  'géocodé au centre de la commune': 'commune',
};

/** A location ready to upsert: everything but the timestamps the database sets. */
export type ImportedLocation = Omit<NewLocationRow, 'createdAt' | 'updatedAt' | 'status' | 'closedAt'> & {
  sourceHash: string;
};

export type RecordResult =
  | { ok: true; location: ImportedLocation }
  | { ok: false; reason: string };

const optional = (value: string | undefined): string | null => {
  const trimmed = (value ?? '').trim();
  return trimmed === '' ? null : trimmed;
};

/** Parses a decimal coordinate; the file uses `.`, some exports use `,`. */
function coordinate(value: string): number | undefined {
  const text = value.trim().replace(',', '.');
  if (!/^-?\d{1,3}(\.\d+)?$/.test(text)) return undefined;
  return Number(text);
}

export function mapOpenDataRecord(fields: readonly string[]): RecordResult {
  if (fields.length !== OPEN_DATA_COLUMNS.length) {
    return { ok: false, reason: `expected ${OPEN_DATA_COLUMNS.length} columns, found ${fields.length}` };
  }
  const [rawId, rawName, rawType, parent, address, complement, lieuDit, rawPostcode, locality, rawInsee,
    , rawLat, rawLon, rawPrecision, phone] = fields.map((f) => f.trim());

  const id = rawId.toUpperCase();
  if (!/^[0-9A-Z]{1,32}$/.test(id)) return { ok: false, reason: `invalid site identifier "${rawId}"` };
  if (!rawName) return { ok: false, reason: 'missing site name' };
  const type = TYPES[rawType.toLowerCase()];
  if (!type) return { ok: false, reason: `unknown site type "${rawType}"` };
  if (!/^\d{5}$/.test(rawPostcode)) return { ok: false, reason: `invalid postcode "${rawPostcode}"` };
  const insee = rawInsee.toUpperCase();
  if (!/^(\d{2}|2[AB])\d{3}$/.test(insee)) return { ok: false, reason: `invalid INSEE code "${rawInsee}"` };
  if (!rawLat || !rawLon) return { ok: false, reason: 'missing coordinates' };
  const latitude = coordinate(rawLat);
  const longitude = coordinate(rawLon);
  if (latitude === undefined || longitude === undefined || Math.abs(latitude) > 90 || Math.abs(longitude) > 180) {
    return { ok: false, reason: `invalid coordinates "${rawLat}, ${rawLon}"` };
  }
  const department = departmentOf(rawPostcode, insee);
  if (!department) return { ok: false, reason: `no known département for postcode ${rawPostcode}` };
  if (!locality) return { ok: false, reason: 'missing locality' };

  const fieldsForHash = {
    id,
    name: displayLocationName(rawName),
    sourceName: rawName,
    type,
    parentId: optional(parent)?.toUpperCase() ?? null,
    addressLine: optional(address),
    addressComplement: optional(complement),
    lieuDit: optional(lieuDit),
    postcode: rawPostcode,
    commune: displayPlaceName(locality),
    inseeCode: insee,
    department: department.code,
    latitude,
    longitude,
    geocodePrecision: PRECISIONS[rawPrecision.toLowerCase()] ?? null,
    phone: optional(phone),
    timeZone: department.timeZone,
    services: [...DEFAULT_SERVICES[type]],
    stepFreeAccess: null,
    source: 'open_data' as const,
  };
  return { ok: true, location: { ...fieldsForHash, sourceHash: contentHash(fieldsForHash) } };
}
