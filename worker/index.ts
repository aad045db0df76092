/**
 * @module
 * The Worker entry: the edge layer (worker/edge/cache.ts), then Astro's
 * Cloudflare handler runs the fetch pipeline (site/fetch.ts: our Hono app,
 * then the pages); the queue handler delivers outgoing messages; the cron trigger runs the
 * publication of hours changes to search engines and Google, and the accounts' sweep
 * (inactive accounts, ended sessions), and the rounds of parcels, holds, bookings and affluence.
 */
import { handle } from '@astrojs/cloudflare/handler';
import { sweepEndedSessions, sweepInactiveAccounts } from './accounts/account';
import { runAffluenceJobs } from './affluence/jobs';
import { runBookingJobs } from './bookings/jobs';
import { type Config, configOf } from './config';
import { drizzleDatabase } from './database';
import { withEdgeCache } from './edge/cache';
import { deliverBatch, transportFor } from './messages/use-cases';
import { runParcelJobs } from './parcels/jobs';
import { runPublication } from './publication/job';
import { configuredPublication } from './publication/targets';
import { runHoldJobs } from './stock/jobs';

export default {
  // The edge cache and each request's D1 session sit in front of Astro's pipeline.
  fetch: withEdgeCache(handle),
  async scheduled(controller, env, ctx) {
    let config: Config;
    try {
      // The configured origin only: a cron has no request, and no fallback is ever right.
      config = configOf(env);
    } catch (error) {
      // Without SITE_ORIGIN, pushes would name URLs nobody can reach; the changes wait, nothing is lost.
      console.error('publication skipped:', error instanceof Error ? error.message : String(error));
      return;
    }
    const db = drizzleDatabase(config.DB);
    ctx.waitUntil(
      runPublication(db, configuredPublication(config)).then((report) => console.log('publication', JSON.stringify(report))),
    );
    // Accounts: warn, then delete, those inactive for 2 years; sweep ended sessions and spent codes.
    ctx.waitUntil(
      sweepEndedSessions(db, new Date())
        .then(() => sweepInactiveAccounts(db, new Date(), config.messages.queue))
        .then((report) => console.log('accounts', JSON.stringify(report)))
        .catch((error) => console.error('accounts sweep failed:', error instanceof Error ? error.message : String(error))),
    );
    // Parcels: deadline reminders, reassurance after a silence, notices held by quiet hours, repairs and sweeps.
    ctx.waitUntil(
      runParcelJobs(db, { queue: config.messages.queue, origin: config.SITE_ORIGIN, holdingDays: config.holdingDays }, new Date())
        .then((report) => console.log('parcels', JSON.stringify(report)))
        .catch((error) => console.error('parcels jobs failed:', error instanceof Error ? error.message : String(error))),
    );
    // Stock holds: expired ones marked (bookkeeping: a hold past its deadline already counts for nothing), reminders of the last day.
    ctx.waitUntil(
      runHoldJobs(db, new Date(), { queue: config.messages.queue, origin: config.SITE_ORIGIN, safety: config.stockSafetyUnits })
        .then((report) => console.log('holds', JSON.stringify(report)))
        .catch((error) => console.error('hold jobs failed:', error instanceof Error ? error.message : String(error))),
    );
    // Bookings: seats whose slot the office's hours now close are freed, their customers told the nearest free slots.
    ctx.waitUntil(
      runBookingJobs(db, new Date(), { queue: config.messages.queue, origin: config.SITE_ORIGIN })
        .then((report) => console.log('bookings', JSON.stringify(report)))
        .catch((error) => console.error('booking jobs failed:', error instanceof Error ? error.message : String(error))),
    );
    // Affluence: the new arrivals folded into each office's usual levels, then the low-crowd alerts.
    ctx.waitUntil(
      // At the scheduled quarter hour, not when the handler happens to start: the alert's "low for 15 minutes" compares two readings.
      runAffluenceJobs(db, new Date(controller.scheduledTime), { queue: config.messages.queue, origin: config.SITE_ORIGIN })
        .then((report) => console.log('affluence', JSON.stringify(report)))
        .catch((error) => console.error('affluence jobs failed:', error instanceof Error ? error.message : String(error))),
    );
  },
  // Outgoing messages (worker/messages): into the outbox locally, by email and SMS when live.
  async queue(batch, env) {
    const config = configOf(env);
    await deliverBatch(batch, config.DB, transportFor(config.messages.delivery, config.DB));
  },
} satisfies ExportedHandler;
