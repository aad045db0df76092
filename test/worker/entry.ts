// The API app behind the same edge layer as the deployed Worker (edge cache,
// per-request D1 session, Server-Timing), as the Workers test pool runs it.
// Pages need the Astro build and are tested against `wrangler dev` in test/pages.
import { createApp } from '../../worker/app';
import { configOf } from '../../worker/config';
import { withEdgeCache } from '../../worker/edge/cache';
import { deliverBatch, transportFor } from '../../worker/messages/use-cases';

const app = createApp();

export default {
  fetch: withEdgeCache((request, env, ctx) => app.fetch(request, env, ctx)),
  // The deployed Worker's queue handler, on the outbox (tests never configure live delivery).
  async queue(batch, env, _ctx) {
    const config = configOf(env);
    await deliverBatch(batch, config.DB, transportFor(config.messages.delivery, config.DB));
  },
} satisfies ExportedHandler;
