/**
 * @module
 * The locator's snapshot of the network: what the gazetteer needs of every
 * active location and of the communes that have one, encoded compactly and
 * stored in D1 under the network's version (`locator_snapshots`). A fresh
 * isolate reads one settings row and a few hundred kilobytes instead of
 * 10 MB of JSON rows.
 *
 * Format (format 1), gzipped as a whole:
 *
 * ```
 * "GLS" 0x01          magic and format
 * u32 little-endian   length of the text part
 * text part           UTF-8 JSON: counts, dictionaries, ids and names
 * integer part        unsigned LEB128 varints, column after column
 * ```
 *
 * Repeated strings (types, services, time zones, départements, and the
 * (INSEE code, commune, postcode) addresses) are dictionaries the integer
 * columns point into; services are a bitmask over their dictionary; ids
 * are front-coded; coordinates are integers of 10^-5 to 10^-7 degree, each
 * the zigzag difference from the previous location of the same address;
 * commune rows point at an address. Locations keep their order. The
 * 30,001-location demo network takes 397 KB (1.3 MB before gzip).
 *
 * The first half (encode/decode) is pure; the second reads and writes D1.
 */
import { eq, gt } from 'drizzle-orm';
import { communes, locations, settings } from '../../db/schema';
import type { Database } from '../database';
import { SERVICES, type LocationType, type Service } from '../locations/catalog';
import { NETWORK_VERSION_SETTING, networkVersion } from '../locations/network-version';

/** What the locator keeps of one active location. */
export interface NetworkPlace {
  id: string;
  name: string;
  type: LocationType;
  commune: string;
  inseeCode: string;
  postcode: string;
  department: string;
  timeZone: string;
  /** In catalogue order, without duplicates (as stored). */
  services: Service[];
  latitude: number;
  longitude: number;
}

/** A commune with active locations, as the `communes` table names it. */
export interface NetworkCommune {
  inseeCode: string;
  name: string;
  department: string;
}

export interface NetworkRows {
  places: NetworkPlace[];
  communes: NetworkCommune[];
}

// ---------------------------------------------------------------------------
// Encoding (pure)

const MAGIC = [0x47, 0x4c, 0x53, 0x01];
/**
 * Coordinates are integers of 10^-decimals degree, with the fewest decimals
 * (5 to 7) that give every coordinate back exactly: the demo's 6 decimals
 * come back as they are stored, so distances to the metre and radius edges
 * match the table (at 10^-5 they would move by up to 0.7 m). Beyond 7
 * decimals (1 cm), coordinates are rounded.
 */
const DECIMALS = [5, 6, 7];
/** Services are a bitmask of a JavaScript integer: keep to 31 bits. */
const MAX_SERVICES = 31;

interface Header {
  places: number;
  communes: number;
  decimals: number;
  types: string[];
  services: string[];
  timeZones: string[];
  departments: string[];
  /** Addresses: (INSEE code, commune, postcode), column by column; their département is an integer column. */
  addressCodes: string[];
  addressCommunes: string[];
  addressPostcodes: string[];
  /** Each id's end after what it shares with the previous id; none for "the previous one plus one". */
  idTails: string[];
  names: string[];
  /** Commune rows that match no address (the table's name for it is not its locations'). */
  otherCommuneCodes: string[];
  otherCommuneNames: string[];
}

/** Distinct values in order of first appearance, each with its index. */
class Dictionary<K = string> {
  readonly keys: K[] = [];
  private readonly index = new Map<K, number>();

  of(key: K): number {
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.keys.length;
      this.keys.push(key);
      this.index.set(key, i);
    }
    return i;
  }

  find(key: K): number | undefined {
    return this.index.get(key);
  }
}

/** A growing buffer of LEB128 varints. */
class VarintWriter {
  private bytes = new Uint8Array(1 << 16);
  length = 0;

