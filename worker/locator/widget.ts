/**
 * @module
 * The partner widget's use case: the points a shopper may pick near a place,
 * each with the signed token the partner's server will verify. The page
 * checks the key first (`partners/access.ts`), then asks this.
 */
import type { Database } from '../database';
import type { Partner } from '../partners/keys';
import { offerSelections, signingConfig } from '../partners/selection';
import { presentResult } from './present';
import { searchLocations, type SearchOutput } from './search';
import { type WidgetRequest, widgetSearchInput } from './search-request';

export type PickupChoice = ReturnType<typeof presentResult> & { token: string };

/** The nearest points offering every requested service; undefined when the request names no place yet. */
export async function pickupChoices(
  db: Database,
  partner: Partner,
  request: WidgetRequest,
  now: Date,
): Promise<{ output: SearchOutput; choices: PickupChoice[] } | undefined> {
  const input = widgetSearchInput(request, now);
  if (!input) return undefined;
  const output = await searchLocations(db, input);
  const tokens = await offerSelections(db, signingConfig(), {
    partnerId: partner.id, services: request.services, locationIds: output.results.map((r) => r.place.id), now,
  });
  return { output, choices: output.results.map((r, i) => ({ ...presentResult(r), token: tokens[i] })) };
}
