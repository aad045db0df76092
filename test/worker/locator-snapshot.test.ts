/**
 * The locator's snapshot on a real D1: the gazetteer it gives is the one the
 * table gives; a moved network version is followed after the check
 * interval; a damaged snapshot is ignored and healed; concurrent publishers
 * leave one complete snapshot; and it stays small.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { bumpNetworkVersion, networkVersion } from '../../worker/locations/network-version';
import { forgetGazetteer, type Gazetteer, gazetteer, loadGazetteerFromTable, VERSION_CHECK_MS } from '../../worker/locator/gazetteer';
import { decodeSnapshot, publishLocatorSnapshot, readLocatorSnapshot } from '../../worker/locator/snapshot';
import { db, demoSample, load } from './seed';

const network = demoSample(3000);

beforeAll(async () => {
  await load(network);
  await bump();
});

/** The network moved, as an import says it (whether or not the importer already bumps it itself). */
async function bump(): Promise<number> {
  await bumpNetworkVersion(env.DB).run();
  return networkVersion(env.DB);
}

/** The active locations and their communes, read here with plain SQL: the expectation owes nothing to the locator. */
async function tableRows() {
  const { results } = await env.DB.prepare(
    `select id, name, type, commune, insee_code as inseeCode, postcode, department, time_zone as timeZone, services, latitude, longitude
     from locations where status = 'active' order by id`,
  ).all<Record<string, unknown> & { services: string }>();
  const communes = await env.DB.prepare(`select insee_code as inseeCode, name, department from communes where active_locations > 0 order by insee_code`).all();
  return { places: results.map((r) => ({ ...r, services: JSON.parse(r.services) })), communes: communes.results };
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const plainPlaces = (g: Gazetteer) => g.places.map(({ nameKey: _, ...p }) => p).sort(byId);

/** Everything a search reads of a gazetteer, as plain data. */
function shape(g: Gazetteer) {
  return {
    places: g.places,
    communes: g.communes.map(({ members, ...c }) => ({ ...c, members: members.map((m) => m.id) })),
    postcodes: [...g.communesByPostcode.keys()].sort(),
    keys: [...g.communesByKey.keys()].sort(),
    codes: [...g.communesByCode.keys()].sort(),
    ids: [...g.byId.keys()].sort(),
  };
}

async function storedParts(version: number) {
  const { results } = await env.DB.prepare('select part, parts from locator_snapshots where version = ? order by part').bind(version).all<{ part: number; parts: number }>();
  return results;
}

describe('the locator snapshot', () => {
  it('gives the gazetteer the table gives', async () => {
    const published = await publishLocatorSnapshot(db());
    expect(published).toMatchObject({ version: await networkVersion(env.DB), reused: false, parts: 1 });
    forgetGazetteer();
    const fromSnapshot = await gazetteer(db());
    const expected = await tableRows();
    expect(plainPlaces(fromSnapshot)).toEqual(expected.places);
    expect(expected.places).toHaveLength(network.length);
    const decoded = await decodeSnapshot((await readLocatorSnapshot(env.DB, published.version))!);
    expect([...decoded.communes].sort((a, b) => (a.inseeCode < b.inseeCode ? -1 : 1))).toEqual(expected.communes);
    expect(shape(fromSnapshot)).toEqual(shape(await loadGazetteerFromTable(db())));
    // Published once: the next call reuses it.
    expect(await publishLocatorSnapshot(db())).toEqual({ ...published, reused: true });
  });

  it('is what a fresh isolate reads, and a moved version is followed after the check interval', async () => {
    const version = await networkVersion(env.DB);
    await publishLocatorSnapshot(db());
    const office = network[10];
    // A change the snapshot does not have, written without moving the version.
    await env.DB.prepare('update locations set name = ? where id = ?').bind('Bureau renommé', office.id).run();
    forgetGazetteer();
    const t0 = Date.now();
    const before = await gazetteer(db(), t0);
    expect(before.byId.get(office.id)!.name).toBe(office.name);

    const moved = await bump();
    expect(await gazetteer(db(), t0 + VERSION_CHECK_MS - 1)).toBe(before);
    const after = await gazetteer(db(), t0 + VERSION_CHECK_MS + 1);
    expect(after.byId.get(office.id)!.name).toBe('Bureau renommé');
    // That isolate published the new version for the others, and the old one is kept as the previous version.
    expect(await storedParts(moved)).toEqual([{ part: 0, parts: 1 }]);
    expect(await storedParts(version)).toHaveLength(1);
    // The next check finds nothing new: the same gazetteer.
    expect(await gazetteer(db(), t0 + 2 * VERSION_CHECK_MS + 2)).toBe(after);

    await env.DB.prepare('update locations set name = ? where id = ?').bind(office.name, office.id).run();
    await bump();
  });

  it('ignores a snapshot with a missing part, and heals it', async () => {
    const version = await bump();
    const published = await publishLocatorSnapshot(db(), { partBytes: 8192 });
    expect(published.parts).toBeGreaterThan(2);
    expect(await readLocatorSnapshot(env.DB, version)).toBeDefined();
    await env.DB.prepare('delete from locator_snapshots where version = ? and part = 1').bind(version).run();
    expect(await readLocatorSnapshot(env.DB, version)).toBeUndefined();

    forgetGazetteer();
    const g = await gazetteer(db());
    expect(plainPlaces(g)).toEqual((await tableRows()).places);
    // Rebuilt from the table and published again, whole.
    const healed = await storedParts(version);
    expect(healed.map((p) => p.part)).toEqual(Array.from({ length: healed[0].parts }, (_, i) => i));
    expect((await decodeSnapshot((await readLocatorSnapshot(env.DB, version))!)).places).toHaveLength(network.length);
  });

  it('replaces an unreadable snapshot', async () => {
    const version = await bump();
    await publishLocatorSnapshot(db());
    await env.DB.prepare('update locator_snapshots set data = ? where version = ?').bind(new Uint8Array([1, 2, 3]), version).run();
    forgetGazetteer();
    expect(plainPlaces(await gazetteer(db()))).toEqual((await tableRows()).places);
    expect((await decodeSnapshot((await readLocatorSnapshot(env.DB, version))!)).places).toHaveLength(network.length);
  });

  it('published by two isolates at once, is stored once and whole', async () => {
    const version = await bump();
    const results = await Promise.all([
      publishLocatorSnapshot(db(), { partBytes: 5000 }),
      publishLocatorSnapshot(db(), { partBytes: 7000 }),
      publishLocatorSnapshot(db()),
    ]);
    expect(results.map((r) => r.version)).toEqual([version, version, version]);
    const winners = results.filter((r) => !r.reused);
    expect(winners).toHaveLength(1);
    const stored = await storedParts(version);
    expect(stored).toEqual(Array.from({ length: winners[0].parts }, (_, part) => ({ part, parts: winners[0].parts })));
    const decoded = await decodeSnapshot((await readLocatorSnapshot(env.DB, version))!);
    expect(decoded.places.sort(byId)).toEqual((await tableRows()).places);
  });

  it('keeps only the current and the previous version', async () => {
    await publishLocatorSnapshot(db());
    const version = await bump();
    await publishLocatorSnapshot(db());
    const { results } = await env.DB.prepare('select distinct version from locator_snapshots order by version').all<{ version: number }>();
    expect(results.map((r) => r.version)).toEqual([version - 1, version]);
  });

  it('stays small: under 24 bytes a location', async () => {
    // The table read sends about 300 bytes of JSON a location. What the
    // snapshot cannot shrink much is each location's name (about 20
    // characters, about 4 bytes once gzipped) and coordinates (about 3 bytes
    // each at 10^-6 degree); this sample measures 19 bytes a location (the
    // 30,001-location network, with more repeats, 13). 24 bytes leaves room
    // and still puts the demo network at 720 KB: one part under D1's 2 MB
    // row, and 12 times less to read than the table's JSON.
    const { bytes } = await publishLocatorSnapshot(db());
    console.log(`snapshot of ${network.length} locations: ${bytes} bytes, ${(bytes / network.length).toFixed(1)} a location`);
    expect(bytes).toBeLessThan(24 * network.length);
  });
});
