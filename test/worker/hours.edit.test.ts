import { beforeAll, describe, expect, it } from 'vitest';
import { localParts, addDays } from '../../worker/hours/zoned-time';
import { request } from './http-client';
import { demoSample, load } from './seed';
import { bearer, token } from './staff';

const sample = demoSample(200);
const office = sample.find((l) => l.type === 'post_office' && l.timeZone === 'Europe/Paris')!;
const elsewhere = sample.find((l) => l.department !== office.department)!;
const json = { 'content-type': 'application/json' };
const WEEK = {
  rules: [
    ...['mo', 'tu', 'we', 'th', 'fr'].flatMap((day) => [{ day, opens: '09:00', closes: '12:00' }, { day, opens: '14:00', closes: '17:30' }]),
    { day: 'sa', opens: '09:00', closes: '12:00' },
  ],
};

async function readHours(id: string) {
  const response = await request(`/api/v1/locations/${id}/hours`);
  return { response, etag: response.headers.get('etag')!, body: (await response.json()) as any };
}

async function putWeekly(id: string, secret: string, etag: string | null, body: unknown = WEEK) {
  return request(`/api/v1/locations/${id}/hours/weekly`, {
    method: 'PUT',
    headers: { ...json, ...bearer(secret), ...(etag ? { 'if-match': etag } : {}) },
    body: JSON.stringify(body),
  });
}

async function audit(id: string, secret: string) {
  const response = await request(`/api/v1/locations/${id}/hours/audit`, { headers: bearer(secret) });
  return ((await response.json()) as any).entries as any[];
}

describe('editing weekly hours', () => {
  let editor: string;
  beforeAll(async () => {
    await load(sample);
    editor = await token('hours', 'department', office.department, 'Direction régionale');
  });

  it('starts with no hours, version 0', async () => {
    const { body, etag } = await readHours(office.id);
    expect(body.version).toBe(0);
    expect(body.weekly).toEqual([]);
    expect(etag).toMatch(/^"v0-\d{4}-\d{2}-\d{2}"$/);
  });

  it('replaces the rules with If-Match, and a stale write gets 412 and changes nothing', async () => {
    const first = await readHours(office.id);
    const ok = await putWeekly(office.id, editor, first.etag);
    expect(ok.status).toBe(200);
    const saved = (await ok.json()) as any;
    expect(saved.version).toBe(first.body.version + 1);
    expect(saved.weekly).toEqual(WEEK.rules);
    expect(saved.opening_hours).toContain('Mo-Fr 09:00-12:00,14:00-17:30');
    expect(ok.headers.get('etag')).toBe(`"v${saved.version}-${localParts(new Date(), office.timeZone).date}"`);

    const staleBody = { rules: [{ day: 'su', opens: '10:00', closes: '11:00' }] };
    const stale = await putWeekly(office.id, editor, first.etag, staleBody);
    expect(stale.status).toBe(412);
    expect(((await stale.json()) as any).type).toBe('/api/problems/precondition-failed');
    const after = await readHours(office.id);
    expect(after.body.weekly).toEqual(WEEK.rules);
    expect(after.body.version).toBe(saved.version);
    const entries = await audit(office.id, editor);
    expect(entries.filter((e) => e.action === 'weekly.replace')).toHaveLength(1);
    expect(entries[0]).toMatchObject({ actor: { name: 'Direction régionale' }, before: [], after: WEEK.rules.map((r) => ({ ...r, day: ['mo', 'tu', 'we', 'th', 'fr', 'sa', 'su'].indexOf(r.day) + 1 })) });
  });

  it('requires If-Match (428), a token (401) and the right role and scope (403)', async () => {
    const { etag } = await readHours(office.id);
    expect((await putWeekly(office.id, editor, null)).status).toBe(428);
    const anonymous = await request(`/api/v1/locations/${office.id}/hours/weekly`, { method: 'PUT', headers: { ...json, 'if-match': etag }, body: JSON.stringify(WEEK) });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain('Bearer');
    expect((await putWeekly(office.id, 'gst_forged', etag)).status).toBe(401);
    const clerk = await token('exceptions', 'office', office.id);
    expect((await putWeekly(office.id, clerk, etag)).status).toBe(403);
    const other = await readHours(elsewhere.id);
    expect((await putWeekly(elsewhere.id, editor, other.etag)).status).toBe(403);
  });

  it.each([
    [{ rules: [{ day: 'mo', opens: '09:00', closes: '09:00' }] }, 'rules[0]'],
    [{ rules: [{ day: 'mo', opens: '12:00', closes: '09:00' }] }, 'rules[0]'],
    [{ rules: [{ day: 'mo', opens: '09:00', closes: '12:00' }, { day: 'mo', opens: '11:00', closes: '13:00' }] }, 'rules[1]'],
    [{ rules: [{ day: 'xx', opens: '09:00', closes: '12:00' }] }, 'rules'],
    [{ rules: [{ day: 'mo', opens: '9h', closes: '12:00' }] }, 'rules'],
    [{ regles: [] }, 'regles'],
  ])('rejects %j with a 400 naming %s', async (body, field) => {
    const { etag, body: before } = await readHours(office.id);
    const response = await putWeekly(office.id, editor, etag, body);
    expect(response.status).toBe(400);
    const problem = (await response.json()) as any;
    expect(problem.invalid_params.map((p: any) => p.name).join(' ')).toContain(field);
    expect((await readHours(office.id)).body.version).toBe(before.version);
  });
});

