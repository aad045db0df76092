/**
 * The visibility probe: during the load, one hours change on a popular
 * office (a closure today if it is open now, else a special opening all day
 * today, with a distinctive note), then how long until the office page, the
 * hours API and a search that lists it show it, polling each about once a
 * second for at most two minutes; then the change is undone.
 */
import { performance } from 'node:perf_hooks';
import type { Pool } from 'undici';
import { type Answer, type Call, headerOf, jsonOf, send } from './client';
import type { Office } from './catalogue';
import { localDate, Mix } from './workload';

export interface Visibility {
  /** Seconds from the write's 201 to the first poll that showed the change; null when not seen within the limit. */
  seconds: number | null;
  polls: number;
  /** `Server-Timing` edge value of the first answer that showed it, and of the last that did not. */
  edgeWhenSeen: string | null;
  edgeLastStale: string | null;
  /** Answers that were not 200 (errors while polling). */
  failedPolls: number;
}

export interface ProbeResult {
  office?: { id: string; path: string; rank: number };
  change?: 'closure' | 'special_opening';
  note?: string;
  searchPath?: string;
  page?: Visibility;
  api?: Visibility;
  search?: Visibility;
  undone?: boolean;
  error?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ProbeOptions {
  pool: Pool;
  token: string;
  mix: Mix;
  /** How many of the most popular offices may be chosen (kept out of the mix's edits). */
  candidates: number;
  pollEveryMs: number;
  giveUpMs: number;
  /** True once the run is being interrupted: polling ends, the change is still undone. */
  stopped: () => boolean;
  log: (line: string) => void;
}

export class Probe {
  constructor(private readonly options: ProbeOptions) {}

  private bearer = () => ({ authorization: `Bearer ${this.options.token}` });

  private get(path: string, extra: Partial<Call> = {}): Promise<Answer> {
    return send(this.options.pool, 'probe', { path, keepBody: true, ...extra });
  }

  private screened: { office: Office; rank: number }[] = [];

  /**
   * Before the load: up to five of the most popular offices with weekly
   * hours, no exception today, and found by the search the probe polls.
   */
  async prepare(): Promise<number> {
    for (let rank = 0; rank < this.options.candidates && this.screened.length < 5; rank++) {
      const office = this.options.mix.byPopularity[rank];
      const hours = jsonOf(await this.get(`/api/v1/locations/${office.id}/hours`, { headers: this.bearer() }));
      if (!hours?.weekly?.length || hours.next_days?.[0]?.exception) continue;
      const search = jsonOf(await this.get(Mix.probeSearchPath(office)));
      if (search?.results?.some((r: any) => r.id === office.id)) this.screened.push({ office, rank });
    }
    return this.screened.length;
  }

  /** Of the screened offices, one whose status will not change by itself during the probe. */
  private async choose(): Promise<{ office: Office; rank: number; open: boolean } | undefined> {
    const margin = Date.now() + (this.options.giveUpMs + 60_000);
    for (const { office, rank } of this.screened) {
      // A unique instant: never a cached answer.
      const status = jsonOf(await this.get(`/api/v1/locations/${office.id}/status?at=${encodeURIComponent(new Date().toISOString())}`));
      if (!status) continue;
      const next = status.open ? status.closes_at : status.opens_at;
      if (next && Date.parse(next) < margin) continue;
      return { office, rank, open: Boolean(status.open) };
    }
    return undefined;
  }

  private async watch(path: string, since: number, visible: (answer: Answer) => boolean): Promise<Visibility> {
    const result: Visibility = { seconds: null, polls: 0, edgeWhenSeen: null, edgeLastStale: null, failedPolls: 0 };
    while (performance.now() - since < this.options.giveUpMs && !this.options.stopped()) {
      const started = performance.now();
      const answer = await this.get(path, { headers: path.startsWith('/api/') ? {} : { accept: 'text/html' } });
      result.polls++;
      if (answer.status !== 200) result.failedPolls++;
      else if (visible(answer)) {
        result.seconds = Number(((performance.now() - since) / 1000).toFixed(1));
        result.edgeWhenSeen = answer.sample.timing.edge ?? null;
        return result;
      } else result.edgeLastStale = answer.sample.timing.edge ?? null;
      await sleep(Math.max(0, this.options.pollEveryMs - (performance.now() - started)));
    }
    return result;
  }

  private async remove(office: Office, exceptionId: string, etag: string | undefined): Promise<boolean> {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (!etag) etag = headerOf((await this.get(`/api/v1/locations/${office.id}/hours`, { headers: this.bearer() })).headers, 'etag');
      if (!etag) continue;
      const answer = await this.get(`/api/v1/locations/${office.id}/hours/exceptions/${exceptionId}`, {
        method: 'DELETE', headers: { ...this.bearer(), 'if-match': etag },
      });
      if (answer.status === 200 || answer.status === 404) return true;
      etag = undefined;
    }
    return false;
  }

  async run(): Promise<ProbeResult> {
    const chosen = await this.choose();
    if (!chosen) return { error: `none of the ${this.options.candidates} most popular offices fits (weekly hours, no exception today, found by its search, status steady for the probe's duration)` };
    const { office, rank, open } = chosen;
    const today = localDate(new Date(), office.timeZone);
    const note = `Sonde bench-mix ${new Date().toISOString().slice(11, 19).replaceAll(':', '')}`;
    const change = open ? 'closure' : 'special_opening';
    const searchPath = Mix.probeSearchPath(office);
    const result: ProbeResult = { office: { id: office.id, path: office.path, rank }, change, note, searchPath };
    const exception = open
      ? { start_date: today, end_date: today, closed: true, reason: 'staff_shortage', note }
      : { start_date: today, end_date: today, closed: false, intervals: [{ opens: '00:00', closes: '24:00' }], reason: 'other', note };

    const read = await this.get(`/api/v1/locations/${office.id}/hours`, { headers: this.bearer() });
    const etag = headerOf(read.headers, 'etag');
    if (!etag) return { ...result, error: `reading the hours of ${office.id} answered ${read.status}` };
    const created = await this.get(`/api/v1/locations/${office.id}/hours/exceptions`, {
      method: 'POST', headers: { ...this.bearer(), 'if-match': etag }, json: exception,
    });
    const since = performance.now();
    const exceptionId = /\/hours\/exceptions\/([^/?#]+)$/.exec(headerOf(created.headers, 'location') ?? '')?.[1];
    if (created.status !== 201 || !exceptionId) return { ...result, error: `the probe's change was refused: ${created.status} ${created.text?.slice(0, 300) ?? ''}` };
    this.options.log(`probe: ${change} today on ${office.id} (popularity rank ${rank + 1}), note "${note}"; polling page, API and search`);

    try {
      const [page, api, search] = await Promise.all([
        this.watch(office.path, since, (a) => (a.text ?? '').includes(note)),
        this.watch(`/api/v1/locations/${office.id}/hours`, since, (a) => Boolean(jsonOf(a)?.exceptions?.some((e: any) => e.id === exceptionId))),
        this.watch(searchPath, since, (a) => jsonOf(a)?.results?.find((r: any) => r.id === office.id)?.status?.open === !open),
      ]);
      Object.assign(result, { page, api, search });
    } finally {
      result.undone = await this.remove(office, exceptionId, headerOf(created.headers, 'etag'));
    }
    return result;
  }
}
