/**
 * A national closure: every office of the network (17,000, about the size
 * of the real network) closed by ONE bulk call, then handed to IndexNow and
 * to the Google webhook within two cron runs, each run within the Workers
 * budget (D1 statements and subrequests per invocation).
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { drizzleDatabase } from '../../worker/database';
import { addDays, localParts } from '../../worker/hours/zoned-time';
import { runPublication } from '../../worker/publication/job';
import type { PublicationConfig } from '../../worker/publication/targets';
import { request } from './http-client';
import { bearer, token } from './staff';

const OFFICES = 17_000;
const receiver = `${env.RECEIVER_URL}/scale`;
const ORIGIN = 'https://guichet.example.fr';
const config: PublicationConfig = {
  indexNowEndpoint: `${receiver}/indexnow`,
  indexNowKey: 'cafe0123456789ab',
  googleWebhookUrl: `${receiver}/google`,
  dryRun: false,
  siteOrigin: ORIGIN,
};
const ids = Array.from({ length: OFFICES }, (_, i) => `N${String(i).padStart(5, '0')}`);
/** Every office is "Bureau" in "Bourg": its page is /bureaux/bureau-bourg-{id}, as documented. */
const pageUrl = (id: string) => `${ORIGIN}/bureaux/bureau-bourg-${id.toLowerCase()}`;

/** The D1 binding, counting every statement run through it (a batch counts each of its statements). */
function countingD1(d1: D1Database) {
  const count = { statements: 0, calls: 0 };
  const targets = new WeakMap<object, D1PreparedStatement>();
  const wrap = (statement: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(statement, {
      get(target, key) {
        const value = Reflect.get(target, key);
        if (typeof value !== 'function') return value;
        if (key === 'bind') return (...args: unknown[]) => wrap(value.apply(target, args));
        if (['all', 'run', 'first', 'raw'].includes(key as string)) {
          return (...args: unknown[]) => {
            count.statements++;
            count.calls++;
            return value.apply(target, args);
          };
        }
        return value.bind(target);
      },
    });
    targets.set(proxy, statement);
    return proxy;
  };
  const unwrap = (s: D1PreparedStatement) => targets.get(s) ?? s;
  const proxy = new Proxy(d1, {
    get(target, key) {
      if (key === 'prepare') return (query: string) => wrap(target.prepare(query));
      if (key === 'batch') {
        return (statements: D1PreparedStatement[]) => {
          count.statements += statements.length;
          count.calls++;
          return target.batch(statements.map(unwrap));
        };
      }
      const value = Reflect.get(target, key);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { d1: proxy, count };
}

describe('publication at national scale', () => {
  it('closes 17,000 offices in one bulk call and hands them all over within two cron runs', async () => {
    await fetch(`${receiver}/__reset`, { method: 'POST' });
    await env.DB.prepare(
      `insert into locations (id, name, source_name, type, postcode, commune, insee_code, department, latitude, longitude, time_zone, services, source, source_hash)
       select value, 'Bureau', 'BUREAU', 'post_office', '75001', 'Bourg', '75101', '75', 48.86, 2.34, 'Europe/Paris', '[]', 'demo', 'x' from json_each(?)`,
    ).bind(JSON.stringify(ids)).run();

    const date = addDays(localParts(new Date(), 'Europe/Paris').date, 3);
    const editor = await token('hours', 'network');
    let t = Date.now();
    const response = await request('/api/v1/hours/bulk-exceptions', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(editor) },
      body: JSON.stringify({ location_ids: ids, exception: { start_date: date, end_date: date, closed: true, reason: 'strike', note: 'Grève nationale' } }),
    });
    const bulkMs = Date.now() - t;
    expect(response.status).toBe(201);
    const created = (await response.json()) as { locations: number; exception_ids: string[] };
    expect(created.locations).toBe(OFFICES);
    expect(new Set(created.exception_ids).size).toBe(OFFICES);
    const written = await env.DB.prepare(
      `select (select count(*) from hours_exceptions where note = 'Grève nationale') as exceptions,
              (select count(*) from hours_audit where action = 'exception.add') as audit,
              (select count(*) from location_hours where version = 1) as versions`,
    ).first<{ exceptions: number; audit: number; versions: number }>();
    expect(written).toEqual({ exceptions: OFFICES, audit: OFFICES, versions: OFFICES });

    const runs = [];
    const t0 = new Date();
    for (const at of [t0, new Date(t0.getTime() + 15 * 60_000)]) {
      const { d1, count } = countingD1(env.DB);
      t = Date.now();
      const report = await runPublication(drizzleDatabase(d1), config, at);
      runs.push({ ms: Date.now() - t, statements: count.statements, calls: count.calls, report });
    }
    console.log(`bulk call: ${bulkMs} ms; runs: ${JSON.stringify(runs.map(({ report, ...r }) => ({ ...r, recorded: report.recorded, sent: report.sent })))}`);

    const deliveries = (await (await fetch(`${receiver}/__received`)).json()) as Array<{ path: string; body: any }>;
    const indexNow = deliveries.filter((d) => d.path === '/indexnow');
    expect(indexNow.length).toBeLessThanOrEqual(2);
    for (const d of indexNow) {
      expect(d.body.urlList.length).toBeLessThanOrEqual(10_000);
      expect(d.body).toMatchObject({ host: 'guichet.example.fr', key: 'cafe0123456789ab' });
    }
    const urls = indexNow.flatMap((d) => d.body.urlList as string[]);
    expect(urls).toHaveLength(OFFICES);
    expect(new Set(urls)).toEqual(new Set(ids.map(pageUrl)));

    const google = deliveries.filter((d) => d.path === '/google').flatMap((d) => d.body.locations as any[]);
    expect(google).toHaveLength(OFFICES);
    const byId = new Map(google.map((p) => [p.location_id, p]));
    expect(byId.size).toBe(OFFICES);
    const [year, month, day] = date.split('-').map(Number);
    for (const id of ids) {
      const payload = byId.get(id);
      expect(payload.page_url).toBe(pageUrl(id));
      expect(payload.specialHours.specialHourPeriods).toContainEqual(
        expect.objectContaining({ startDate: { year, month, day }, closed: true }),
      );
    }

    for (const run of runs) {
      expect(run.report).toMatchObject({ failed: 0, errors: [] });
      // Workers: 1,000 D1 queries and 1,000 subrequests per invocation (paid plan); keep well inside.
      expect(run.statements).toBeLessThan(500);
    }
    expect(deliveries.length).toBeLessThan(100);
    // Nothing left behind.
    expect(await runPublication(drizzleDatabase(env.DB), config, new Date(t0.getTime() + 30 * 60_000))).toMatchObject({ sent: 0, failed: 0 });
  }, 180_000);
});
