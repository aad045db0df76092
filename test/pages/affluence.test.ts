/**
 * The affluence bars on an office page, against the built Worker: the
 * slice's post office with the longest week (the largest histogram a page
 * can show) gets counts for every open quarter of its last 26 weeks and
 * arrivals in the last 15 minutes, written here straight into the served
 * D1; its page then shows today's bars open and the other days folded, a
 * row per quarter saying "10 h 15" and its level, the live sentence, the
 * two links (an active offer is added), with no script, no inline style,
 * within 14 KB compressed with its CSS, and axe-clean in Chromium with
 * JavaScript off. A post office without counts shows no section.
 * Expected levels are computed here from the arrivals written.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase } from '../../scripts/local-db';
import { demoSchedule } from '../../tools/demo/hours';
import { DEMO_SEED, generateDemoNetwork } from '../../tools/demo/network';
import { addArrivals, emptyCounts, encodeCounts, periodAt } from '../../worker/affluence/histogram';
import { compileSchedule, spansOn } from '../../worker/hours/engine';
import { DAY_MS, localParts } from '../../worker/hours/zoned-time';
import { expectedOfficePath } from '../expected-paths';
import { axeViolations, launchChromium } from './chromium';
import { office as fixtureOffice, PAGE_TEST_NETWORK_SIZE } from './fixtures';
import { compressedWeight, executableScripts, fetchPage, PAGE_BUDGET_BYTES } from './gates';

const baseUrl = inject('baseUrl');
const statePath = inject('statePath');
const ZONE = 'Europe/Paris';
const WEEKS = 26;

const slice = generateDemoNetwork(DEMO_SEED, PAGE_TEST_NETWORK_SIZE).slice(0, -1);
const today = localParts(Date.now(), ZONE).date;
const todayNumber = Date.parse(today) / DAY_MS;
const weekdayOf = (day: number) => ((((day + 3) % 7) + 7) % 7) + 1; // day 0, 1970-01-01, was a Thursday
const postOffices = slice.filter((l) => l.type === 'post_office' && l.timeZone === ZONE && l.id !== fixtureOffice.id);
/** Open quarters (minutes since midnight) per ISO weekday, from the office's demo schedule over a usual week. */
function openQuarters(location: (typeof slice)[number]): Map<number, number[]> {
  const compiled = compileSchedule(demoSchedule(location, today));
  const byWeekday = new Map<number, number[]>();
  // A week far from today's exceptions and holidays: its weekly rules.
  for (let day = todayNumber - 35; day < todayNumber - 28; day++) {
    const quarters = spansOn(compiled, day).flatMap((s) => Array.from({ length: Math.max(0, Math.floor((s.closes - s.opens) / 15)) }, (_, i) => s.opens + 15 * i));
    byWeekday.set(weekdayOf(day), quarters);
  }
  return byWeekday;
}
const totalQuarters = (l: (typeof slice)[number]) => [...openQuarters(l).values()].reduce((n, q) => n + q.length, 0);
/** The post office whose week has the most open quarters: the largest histogram. */
const busiest = [...postOffices].sort((a, b) => totalQuarters(b) - totalQuarters(a))[0]!;
const quiet = postOffices.find((l) => l.id !== busiest.id)!;
const week = openQuarters(busiest);
/** Arrivals per day in the quarter starting at `minutes`: 2 to 11, varied, so the bars differ. */
const perDay = (minutes: number) => 2 + ((minutes / 15) * 7) % 10;
const spoken = (minutes: number) => `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')}`;
const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

