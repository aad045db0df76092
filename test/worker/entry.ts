// The API app behind the same edge layer as the deployed Worker (edge cache,
// per-request D1 session, Server-Timing), as the Workers test pool runs it.
// Pages need the Astro build and are tested against `wrangler dev` in test/pages.
import { createApp } from '../../worker/app';
import { withEdgeCache } from '../../worker/edge/cache';

const app = createApp();

export default { fetch: withEdgeCache((request, env, ctx) => app.fetch(request, env, ctx)) } satisfies ExportedHandler;
