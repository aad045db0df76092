/**
 * @module
 * A search answer as each door shows it: the API's JSON resource, and one
 * result as the `/recherche` list and the widget's choices print it.
 */
import { LOCATION_TYPE_LABELS } from '../locations/catalog';
import { locationPath } from '../locations/present';
import type { SearchInput, SearchOutput, SearchResult } from './search';
import { encodeSearchCursor, formatDistance, hasNextPage } from './search-request';

export function presentSearch(output: SearchOutput, input: Pick<SearchInput, 'offset' | 'limit'>) {
  return {
    center: output.center ? { latitude: output.center.latitude, longitude: output.center.longitude } : null,
    resolution: output.resolution,
    results: output.results.map(({ place, distance, status, summary }) => ({
      id: place.id,
      name: place.name,
      type: place.type,
      type_label: LOCATION_TYPE_LABELS[place.type],
      distance_m: Math.round(distance),
      address: { postcode: place.postcode, commune: place.commune },
      coordinates: { latitude: place.latitude, longitude: place.longitude },
      services: place.services,
      status: {
        open: status.open,
        closing_soon: status.closingSoon,
        closes_at: status.closesAt?.toISOString() ?? null,
        opens_at: status.opensAt?.toISOString() ?? null,
        summary,
      },
      page_url: locationPath(place),
    })),
    next_cursor: hasNextPage(output, input) ? encodeSearchCursor(input.offset + input.limit) : null,
    explanation: output.explanation,
  };
}

/** One result as the pages print it, in French. */
export function presentResult({ place, distance, summary }: SearchResult) {
  return {
    id: place.id,
    name: place.name,
    path: locationPath(place),
    typeLabel: LOCATION_TYPE_LABELS[place.type],
    distance: formatDistance(distance),
    address: `${place.postcode} ${place.commune}`,
    summary,
  };
}
