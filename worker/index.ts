/**
 * @module
 * The Worker entry: Astro's Cloudflare handler runs the fetch pipeline
 * (site/fetch.ts: our Hono app, then the pages). Scheduled jobs (hours
 * publication) will hang here as `scheduled`.
 */
import { handle } from '@astrojs/cloudflare/handler';

export default {
  fetch: handle,
} satisfies ExportedHandler;