const decode = (html: string) => html.replace(/&#39;/g, '’').replace(/&amp;/g, '&').replace(/&quot;/g, '"');

let browser: Browser;
beforeAll(async () => {
  const { db, close } = await openDatabase({ persistTo: statePath });
  try {
    const d1 = db.$client;
    const arrivals: number[] = [];
    for (let back = 1; back <= WEEKS * 7; back++) {
      const date = new Date((todayNumber - back) * DAY_MS).toISOString().slice(0, 10);
      for (const minutes of week.get(weekdayOf(todayNumber - back)) ?? []) {
        const start = Date.parse(`${date}T${hhmm(minutes)}:00Z`);
        // Paris wall time → instant: its offset that day (an hour in winter, two in summer).
        const offset = (localParts(start, ZONE).minutes - minutes + 1440) % 1440;
        for (let k = 0; k < perDay(minutes); k++) arrivals.push(start - offset * 60_000 + k * 1000);
      }
    }
    await d1.prepare('delete from affluence_counts where location_id in (?, ?)').bind(busiest.id, quiet.id).run();
    await d1.prepare('insert into affluence_counts (location_id, period, counts, updated_at) values (?, ?, ?, ?)')
      .bind(busiest.id, periodAt(Date.now(), ZONE), encodeCounts(addArrivals(emptyCounts(), arrivals, ZONE)), Date.now()).run();
    const now = Date.now();
    await d1.batch([now - 30_000, now - 90_000, now - 200_000].map((at, i) => d1.prepare(
      `insert into visit_events (location_id, service_date, ticket, kind, at, source, received_at) values (?, ?, ?, 'arrival', ?, 'qms_test', ?)`,
    ).bind(busiest.id, today, `P${i}-${now}`, at, now)));
    await d1.prepare(`insert into office_offers (id, location_id, kind, label, duration_minutes, capacity, active, updated_at, version)
      values (?, ?, 'deposit', 'Dépôt de colis', 15, 2, 1, ?, 1) on conflict do nothing`).bind(`ofr_aff_${busiest.id}`, busiest.id, now).run();
  } finally {
    await close();
  }
  browser = await launchChromium();
}, 120_000);
afterAll(async () => browser?.close());

describe('the affluence bars on an office page', () => {
  it('shows today’s bars and the other days folded, each quarter as text, with the live level and the links, within the budget', async () => {
    const path = expectedOfficePath(busiest);
    const page = await fetchPage(baseUrl, path);
    expect(page.status).toBe(200);
    const html = page.html;
    expect(executableScripts(html)).toEqual([]);
    expect(html).not.toMatch(/\sstyle="/);
    expect(html).not.toMatch(/<img\b/);
    const weight = compressedWeight(page);
    expect(weight, `${path}: ${weight} bytes compressed`).toBeLessThanOrEqual(PAGE_BUDGET_BYTES);

    const todayWeekday = localParts(Date.now(), ZONE).weekday;
    const names = ['Lundi', 'Mardi', 'Mercredi', 'Jeudi', 'Vendredi', 'Samedi', 'Dimanche'];
    const openDays = [1, 2, 3, 4, 5, 6, 7].filter((w) => (week.get(w) ?? []).length > 0);
    const summaries = [...html.matchAll(/<details( open)?[^>]*>\s*<summary[^>]*>([^<]+)<\/summary>/g)].map((m) => [decode(m[2]!).trim(), Boolean(m[1])]);
    const todayFirst = openDays.includes(todayWeekday) ? [todayWeekday, ...openDays.filter((w) => w !== todayWeekday)] : openDays;
    expect(summaries).toEqual(todayFirst.map((w) => [w === todayWeekday ? `${names[w - 1]} (aujourd’hui)` : names[w - 1], w === todayWeekday]));

    // Every open quarter of each day is a row: its time spoken, then its level against the day's busiest quarter.
    for (const weekday of openDays) {
      const quarters = week.get(weekday)!;
      const peak = Math.max(...quarters.map(perDay));
      for (const minutes of [quarters[0]!, quarters.at(-1)!, quarters[Math.floor(quarters.length / 2)]!]) {
        const level = Math.round((100 * perDay(minutes)) / peak);
        expect(html, `${names[weekday - 1]} ${spoken(minutes)}`).toMatch(new RegExp(`<th scope="row"[^>]*>${spoken(minutes)}</th>\\s*<td[^>]*><span class="bar w${Math.round(level / 5) * 5}"[^>]*></span>${level} %</td>`));
      }
    }
    if (openDays.includes(todayWeekday)) {
      const peak = Math.max(...week.get(todayWeekday)!.map(perDay));
      const level = Math.round((100 * 3) / peak);
      expect(decode(html)).toMatch(new RegExp(`En ce moment : [a-zé ]+ \\(${level} %\\) — `));
    }
    expect(html).toContain(`href="/rendez-vous/${busiest.id}"`);
    expect(html).toContain(`href="/compte/alertes-affluence?bureau=${busiest.id}"`);

    // Without JavaScript, today's rows are shown, the other days' folded away.
    const plain = await browser.newContext({ javaScriptEnabled: false });
    const tab = await plain.newPage();
    await tab.goto(`${baseUrl}${path}`);
    const shown = openDays.includes(todayWeekday) ? week.get(todayWeekday)!.length : 0;
    expect(await tab.locator('table.bars tbody tr:visible').count()).toBe(shown);
    await plain.close();
    // axe needs script; the page forbids it by CSP, so this context alone bypasses CSP. Both colour schemes.
    for (const colorScheme of ['light', 'dark'] as const) {
      const context = await browser.newContext({ bypassCSP: true, colorScheme });
      const audited = await context.newPage();
      await audited.goto(`${baseUrl}${path}`);
      expect(await axeViolations(audited), colorScheme).toEqual([]);
      await context.close();
    }
  }, 60_000);

  it('shows no affluence section, and no link to alerts, for a post office where nothing was counted', async () => {
    const page = await fetchPage(baseUrl, expectedOfficePath(quiet));
    expect(page.status).toBe(200);
    expect(page.html).not.toContain('Affluence au guichet');
    expect(page.html).not.toContain('alertes-affluence');
  });
});
