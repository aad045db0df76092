/**
 * The traffic mix of issue 12, as operations a client runs one after the
 * other: office pages (Zipf-like popularity over every active office),
 * searches (coordinates and text, API and `/recherche`), hours API, sitemaps
 * and home, staff edits (add then remove a future exception, or rewrite the
 * weekly rules unchanged), and the static stylesheet as the baseline.
 */
import type { Pool } from 'undici';
import { type Answer, type Call, jsonOf, send, headerOf } from './client';
import type { Catalogue, Office } from './catalogue';
import type { Sample } from './stats';

/** Shares of the requests (the mix of issue 12), before the static baseline is added. */
export const SHARES = { office: 0.6, search: 0.2, hours: 0.1, sitemapHome: 0.05, edit: 0.05 } as const;

/** Requests an edit makes: a read for the ETag, then one write (weekly rules, 1 in 5) or two (add, then remove an exception). */
const REQUESTS_PER_EDIT = 0.2 * 2 + 0.8 * 3;

/** Probabilities of the operations, so that the requests they make follow SHARES. */
const OPERATION_WEIGHTS = (() => {
  const raw = { ...SHARES, edit: SHARES.edit / REQUESTS_PER_EDIT };
  const total = Object.values(raw).reduce((a, n) => a + n, 0);
  return Object.fromEntries(Object.entries(raw).map(([k, n]) => [k, n / total])) as typeof SHARES;
})();