describe('exceptions', () => {
  let clerk: string;
  const today = () => localParts(new Date(), office.timeZone).date;

  beforeAll(async () => {
    await load(sample);
    const editor = await token('hours', 'network');
    const { etag } = await readHours(office.id);
    await putWeekly(office.id, editor, etag);
    clerk = await token('exceptions', 'office', office.id, 'Responsable du bureau');
  });

  it('closes a day, shows it everywhere at once, and can be removed', async () => {
    // A day ahead on which the office is open at 10:30 (not a weekend, not a public holiday).
    let date = addDays(today(), 7);
    const openAt = async (d: string) => ((await (await request(`/api/v1/locations/${office.id}/status?at=${d}T10:30:00%2B01:00`)).json()) as any).open;
    while (!(await openAt(date))) date = addDays(date, 1);

    const { etag } = await readHours(office.id);
    const created = await request(`/api/v1/locations/${office.id}/hours/exceptions`, {
      method: 'POST',
      headers: { ...json, ...bearer(clerk), 'if-match': etag },
      body: JSON.stringify({ start_date: date, closed: true, reason: 'staff_shortage', note: 'Réouverture le lendemain' }),
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toMatch(new RegExp(`/api/v1/locations/${office.id}/hours/exceptions/ex_`));
    const hours = (await created.json()) as any;
    const exception = hours.exceptions.find((e: any) => e.start_date === date);
    expect(exception).toMatchObject({ closed: true, reason: 'staff_shortage', note: 'Réouverture le lendemain' });
    expect(hours.opening_hours).toContain('off');

    // Visible at once: no server cache, and browsers keep it at most 60 s.
    const status = await request(`/api/v1/locations/${office.id}/status?at=${date}T10:30:00%2B01:00`);
    expect(((await status.json()) as any)).toMatchObject({ open: false, reason: { kind: 'exception', reason: 'staff_shortage' } });
    const cache = (await request(`/api/v1/locations/${office.id}/hours`)).headers.get('cache-control')!;
    expect(cache).toMatch(/^public, max-age=\d+/);
    const [maxAge, swr] = [/max-age=(\d+)/, /stale-while-revalidate=(\d+)/].map((re) => Number(re.exec(cache)?.[1] ?? 0));
    expect(maxAge + swr).toBeLessThanOrEqual(60);

    const current = await readHours(office.id);
    const removed = await request(`/api/v1/locations/${office.id}/hours/exceptions/${exception.id}`, {
      method: 'DELETE', headers: { ...bearer(clerk), 'if-match': current.etag },
    });
    expect(removed.status).toBe(200);
    expect(((await removed.json()) as any).exceptions.some((e: any) => e.id === exception.id)).toBe(false);
    const actions = (await audit(office.id, clerk)).map((e) => e.action);
    expect(actions.slice(0, 2)).toEqual(['exception.remove', 'exception.add']);
  });

  it('refuses stale exception writes without changing anything', async () => {
    const first = await readHours(office.id);
    const body = JSON.stringify({ start_date: '2099-03-02', closed: true, reason: 'works' });
    const ok = await request(`/api/v1/locations/${office.id}/hours/exceptions`, { method: 'POST', headers: { ...json, ...bearer(clerk), 'if-match': first.etag }, body });
    expect(ok.status).toBe(201);
    const id = ((await ok.json()) as any).exceptions.find((e: any) => e.start_date === '2099-03-02').id;
    const again = await request(`/api/v1/locations/${office.id}/hours/exceptions`, { method: 'POST', headers: { ...json, ...bearer(clerk), 'if-match': first.etag }, body });
    expect(again.status).toBe(412);
    const staleDelete = await request(`/api/v1/locations/${office.id}/hours/exceptions/${id}`, { method: 'DELETE', headers: { ...bearer(clerk), 'if-match': first.etag } });
    expect(staleDelete.status).toBe(412);
    const after = await readHours(office.id);
    expect(after.body.exceptions.filter((e: any) => e.start_date === '2099-03-02').map((e: any) => e.id)).toEqual([id]);
  });

  it('answers 400, not 500, to a body that is not JSON', async () => {
    const { etag } = await readHours(office.id);
    const response = await request(`/api/v1/locations/${office.id}/hours/exceptions`, { method: 'POST', headers: { ...json, ...bearer(clerk), 'if-match': etag }, body: '{"start_date":' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).invalid_params[0].name).toBe('body');
  });

  it.each([
    [{ start_date: '2020-01-01', closed: true, reason: 'works' }, 'start_date'],
    [{ start_date: '2099-01-10', end_date: '2099-01-01', closed: true, reason: 'works' }, 'end_date'],
    [{ start_date: '2099-01-10', closed: false, intervals: [], reason: 'works' }, 'intervals'],
    [{ start_date: '2099-01-10', closed: false, intervals: [{ opens: '10:00', closes: '09:00' }], reason: 'works' }, 'intervals[0]'],
    [{ start_date: '2099-01-10', closed: true, reason: 'vacances' }, 'reason'],
    [{ start_date: '2099-02-30', closed: true, reason: 'works' }, 'start_date'],
  ])('rejects %j naming %s', async (body, field) => {
    const { etag } = await readHours(office.id);
    const response = await request(`/api/v1/locations/${office.id}/hours/exceptions`, {
      method: 'POST', headers: { ...json, ...bearer(clerk), 'if-match': etag }, body: JSON.stringify(body),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).invalid_params.map((p: any) => p.name)).toContain(field);
  });
});

describe('bulk exceptions and the changes feed', () => {
  beforeAll(async () => {
    await load(sample);
  });

  it('closes many locations at once, all or nothing, and the feed lists each change in order', async () => {
    const regional = await token('hours', 'department', office.department);
    const inDepartment = sample.filter((l) => l.department === office.department).map((l) => l.id);
    const date = addDays(localParts(new Date(), 'Europe/Paris').date, 10);
    const body = (ids: string[]) => JSON.stringify({ location_ids: ids, exception: { start_date: date, closed: true, reason: 'weather', note: 'Alerte neige' } });

    const before = (await (await request('/api/v1/hours/changes')).json()) as any;
    const refused = await request('/api/v1/hours/bulk-exceptions', { method: 'POST', headers: { ...json, ...bearer(regional) }, body: body([...inDepartment, elsewhere.id]) });
    expect(refused.status).toBe(403);
    const unknown = await request('/api/v1/hours/bulk-exceptions', { method: 'POST', headers: { ...json, ...bearer(regional) }, body: body([...inDepartment, 'ZZ0000']) });
    expect(unknown.status).toBe(400);
    const unchanged = (await (await request(`/api/v1/hours/changes?since=${before.next_cursor}`)).json()) as any;
    expect(unchanged.changes).toEqual([]);

    const created = await request('/api/v1/hours/bulk-exceptions', { method: 'POST', headers: { ...json, ...bearer(regional) }, body: body(inDepartment) });
    expect(created.status).toBe(201);
    expect(((await created.json()) as any).locations).toBe(inDepartment.length);

    const feed = (await (await request(`/api/v1/hours/changes?since=${before.next_cursor}&limit=2`)).json()) as any;
    expect(feed.changes).toHaveLength(Math.min(2, inDepartment.length));
    const rest = (await (await request(`/api/v1/hours/changes?since=${feed.next_cursor}`)).json()) as any;
    const all = [...feed.changes, ...rest.changes];
    expect(all.map((c: any) => c.location_id).sort()).toEqual([...inDepartment].sort());
    expect(all.map((c: any) => c.seq)).toEqual([...all.map((c: any) => c.seq)].sort((a, b) => a - b));
    expect(Object.keys(all[0]).sort()).toEqual(['action', 'at', 'location_id', 'page_url', 'seq']);
    expect(all[0].page_url).toMatch(/^\/bureaux\//);

    const status = (await (await request(`/api/v1/locations/${inDepartment[0]}/hours`)).json()) as any;
    const regionalClosure = status.exceptions.find((e: any) => e.reason === 'weather');
    expect(regionalClosure).toMatchObject({ start_date: date, note: 'Alerte neige' });

    // An office clerk may not lift a regional closure.
    const clerkHere = await token('exceptions', 'office', inDepartment[0]);
    const lift = await request(`/api/v1/locations/${inDepartment[0]}/hours/exceptions/${regionalClosure.id}`, {
      method: 'DELETE', headers: { ...bearer(clerkHere), 'if-match': `"v${status.version}-x"` },
    });
    expect(lift.status).toBe(403);
  });

  it('rejects a malformed feed cursor', async () => {
    expect((await request('/api/v1/hours/changes?since=abc')).status).toBe(400);
  });
});

describe('staff answers', () => {
  // What a shared cache keeps, a stranger could read: an answer to a token is never stored.
  it('are private, no-store on every staff route, reads and writes', async () => {
    await load(sample);
    const editor = await token('hours', 'network');
    const cacheOf = async (response: Response, status: number) => {
      expect(response.status, await response.clone().text()).toBe(status);
      await response.arrayBuffer();
      return response.headers.get('cache-control');
    };
    const date = addDays(localParts(new Date(), office.timeZone).date, 30);
    const weekly = await putWeekly(office.id, editor, (await readHours(office.id)).etag);
    expect(await cacheOf(weekly, 200)).toBe('private, no-store');

    const created = await request(`/api/v1/locations/${office.id}/hours/exceptions`, {
      method: 'POST',
      headers: { ...json, ...bearer(editor), 'if-match': (await readHours(office.id)).etag },
      body: JSON.stringify({ start_date: date, closed: true, reason: 'works' }),
    });
    const exceptionId = created.headers.get('location')!.split('/').at(-1);
    expect(await cacheOf(created, 201)).toBe('private, no-store');

    const removed = await request(`/api/v1/locations/${office.id}/hours/exceptions/${exceptionId}`, {
      method: 'DELETE', headers: { ...bearer(editor), 'if-match': (await readHours(office.id)).etag },
    });
    expect(await cacheOf(removed, 200)).toBe('private, no-store');

    const bulk = await request('/api/v1/hours/bulk-exceptions', {
      method: 'POST',
      headers: { ...json, ...bearer(editor) },
      body: JSON.stringify({ location_ids: [office.id, elsewhere.id], exception: { start_date: date, closed: true, reason: 'weather' } }),
    });
    expect(await cacheOf(bulk, 201)).toBe('private, no-store');

    const log = await request(`/api/v1/locations/${office.id}/hours/audit`, { headers: bearer(editor) });
    expect(await cacheOf(log, 200)).toBe('private, no-store');

    // The public read of the same hours stays briefly cacheable.
    expect((await readHours(office.id)).response.headers.get('cache-control')).toMatch(/^public, max-age=\d+/);
  });
});
