/**
 * @module
 * The demo page's side of the widget: what a partner's server does with
 * the choice it receives. Apart from demo.ts, which Node tools also load
 * (the seed, the page tests' setup): this one needs the Worker's
 * configuration.
 */
import type { Database } from '../database';
import { locationPath } from '../locations/present';
import { findLocation } from '../locations/queries';
import { DEMO_PUBLISHABLE_KEY } from './demo';
import { partnerByPublishableKey } from './keys';
import { signingConfig, verifySelection } from './selection';

/**
 * The demo partner's "server" check of the choice it received: verified,
 * with the chosen location; verified but naming no known location; or
 * refused, with the reason.
 */
export type DemoChoice =
  | { kind: 'verified'; location: { name: string; href: string; postcode: string; commune: string } }
  | { kind: 'unknown_location' }
  | { kind: 'refused'; reason: string };

/**
 * Verifies a selection token posted back to the demo, as any partner's
 * server would: only choices made for the demo partner are accepted.
 */
export async function demoChoiceOf(db: Database, token: string | undefined, now: Date): Promise<DemoChoice> {
  const demo = await partnerByPublishableKey(db, DEMO_PUBLISHABLE_KEY);
  if (!token || !demo) return { kind: 'refused', reason: 'aucun choix reçu' };
  const result = await verifySelection(db, signingConfig(), token, Math.floor(now.getTime() / 1000), demo.id);
  if (!result.ok) return { kind: 'refused', reason: result.reason };
  const location = await findLocation(db, result.payload.l);
  return location
    ? { kind: 'verified', location: { name: location.name, href: locationPath(location), postcode: location.postcode, commune: location.commune } }
    : { kind: 'unknown_location' };
}
