/**
 * @module
 * The demo partner: Guichet's own demo page embeds the widget with this
 * public key, allowed on Guichet's own origin only.
 */
import type { Database } from '../database';
import { createPartner, partnerByPublishableKey, SELF_ORIGIN } from './keys';

export const DEMO_PUBLISHABLE_KEY = 'pk_demo_guichet_widget';

export async function ensureDemoPartner(db: Database, now: string) {
  return (await partnerByPublishableKey(db, DEMO_PUBLISHABLE_KEY))
    ?? (await createPartner(db, { name: 'Démonstration Guichet', allowedOrigins: [SELF_ORIGIN], now, publishableKey: DEMO_PUBLISHABLE_KEY }));
}
