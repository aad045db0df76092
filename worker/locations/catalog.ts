/**
 * @module
 * The closed vocabularies of a location: its kind and the services it offers.
 * Codes are stable API values (English); labels are what customers read (French).
 */

import { LOCATION_TYPES, SERVICES, type LocationType, type Service } from '../../db/vocabulary';

// The codes are stored, so they are defined beside the schema; labels and defaults are here.
export { LOCATION_TYPES, SERVICES, type LocationType, type Service };

export const LOCATION_TYPE_LABELS: Record<LocationType, string> = {
  post_office: 'Bureau de poste',
  communal_agency: 'Agence postale communale',
  intercommunal_agency: 'Agence postale intercommunale',
  military_agency: 'Agence postale militaire',
  partner_relay: 'Relais poste commerçant',
  parcel_locker: 'Consigne à colis',
  parcel_shop: 'Point relais colis',
};

/** Types with a counter and its staff: where parcels are handed over, stock is counted and held, counter orders are placed. */
export const COUNTER_LOCATION_TYPES: ReadonlySet<LocationType> = new Set(['post_office', 'communal_agency', 'intercommunal_agency', 'military_agency']);

/** Types that are run by a partner and attached to a parent post office. */
export const PARTNER_TYPES: ReadonlySet<LocationType> = new Set([
  'communal_agency',
  'intercommunal_agency',
  'military_agency',
  'partner_relay',
  'parcel_locker',
  'parcel_shop',
]);

export const SERVICE_LABELS: Record<Service, string> = {
  letters: 'Envoi de lettres',
  registered_mail: 'Lettres recommandées',
  parcel_drop: 'Dépôt de colis',
  parcel_pickup: 'Retrait de colis et courriers',
  stamps: 'Timbres',
  packaging: 'Emballages',
  banking: 'Conseil bancaire (La Banque Postale)',
  cash_machine: 'Distributeur de billets',
  cash_withdrawal: 'Retrait d’espèces au guichet',
  money_transfer: 'Envoi d’argent',
};

/**
 * What each kind of location offers when nothing more precise is known.
 * The open-data file lists no services, so imported rows start from these.
 */
export const DEFAULT_SERVICES: Record<LocationType, readonly Service[]> = {
  post_office: [
    'letters', 'registered_mail', 'parcel_drop', 'parcel_pickup', 'stamps',
    'packaging', 'banking', 'cash_machine', 'money_transfer',
  ],
  communal_agency: [
    'letters', 'registered_mail', 'parcel_drop', 'parcel_pickup', 'stamps', 'packaging', 'cash_withdrawal',
  ],
  intercommunal_agency: [
    'letters', 'registered_mail', 'parcel_drop', 'parcel_pickup', 'stamps', 'packaging', 'cash_withdrawal',
  ],
  military_agency: ['letters', 'registered_mail', 'parcel_drop', 'parcel_pickup', 'stamps'],
  partner_relay: ['letters', 'parcel_drop', 'parcel_pickup', 'stamps', 'packaging', 'cash_withdrawal'],
  parcel_locker: ['parcel_drop', 'parcel_pickup'],
  parcel_shop: ['parcel_drop', 'parcel_pickup'],
};

/** Sorts services in catalogue order and drops duplicates. */
export function normalizeServices(services: Iterable<Service>): Service[] {
  const wanted = new Set(services);
  return SERVICES.filter((s) => wanted.has(s));
}
