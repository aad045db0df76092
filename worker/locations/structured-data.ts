/**
 * @module
 * schema.org JSON-LD for an office page: `PostOffice` for post offices,
 * `LocalBusiness` for partner points. The opening hours are added beside it
 * (hours/schema-org.ts, joined by hours/office-view.ts).
 */
import type { LocationRow } from '../../db/schema';
import { LOCATION_TYPE_LABELS, SERVICE_LABELS } from './catalog';
import { countryOf } from './present';

export function locationJsonLd(row: LocationRow, pageUrl: string, parent?: { name: string; url: string }) {
  const streetAddress = [row.addressLine, row.addressComplement, row.lieuDit].filter(Boolean).join(', ');
  return {
    '@context': 'https://schema.org',
    '@type': row.type === 'post_office' ? 'PostOffice' : 'LocalBusiness',
    '@id': `${pageUrl}#lieu`,
    name: row.name,
    description: LOCATION_TYPE_LABELS[row.type],
    url: pageUrl,
    ...(row.phone ? { telephone: row.phone } : {}),
    address: {
      '@type': 'PostalAddress',
      ...(streetAddress ? { streetAddress } : {}),
      postalCode: row.postcode,
      addressLocality: row.commune,
      addressCountry: countryOf(row.department),
    },
    geo: { '@type': 'GeoCoordinates', latitude: row.latitude, longitude: row.longitude },
    amenityFeature: [
      ...row.services.map((s) => feature(SERVICE_LABELS[s], true)),
      ...(row.stepFreeAccess === null ? [] : [feature('Accès de plain-pied', row.stepFreeAccess)]),
    ],
    ...(parent ? { parentOrganization: { '@type': 'PostOffice', name: parent.name, url: parent.url } } : {}),
  };
}

const feature = (name: string, value: boolean) => ({ '@type': 'LocationFeatureSpecification', name, value });