  /** A non-negative safe integer; arithmetic rather than bit operators, so values above 2^31 work. */
  uint(value: number): void {
    if (this.length + 8 > this.bytes.length) this.grow();
    while (value >= 0x80) {
      this.bytes[this.length++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.bytes[this.length++] = value;
  }

  /** A signed integer, zigzagged: small magnitudes stay short either side of zero. */
  int(value: number): void {
    this.uint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  result(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  private grow(): void {
    const bigger = new Uint8Array(this.bytes.length * 2);
    bigger.set(this.bytes);
    this.bytes = bigger;
  }
}

class VarintReader {
  private position: number;

  constructor(private readonly bytes: Uint8Array, start: number) {
    this.position = start;
  }

  uint(): number {
    let value = 0;
    let scale = 1;
    let byte: number;
    do {
      if (this.position >= this.bytes.length) throw new Error('locator snapshot: truncated');
      byte = this.bytes[this.position++];
      value += (byte & 0x7f) * scale;
      scale *= 0x80;
    } while (byte & 0x80);
    return value;
  }

  int(): number {
    const z = this.uint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  /** An index into a list of `size` entries. */
  index(size: number): number {
    const i = this.uint();
    if (i >= size) throw new Error('locator snapshot: index out of range');
    return i;
  }

  column(length: number, size: number): number[] {
    return Array.from({ length }, () => this.index(size));
  }

  get done(): boolean {
    return this.position === this.bytes.length;
  }
}

/** Services in catalogue order, then any unknown code: decoding yields each place's list in this order. */
function serviceDictionary(places: NetworkPlace[]): string[] {
  const seen = new Set<string>(places.flatMap((p) => p.services));
  const known: string[] = SERVICES.filter((s) => seen.has(s));
  const all = [...known, ...[...seen].filter((s) => !known.includes(s)).sort()];
  if (all.length > MAX_SERVICES) throw new Error(`locator snapshot: ${all.length} services, at most ${MAX_SERVICES}`);
  return all;
}

function coordinateDecimals(places: NetworkPlace[]): number {
  const exact = (d: number) => places.every((p) => Math.round(p.latitude * 10 ** d) / 10 ** d === p.latitude && Math.round(p.longitude * 10 ** d) / 10 ** d === p.longitude);
  return DECIMALS.find(exact) ?? DECIMALS[DECIMALS.length - 1];
}

/** `id` with its final number one more (`D000041` → `D000042`), if it ends with one. */
function nextId(id: string): string | undefined {
  const digits = /\d{1,15}$/.exec(id)?.[0];
  if (!digits) return undefined;
  return id.slice(0, id.length - digits.length) + String(Number(digits) + 1).padStart(digits.length, '0');
}

/** Ids, front-coded: sequential ids (the demo's, most of the open data's) cost a byte each, before gzip. */
function writeIds(places: NetworkPlace[], ints: VarintWriter): string[] {
  const tails: string[] = [];
  let previous = '';
  for (const { id } of places) {
    if (id === nextId(previous)) {
      ints.uint(0);
    } else {
      let shared = 0;
      while (shared < id.length && shared < previous.length && id[shared] === previous[shared]) shared++;
      ints.uint(shared + 1);
      tails.push(id.slice(shared));
    }
    previous = id;
  }
  return tails;
}

function readIds(n: number, tails: string[], read: VarintReader): string[] {
  const ids: string[] = new Array(n);
  let previous = '';
  let tail = 0;
  for (let i = 0; i < n; i++) {
    const code = read.uint();
    if (code === 0) {
      const next = nextId(previous);
      if (next === undefined) throw new Error('locator snapshot: no number to follow');
      previous = next;
    } else {
      if (code - 1 > previous.length || tail >= tails.length) throw new Error('locator snapshot: index out of range');
      previous = previous.slice(0, code - 1) + tails[tail++];
    }
    ids[i] = previous;
  }
  return ids;
}

/**
 * Coordinates as integer differences from the previous location of the
 * same address (a few hundred metres away), or of the previous location
 * for an address's first: the differences stay short.
 */
function writeCoordinates(places: NetworkPlace[], addressOf: number[], decimals: number, ints: VarintWriter): void {
  const scale = 10 ** decimals;
  for (const axis of ['latitude', 'longitude'] as const) {
    const last = new Map<number, number>();
    let previous = 0;
    places.forEach((p, i) => {
      const value = Math.round(p[axis] * scale);
      ints.int(value - (last.get(addressOf[i]) ?? previous));
      last.set(addressOf[i], value);
      previous = value;
    });
  }
}

function readCoordinates(addressOf: number[], addresses: number, decimals: number, read: VarintReader): [Float64Array, Float64Array] {
  const scale = 10 ** decimals;
  const axis = () => {
    const values = new Float64Array(addressOf.length);
    const last = new Float64Array(addresses);
    const seen = new Uint8Array(addresses);
    let previous = 0;
    for (let i = 0; i < addressOf.length; i++) {
      const a = addressOf[i];
      const value = read.int() + (seen[a] ? last[a] : previous);
      last[a] = value;
      seen[a] = 1;
      previous = value;
      // One correctly rounded division: the same double as the decimal text of `value`.
      values[i] = value / scale;
    }
    return values;
  };
  const latitudes = axis();
  return [latitudes, axis()];
}

/** The uncompressed snapshot of `rows`. */
export function packSnapshot(rows: NetworkRows): Uint8Array {
  const { places } = rows;
  const types = new Dictionary();
  const timeZones = new Dictionary();
  const departments = new Dictionary();
  const addresses = new Dictionary();
  const addressList: Array<{ code: string; commune: string; postcode: string; department: number }> = [];
  const services = serviceDictionary(places);
  const serviceBit = new Map(services.map((s, i) => [s, 2 ** i]));
  const decimals = coordinateDecimals(places);
  const addressKey = (code: string, commune: string, postcode: string, department: number) => JSON.stringify([code, commune, postcode, department]);

  const ints = new VarintWriter();
  for (const p of places) ints.uint(types.of(p.type));
  for (const p of places) ints.uint(p.services.reduce((mask, s) => mask | serviceBit.get(s)!, 0));
  for (const p of places) ints.uint(timeZones.of(p.timeZone));
  const addressOf = places.map((p) => {
    const department = departments.of(p.department);
    const before = addresses.keys.length;
    const a = addresses.of(addressKey(p.inseeCode, p.commune, p.postcode, department));
    if (addresses.keys.length > before) addressList.push({ code: p.inseeCode, commune: p.commune, postcode: p.postcode, department });
    return a;
  });
  for (const a of addressOf) ints.uint(a);
  const idTails = writeIds(places, ints);
  writeCoordinates(places, addressOf, decimals, ints);
  for (const a of addressList) ints.uint(a.department);

  // A commune row is nearly always one of the addresses (same code, name and département): point at it.
  const addressByCommune = new Map(addressList.map((a, i): [string, number] => [JSON.stringify([a.code, a.commune, a.department]), i]).reverse());
  const others: NetworkCommune[] = [];
  for (const c of rows.communes) {
    const a = addressByCommune.get(JSON.stringify([c.inseeCode, c.name, departments.find(c.department)]));
    if (a === undefined) others.push(c);
    ints.uint(a === undefined ? 0 : a + 1);
  }
  for (const c of others) ints.uint(departments.of(c.department));

  const header: Header = {
    places: places.length,
    communes: rows.communes.length,
    decimals,
    types: types.keys,
    services,
    timeZones: timeZones.keys,
    departments: departments.keys,
    addressCodes: addressList.map((a) => a.code),
    addressCommunes: addressList.map((a) => a.commune),
    addressPostcodes: addressList.map((a) => a.postcode),
    idTails,
    names: places.map((p) => p.name),
    otherCommuneCodes: others.map((c) => c.inseeCode),
    otherCommuneNames: others.map((c) => c.name),
  };
  const text = new TextEncoder().encode(JSON.stringify(header));
  const integers = ints.result();
  const out = new Uint8Array(8 + text.length + integers.length);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(4, text.length, true);
  out.set(text, 8);
  out.set(integers, 8 + text.length);
  return out;
}

/** The rows of an uncompressed snapshot; throws on anything but a well-formed format 1. */
export function unpackSnapshot(bytes: Uint8Array): NetworkRows {
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) throw new Error('locator snapshot: not format 1');
  const textLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
  if (8 + textLength > bytes.length) throw new Error('locator snapshot: truncated');
  const h = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + textLength))) as Header;
  const n = h.places;
  const addressCount = h.addressCodes.length;
  const read = new VarintReader(bytes, 8 + textLength);
  const types = read.column(n, h.types.length);
  const masks = Array.from({ length: n }, () => read.uint());
  const timeZones = read.column(n, h.timeZones.length);
  const addressOf = read.column(n, addressCount);
  const ids = readIds(n, h.idTails, read);
  const [latitudes, longitudes] = readCoordinates(addressOf, addressCount, h.decimals, read);
  const addressDepartments = read.column(addressCount, h.departments.length);
  const communeAddresses = read.column(h.communes, addressCount + 1);
  const otherDepartments = read.column(h.otherCommuneCodes.length, h.departments.length);
  if (!read.done) throw new Error('locator snapshot: trailing bytes');

  const servicesOf = serviceLists(h.services);
  const places: NetworkPlace[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const a = addressOf[i];
    places[i] = {
      id: ids[i],
      name: h.names[i],
      type: h.types[types[i]] as LocationType,
      commune: h.addressCommunes[a],
      inseeCode: h.addressCodes[a],
      postcode: h.addressPostcodes[a],
      department: h.departments[addressDepartments[a]],
      timeZone: h.timeZones[timeZones[i]],
      services: servicesOf(masks[i]),
      latitude: latitudes[i],
      longitude: longitudes[i],
    };
  }
  let other = 0;
  const communeList = communeAddresses.map((ref): NetworkCommune => {
    if (ref > 0) return { inseeCode: h.addressCodes[ref - 1], name: h.addressCommunes[ref - 1], department: h.departments[addressDepartments[ref - 1]] };
    if (other >= otherDepartments.length) throw new Error('locator snapshot: index out of range');
    const i = other++;
    return { inseeCode: h.otherCommuneCodes[i], name: h.otherCommuneNames[i], department: h.departments[otherDepartments[i]] };
  });
  return { places, communes: communeList };
}

/** A bitmask's services, each place with its own array (callers may treat it as theirs). */
function serviceLists(services: string[]): (mask: number) => Service[] {
  const lists = new Map<number, Service[]>();
  return (mask) => {
    let list = lists.get(mask);
    if (!list) {
      if (mask >= 2 ** services.length) throw new Error('locator snapshot: unknown service');
      list = services.filter((_, i) => mask & (2 ** i)) as Service[];
      lists.set(mask, list);
    }
    return [...list];
  };
}

async function pipe(bytes: Uint8Array, through: GenericTransformStream): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(through as TransformStream<Uint8Array, Uint8Array>);
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The stored form of `rows`: packed, then gzipped. */
export async function encodeSnapshot(rows: NetworkRows): Promise<Uint8Array> {
  return pipe(packSnapshot(rows), new CompressionStream('gzip'));
}

export async function decodeSnapshot(bytes: Uint8Array): Promise<NetworkRows> {
  return unpackSnapshot(await pipe(bytes, new DecompressionStream('gzip')));
}

// ---------------------------------------------------------------------------
// Storage in D1

/**
 * Bytes per stored part: half of D1's 2,000,000-byte row limit, so that a
 * part read as hex (two characters a byte) stays a modest result too. The
 * 30,001-location demo network takes one part.
 */
export const PART_BYTES = 1_000_000;
/** One insert statement carries every part: 5 bound values each, 1 more, under D1's 100. */
const MAX_PARTS = 19;

export interface PublishResult {
  version: number;
  /** Stored size of the snapshot (gzipped). */
  bytes: number;
  parts: number;
  /** A complete snapshot of that version was already there: nothing was written. */
  reused: boolean;
}

export interface PublishOptions {
  /** Smaller parts, for tests. */
  partBytes?: number;
  /** Replace the snapshot of that version even when complete (it failed to decode). */
  replace?: boolean;
}

/**
 * What the snapshot replaces, and what it is built from: every active
 * location and the communes that have some, with the network version they
 * stand for, read in one transaction.
 */
export async function readNetworkTable(db: Database): Promise<{ version: number; rows: NetworkRows }> {
  const [versionRows, places, communeRows] = await db.batch([
    db.select({ value: settings.value }).from(settings).where(eq(settings.name, NETWORK_VERSION_SETTING)),
    db.select({
      id: locations.id, name: locations.name, type: locations.type, commune: locations.commune, inseeCode: locations.inseeCode,
      postcode: locations.postcode, department: locations.department, timeZone: locations.timeZone, services: locations.services,
      latitude: locations.latitude, longitude: locations.longitude,
    }).from(locations).where(eq(locations.status, 'active')),
    db.select({ inseeCode: communes.inseeCode, name: communes.name, department: communes.department })
      .from(communes).where(gt(communes.activeLocations, 0)),
  ]);
  // As networkVersion() reads it.
  return { version: versionRows.length ? Number(versionRows[0].value) : 0, rows: { places, communes: communeRows } };
}

const CURRENT_VERSION = `coalesce((select cast(value as integer) from settings where name = ?), 0)`;

/** hex() rather than the BLOB itself: D1 hands a BLOB over as an array of numbers, ten times slower to read. */
const PARTS_OF = `select part, parts, hex(data) as data from locator_snapshots where version = `;

interface PartRow {
  part: number;
  parts: number;
  data: string;
}

/** The current network version and its snapshot when complete, in one round trip. */
export async function readCurrentSnapshot(d1: D1Database): Promise<{ version: number; bytes: Uint8Array | undefined }> {
  const [version, parts] = await d1.batch<{ version: number } | PartRow>([
    d1.prepare(`select ${CURRENT_VERSION} as version`).bind(NETWORK_VERSION_SETTING),
    d1.prepare(`${PARTS_OF}${CURRENT_VERSION} order by part`).bind(NETWORK_VERSION_SETTING),
  ]);
  return { version: (version.results[0] as { version: number }).version, bytes: joinParts(parts.results as PartRow[]) };
}

/** The snapshot of `version` when complete. */
export async function readLocatorSnapshot(d1: D1Database, version: number): Promise<Uint8Array | undefined> {
  const { results } = await d1.prepare(`${PARTS_OF}? order by part`).bind(version).all<PartRow>();
  return joinParts(results);
}

/** The parts' bytes end to end; undefined unless every part 0…parts-1 is there. */
function joinParts(rows: PartRow[]): Uint8Array | undefined {
  if (!rows.length || rows.some((r, i) => r.part !== i || r.parts !== rows.length)) return undefined;
  const chunks = rows.map((r) => fromHex(r.data));
  const out = new Uint8Array(chunks.reduce((sum, c) => sum + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

/** workerd has Uint8Array.fromHex; Node 22 (scripts, through the platform proxy) does not yet. */
function fromHex(hex: string): Uint8Array {
  const native = Uint8Array as unknown as { fromHex?: (text: string) => Uint8Array };
  if (native.fromHex) return native.fromHex(hex);
  // SQLite's hex() writes upper case: '0'-'9' are 48-57, 'A'-'F' 65-70.
  const nibble = (code: number) => (code < 65 ? code - 48 : code - 55);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = nibble(hex.charCodeAt(2 * i)) * 16 + nibble(hex.charCodeAt(2 * i + 1));
  return out;
}

/** Whether every part of `version` is there, one row of aggregates. */
async function storedExtent(d1: D1Database, version: number): Promise<{ parts: number; bytes: number } | undefined> {
  const row = await d1
    .prepare(`select count(*) as count, min(parts) as parts, max(parts) as maxParts, min(part) as first, max(part) as last,
      coalesce(sum(length(data)), 0) as bytes from locator_snapshots where version = ?`)
    .bind(version)
    .first<{ count: number; parts: number; maxParts: number; first: number; last: number; bytes: number }>();
  const complete = row && row.count > 0 && row.count === row.parts && row.parts === row.maxParts && row.first === 0 && row.last === row.parts - 1;
  return complete ? { parts: row.parts, bytes: row.bytes } : undefined;
}

/** Same test as storedExtent, in SQL: true when `version`'s parts are all there. */
const COMPLETE = `(select count(*) = min(parts) and min(parts) = max(parts) and min(part) = 0 and max(part) = max(parts) - 1
  from locator_snapshots where version = ?)`;

/**
 * Stores the snapshot of `rows` as `version`, in one transaction:
 * - a damaged set of parts of that version (a part missing) goes first;
 * - the parts go in together, and only if no other publisher's parts of
 *   that version are there (two isolates publishing at once: the first
 *   wins whole, the second writes nothing, so parts of two encodings never
 *   mix);
 * - snapshots older than the previous version go.
 */
export async function publishRows(
  d1: D1Database,
  version: number,
  rows: NetworkRows,
  options: PublishOptions = {},
): Promise<PublishResult> {
  const bytes = await encodeSnapshot(rows);
  const partBytes = options.partBytes ?? PART_BYTES;
  const parts = Math.max(1, Math.ceil(bytes.length / partBytes));
  if (parts > MAX_PARTS) throw new Error(`locator snapshot: ${bytes.length} bytes need ${parts} parts, at most ${MAX_PARTS}`);
  const now = new Date().toISOString();
  const values: unknown[] = [];
  for (let part = 0; part < parts; part++) values.push(version, part, parts, bytes.subarray(part * partBytes, (part + 1) * partBytes), now);
  const tuples = Array.from({ length: parts }, () => '(?, ?, ?, ?, ?)').join(', ');
  const results = await d1.batch([
    options.replace
      ? d1.prepare('delete from locator_snapshots where version = ?').bind(version)
      : d1.prepare(`delete from locator_snapshots where version = ? and not coalesce(${COMPLETE}, 0)`).bind(version, version),
    d1.prepare(`insert or ignore into locator_snapshots (version, part, parts, data, created_at)
      select * from (values ${tuples}) where not exists (select 1 from locator_snapshots where version = ?)`).bind(...values, version),
    d1.prepare('delete from locator_snapshots where version < ?').bind(version - 1),
  ]);
  const written = results[1].meta.changes > 0;
  return { version, bytes: bytes.length, parts, reused: !written };
}

/**
 * Publishes the snapshot of the current network version, built from the
 * table; reuses a complete one. Idempotent, and safe when several isolates
 * (or a script through wrangler's platform proxy) publish at once. Imports
 * and the demo seed call it once their writes and the version bump are in.
 */
export async function publishLocatorSnapshot(db: Database, options: PublishOptions = {}): Promise<PublishResult> {
  const d1 = db.$client;
  const current = await networkVersion(d1);
  const stored = options.replace ? undefined : await storedExtent(d1, current);
  if (stored) return { version: current, ...stored, reused: true };
  const { version, rows } = await readNetworkTable(db);
  return publishRows(d1, version, rows, options);
}
