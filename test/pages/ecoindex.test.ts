/**
 * Every page type rates EcoIndex A (above 80), measured in Chromium as the
 * reference scraper measures it (see ecoindex.ts), on the longest page of
 * each type: the département with the most communes, the commune with the
 * most locations.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium } from './chromium';
import { ecoIndex, measurePage } from './ecoindex';
import { ECOINDEX_PAGES, largestDepartment, PAGES } from './fixtures';
import { fetchPage } from './gates';

const baseUrl = inject('baseUrl');

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => browser?.close());

describe('EcoIndex', () => {
  it('measures a département page as long as the largest one of the full demo network', async () => {
    const { html } = await fetchPage(baseUrl, PAGES.department.path);
    const listed = [...html.matchAll(/<li><a href="\/communes\//g)].length;
    // Either the whole of the real Nord fits on this page, or this page is full and paging takes the rest.
    if (listed < largestDepartment.communesInFullNetwork) expect(html).toContain('rel="next"');
    expect(listed).toBeGreaterThan(0);
  });

  it.each(Object.entries(ECOINDEX_PAGES))('rates the %s page A', async (_kind, path) => {
    const metrics = await measurePage(browser, `${baseUrl}${path}`);
    const score = ecoIndex(metrics);
    expect(score, `${path}: ${JSON.stringify(metrics)} scores ${score.toFixed(1)}`).toBeGreaterThan(80);
  });
});
