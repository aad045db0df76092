/**
 * `npm run weigh`: the weight and EcoIndex of every page type, as a markdown
 * table for the README. Builds nothing: it serves the built Worker (`dist/`,
 * from `npm run build`) exactly as the page tests do (test/pages/server.ts:
 * a fresh local D1 holding the demo slice), fetches one page of each type,
 * the longest of its kind, and measures it in Chromium with the same
 * EcoIndex code as test/pages/ecoindex.test.ts.
 */
import { launchChromium } from '../test/pages/chromium';
import { ecoIndex, ecoIndexGrade, measurePage } from '../test/pages/ecoindex';
import { ECOINDEX_PAGES } from '../test/pages/fixtures';
import { compressedWeights, fetchPage, PAGE_BUDGET_BYTES } from '../test/pages/gates';
import { startPageServer } from '../test/pages/server';

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

async function main() {
  process.stderr.write('Serving dist/ on a fresh local D1 with the demo slice…\n');
  const server = await startPageServer();
  const browser = await launchChromium().catch(async (error) => {
    await server.stop();
    throw error;
  });
  try {
    const rows: string[] = [];
    for (const [kind, path] of Object.entries(ECOINDEX_PAGES)) {
      const page = await fetchPage(server.baseUrl, path);
      if (page.status !== 200) throw new Error(`${path} answered ${page.status}`);
      const { gzip, brotli } = compressedWeights(page);
      const metrics = await measurePage(browser, `${server.baseUrl}${path}`);
      const score = ecoIndex(metrics);
      rows.push(
        `| ${kind} | \`${path}\` | ${kb(gzip)} | ${kb(brotli)} | ${metrics.dom} | ${metrics.requests} | ${kb(metrics.bytes)} | ${Math.round(score)} ${ecoIndexGrade(score)} |`,
      );
      process.stderr.write(`  ${kind}: ${score.toFixed(1)}\n`);
    }
    console.log(
      [
        `| page type | measured page | HTML + CSS gzip | HTML + CSS brotli | DOM elements | requests | transferred | EcoIndex |`,
        `| --- | --- | --- | --- | --- | --- | --- | --- |`,
        ...rows,
        '',
        `Budget ${kb(PAGE_BUDGET_BYTES)} compressed HTML + CSS a page. Compressed with Node's zlib defaults (gzip 6, brotli 11);`,
        `DOM elements, requests and transferred bytes (on the wire, as the local server sends them, headers included)`,
        `measured in Chromium at 1920 × 1080 as ecoindex.fr's reference scraper does; EcoIndex from its quantiles (A above 80).`,
      ].join('\n'),
    );
  } finally {
    await browser.close();
    await server.stop();
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
