/**
 * Astro's fetch pipeline: the Guichet Hono app (API, sitemaps, headers,
 * errors) first, then Astro renders the pages it did not answer.
 */
import { astro } from 'astro/hono';
import { createApp } from '../worker/app';

const app = createApp();
app.use(astro());

export default app;