/** Deterministic PRNG (mulberry32): the same seed gives the same sequence of choices. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Ranks 0..n-1 drawn with weight 1/(rank+1)^s. */
export function zipf(n: number, s: number, random: () => number): () => number {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += 1 / Math.pow(i + 1, s);
    cdf[i] = total;
  }
  return () => {
    const x = random() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** The local calendar date (YYYY-MM-DD) of `at` in `timeZone`. */
export function localDate(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** The note every bench-made exception carries: a reused state can be searched for leftovers by it. */
export const EDIT_NOTE = 'bench-mix: test edit, removed at once';

export type Recorder = (sample: Sample) => void;
export type Operation = () => Promise<void>;

export interface MixOptions {
  pool: Pool;
  catalogue: Catalogue;
  token: string;
  seed: number;
  zipfExponent: number;
  /** Share of operations that fetch the static asset, on top of the mix. */
  staticShare: number;
  /** Offices the mix must not edit (the visibility probe's). */
  reserved: Set<string>;
  record: Recorder;
}

/** One created exception not yet removed: removed at the end if an edit could not. */
export interface Leftover {
  locationId: string;
  exceptionId: string;
}

const SEARCH_FILTERS_API = ['', '&services=parcel_pickup', '&open_now=true', '&services=parcel_pickup&open_now=true', '&type=post_office', '&open_saturday=true'];
const SEARCH_FILTERS_PAGE = ['', '&ouvert=oui', '&service=parcel_pickup', '&service=parcel_pickup&ouvert=oui', '&rayon=10', '&rayon=20&ouvert=oui'];

export class Mix {
  readonly random: () => number;
  /** Offices in popularity order: rank 0 is the most asked for. */
  readonly byPopularity: Office[];
  private readonly rank: () => number;
  private readonly busy = new Set<string>();
  readonly leftovers = new Map<string, Leftover>();
  private readonly departmentSitemaps: string[];

  constructor(private readonly options: MixOptions) {
    this.random = rng(options.seed);
    // Popularity unrelated to id order: a seeded shuffle of the offices.
    const shuffled = [...options.catalogue.offices];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    this.byPopularity = shuffled;
    this.rank = zipf(shuffled.length, options.zipfExponent, this.random);
    this.departmentSitemaps = options.catalogue.sitemaps.filter((s) => s !== '/sitemap.xml');
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)];
  }

  popular(): Office {
    return this.byPopularity[this.rank()];
  }

  private async get(kind: string, path: string, extra: Partial<Call> = {}): Promise<Answer> {
    const answer = await send(this.options.pool, kind, { path, ...extra });
    this.options.record(answer.sample);
    return answer;
  }

  /** The next operation a client runs. */
  next(): Operation {
    if (this.random() < this.options.staticShare) return () => this.get('static', this.options.catalogue.staticPath).then(() => {});
    let x = this.random();
    const w = OPERATION_WEIGHTS;
    if ((x -= w.office) < 0) return () => this.officePage(this.popular()).then(() => {});
    if ((x -= w.search) < 0) return () => this.search();
    if ((x -= w.hours) < 0) return () => this.hours();
    if ((x -= w.sitemapHome) < 0) return () => this.sitemapOrHome();
    return () => this.edit();
  }

  officePage(office: Office): Promise<Answer> {
    return this.get('office', office.path, { headers: { accept: 'text/html' } });
  }

  hoursOf(office: Office): Promise<Answer> {
    return this.get('hours', `/api/v1/locations/${office.id}/hours`);
  }

  /** Coordinates as a phone or a map gives them, near the office (within ~100 m), to 4 decimals. */
  nearOf(office: Office, jitter: boolean): string {
    const d = () => (jitter ? (this.random() - 0.5) * 0.002 : 0);
    return `${(office.latitude + d()).toFixed(4)},${(office.longitude + d()).toFixed(4)}`;
  }

  /** The coordinate search the visibility probe polls: also asked for by the mix (no filter, at the office). */
  static probeSearchPath(office: Office): string {
    return `/api/v1/locations/search?near=${office.latitude.toFixed(4)},${office.longitude.toFixed(4)}`;
  }

  private async search(): Promise<void> {
    const office = this.popular();
    const text = () => (this.random() < 0.55 ? office.commune : office.postcode);
    const x = this.random();
    if (x < 0.3) {
      // At the office itself (a "near this office" link) or around it.
      const atOffice = this.random() < 0.4;
      const filter = atOffice && this.random() < 0.5 ? '' : this.pick(SEARCH_FILTERS_API);
      await this.get('search-api-near', `/api/v1/locations/search?near=${this.nearOf(office, !atOffice)}${filter}`);
    } else if (x < 0.55) {
      await this.get('search-api-text', `/api/v1/locations/search?q=${encodeURIComponent(text())}${this.pick(SEARCH_FILTERS_API)}`);
    } else if (x < 0.9) {
      await this.get('search-page', `/recherche?q=${encodeURIComponent(text())}${this.pick(SEARCH_FILTERS_PAGE)}`, { headers: { accept: 'text/html' } });
    } else {
      // The page's "use my position" script fills `near`.
      await this.get('search-page', `/recherche?near=${encodeURIComponent(this.nearOf(office, true))}${this.pick(SEARCH_FILTERS_PAGE)}`, { headers: { accept: 'text/html' } });
    }
  }

  private async hours(): Promise<void> {
    const office = this.popular();
    if (this.random() < 0.55) await this.hoursOf(office);
    else await this.get('status', `/api/v1/locations/${office.id}/status`);
  }

  private async sitemapOrHome(): Promise<void> {
    const x = this.random();
    if (x < 0.5) await this.get('home', '/', { headers: { accept: 'text/html' } });
    else if (x < 0.6) await this.get('sitemap', '/sitemap.xml');
    else await this.get('sitemap', this.pick(this.departmentSitemaps));
  }

  private bearer(): Record<string, string> {
    return { authorization: `Bearer ${this.options.token}` };
  }

  /** The hours and their ETag as a staff tool reads them (with its token), before a write. */
  async staffRead(office: Office, kind = 'edit-read'): Promise<{ etag?: string; hours?: any }> {
    const answer = await this.get(kind, `/api/v1/locations/${office.id}/hours`, { headers: this.bearer(), keepBody: true });
    if (answer.status !== 200) return {};
    return { etag: headerOf(answer.headers, 'etag'), hours: jsonOf(answer) };
  }

  /** A write with If-Match; on 412 (stale ETag) reads again and retries, three tries at most. */
  async write(office: Office, call: (etag: string) => Call, first?: string): Promise<Answer | undefined> {
    let etag = first;
    for (let attempt = 0; attempt < 3; attempt++) {
      if (!etag) etag = (await this.staffRead(office)).etag;
      if (!etag) return undefined;
      const request = call(etag);
      const answer = await this.get('edit-write', request.path, { ...request, headers: { ...this.bearer(), 'if-match': etag, ...request.headers }, keepBody: true });
      if (answer.status !== 412) return answer;
      etag = undefined;
    }
    return undefined;
  }

  /** Removes a bench exception, with a fresh ETag when the one given is stale. */
  async removeException(office: Office, exceptionId: string, etag?: string): Promise<boolean> {
    const answer = await this.write(office, () => ({ method: 'DELETE', path: `/api/v1/locations/${office.id}/hours/exceptions/${exceptionId}` }), etag);
    const done = answer !== undefined && (answer.status === 200 || answer.status === 404);
    if (done) this.leftovers.delete(exceptionId);
    return done;
  }

  /** A staff edit on an office nobody else is editing: add then remove a future closure, or rewrite the weekly rules unchanged. */
  private async edit(): Promise<void> {
    let office: Office | undefined;
    for (let i = 0; i < 20 && !office; i++) {
      const candidate = this.pick(this.byPopularity);
      if (!this.busy.has(candidate.id) && !this.options.reserved.has(candidate.id)) office = candidate;
    }
    if (!office) return;
    this.busy.add(office.id);
    try {
      const { etag, hours } = await this.staffRead(office);
      if (!etag || !hours) return;
      if (this.random() < 0.2 && Array.isArray(hours.weekly) && hours.weekly.length > 0) {
        await this.write(office, () => ({ method: 'PUT', path: `/api/v1/locations/${office.id}/hours/weekly`, json: { rules: hours.weekly } }), etag);
        return;
      }
      // Well ahead (6 weeks to 6 months): never today's status, nor the 14 days the pages show.
      const date = addDays(localDate(new Date(), office.timeZone), 42 + Math.floor(this.random() * 140));
      const created = await this.write(office, () => ({
        method: 'POST', path: `/api/v1/locations/${office.id}/hours/exceptions`,
        json: { start_date: date, closed: true, reason: 'works', note: EDIT_NOTE },
      }), etag);
      if (created?.status !== 201) return;
      // The new exception's id is in Location: /api/v1/locations/{id}/hours/exceptions/{exceptionId}.
      const exceptionId = /\/hours\/exceptions\/([^/?#]+)$/.exec(headerOf(created.headers, 'location') ?? '')?.[1];
      if (!exceptionId) return;
      this.leftovers.set(exceptionId, { locationId: office.id, exceptionId });
      await this.removeException(office, exceptionId, headerOf(created.headers, 'etag'));
    } finally {
      this.busy.delete(office.id);
    }
  }
}
