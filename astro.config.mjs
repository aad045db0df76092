// The site lives in site/; its fetch pipeline (site/fetch.ts) is a Hono app
// that mounts the API before handing the rest to Astro.
import { defineConfig } from 'astro/config';
import cloudflare from '@astrojs/cloudflare';

export default defineConfig({
  srcDir: './site',
  publicDir: './site/public',
  output: 'server',
  adapter: cloudflare({ imageService: 'passthrough' }),
  // Guichet keeps no Astro session (staff sessions are rows in D1): without
  // this, the adapter declares a KV binding named SESSION nobody uses.
  session: false,
  build: { inlineStylesheets: 'never' },
  trailingSlash: 'never',
  devToolbar: { enabled: false },
  // Every build names itself: the edge cache's keys carry it, so a deploy
  // never serves pages that link to the previous build's stylesheet.
  vite: { define: { __GUICHET_BUILD__: JSON.stringify(new Date().toISOString()) } },
});
