/**
 * @module
 * The Worker entry: Astro's Cloudflare handler runs the fetch pipeline
 * (site/fetch.ts: our Hono app, then the pages); the cron trigger runs the
 * publication of hours changes to search engines and Google.
 */
import { handle } from '@astrojs/cloudflare/handler';
import { drizzleDatabase } from './database';
import type { Bindings } from './env';
import { runPublication } from './publication/job';
import { publicationConfig } from './publication/targets';

export default {
  fetch: handle,
  async scheduled(_controller, env, ctx) {
    const bindings = env as unknown as Bindings & Record<string, unknown>;
    // The configured origin only: a cron has no request, and no fallback is ever right.
    const config = publicationConfig(bindings);
    if (!config.siteOrigin) {
      // Without it, pushes would name URLs nobody can reach; the changes wait, nothing is lost.
      console.error('publication skipped: set SITE_ORIGIN to the public origin of the site (https://…, no path)');
      return;
    }
    ctx.waitUntil(
      runPublication(drizzleDatabase(bindings.DB), config).then((report) => console.log('publication', JSON.stringify(report))),
    );
  },
} satisfies ExportedHandler;
