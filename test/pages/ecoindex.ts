/**
 * EcoIndex (ecoindex.fr, GreenIT / Collectif Conception Numérique
 * Responsable) of a page, measured in Chromium the way the reference scraper
 * measures it, and scored with the reference formula and quantiles.
 *
 * Sources (read 2026-11, copied here as data, no dependency added):
 * - quantiles and grade bounds: cnumr/ecoindex_reference, `ecoindex_reference.json`
 *   (`quantiles.dom_size`, `nb_request`, `response_size`; grades A > 80, B > 70…),
 *   the same tables as cnumr/ecoindex_python `ecoindex/compute/data/quantiles.py`;
 * - score: cnumr/ecoindex_python `ecoindex/compute/ecoindex.py` (`get_quantile`,
 *   `get_score`: 100 − 5 × (3 q_dom + 2 q_req + q_size) / 6, size in kB = bytes / 1000);
 * - measure: cnumr/ecoindex_python `ecoindex/scraper/scrap.py`: a 1920 × 1080
 *   window, the page loaded then scrolled to the bottom; nodes = every element
 *   (`//*`) minus the descendants of `<svg>`; requests = `Network.responseReceived`
 *   events for http(s) URLs; size = the sum of their `Network.loadingFinished`
 *   `encodedDataLength` (bytes on the wire, headers included), or of their
 *   `Network.dataReceived` ones while a response is still loading.
 */
import type { Browser } from 'playwright-core';

/** The 21 bounds of each of the 20 quantiles (HTTP Archive, 500,000 URLs). */
export const ECOINDEX_QUANTILES = {
  dom: [0, 47, 75, 159, 233, 298, 358, 417, 476, 537, 603, 674, 753, 843, 949, 1076, 1237, 1459, 1801, 2479, 594601],
  requests: [0, 2, 15, 25, 34, 42, 49, 56, 63, 70, 78, 86, 95, 105, 117, 130, 147, 170, 205, 281, 3920],
  sizeKb: [
    0, 1.37, 144.7, 319.53, 479.46, 631.97, 783.38, 937.91, 1098.62, 1265.47, 1448.32, 1648.27, 1876.08,
    2142.06, 2465.37, 2866.31, 3401.59, 4155.73, 5400.08, 8037.54, 223212.26,
  ],
} as const;

/** Lower bounds of the grades: a score above 80 is A. */
const GRADES: Array<[number, string]> = [[80, 'A'], [70, 'B'], [55, 'C'], [40, 'D'], [25, 'E'], [10, 'F']];

export interface PageMetrics {
  /** Elements in the DOM, `<svg>` descendants excluded. */
  dom: number;
  requests: number;
  /** Bytes received, as Chromium counts them on the wire. */
  bytes: number;
}

/** Position of `value` in a quantile table, 0–20, interpolated inside its quantile. */
export function quantilePosition(quantiles: readonly number[], value: number): number {
  for (let i = 1; i < quantiles.length; i++) {
    if (value < quantiles[i]) return i - 1 + (value - quantiles[i - 1]) / (quantiles[i] - quantiles[i - 1]);
  }
  return quantiles.length - 1;
}

/** The EcoIndex score, 0–100, not rounded (the reference rounds it for display). */
export function ecoIndex({ dom, requests, bytes }: PageMetrics): number {
  const q = ECOINDEX_QUANTILES;
  const qDom = quantilePosition(q.dom, dom);
  const qRequests = quantilePosition(q.requests, requests);
  const qSize = quantilePosition(q.sizeKb, bytes / 1000);
  return 100 - (5 * (3 * qDom + 2 * qRequests + qSize)) / 6;
}

export function ecoIndexGrade(score: number): string {
  return GRADES.find(([bound]) => score > bound)?.[1] ?? 'G';
}

/**
 * Loads `url` in a fresh context (empty cache, JavaScript on, as the
 * reference does) and measures what EcoIndex counts.
 */
export async function measurePage(browser: Browser, url: string): Promise<PageMetrics> {
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
  try {
    const tab = await context.newPage();
    const cdp = await context.newCDPSession(tab);
    const sizes = new Map<string, number>();
    cdp.on('Network.responseReceived', (event) => {
      if (event.response.url.startsWith('http')) sizes.set(event.requestId, sizes.get(event.requestId) ?? 0);
    });
    cdp.on('Network.dataReceived', (event) => {
      if (sizes.has(event.requestId)) sizes.set(event.requestId, sizes.get(event.requestId)! + event.encodedDataLength);
    });
    cdp.on('Network.loadingFinished', (event) => {
      if (sizes.has(event.requestId)) sizes.set(event.requestId, event.encodedDataLength);
    });
    await cdp.send('Network.enable');
    const response = await tab.goto(url, { waitUntil: 'load' });
    if (response?.status() !== 200) throw new Error(`${url} answered ${response?.status()}`);
    await tab.evaluate(() => window.scrollTo({ top: document.body.scrollHeight }));
    await tab.waitForLoadState('networkidle');
    const dom = await tab.evaluate(
      () => document.getElementsByTagName('*').length - document.querySelectorAll('svg *').length,
    );
    await cdp.detach();
    return { dom, requests: sizes.size, bytes: [...sizes.values()].reduce((a, b) => a + b, 0) };
  } finally {
    await context.close();
  }
}
