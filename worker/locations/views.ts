/**
 * @module
 * The browsing pages' use cases: the home page's départements, a
 * département's communes and a commune's locations, each read, paged and
 * checked here so that the pages only render what they are given.
 */
import type { Database } from '../database';
import { LOCATION_TYPE_LABELS } from './catalog';
import { DEPARTMENTS, type Department, findDepartment } from './departments';
import { inseeFromCommuneSlug } from './names';
import { communePath, locationPath } from './present';
import { findCommune, listActiveDepartments, listCommuneLocations, listDepartmentCommunes } from './queries';

/** A page's result: nothing to show (404), a permanent redirect to the current address, or the view. */
export type Paged<V> = { kind: 'not_found' } | { kind: 'redirect'; path: string } | { kind: 'view'; view: V };

/** A link in a list. */
export interface Link {
  name: string;
  href: string;
}

/** Links to the neighbouring pages (absent on the first or last) and, where listed, to every page. */
export interface Pager {
  prev?: string;
  next?: string;
  pages: { n: number; href: string; current: boolean }[];
}

/** The `page` query parameter: 1 when absent, 0 when it names no page. */
export function pageNumber(param: string | null | undefined): number {
  const value = param ?? '1';
  return /^[1-9]\d{0,3}$/.test(value) ? Number(value) : 0;
}

export function departmentPath(code: string): string {
  return `/departements/${code.toLowerCase()}`;
}

const pageLabelOf = (page: number, pages: number) => (page > 1 ? ` (page ${page} sur ${pages})` : '');
const pagedPath = (base: string, page: number) => (page > 1 ? `${base}?page=${page}` : base);

export interface HomeView {
  /** Active locations in all. */
  total: number;
  metropolitan: (Link & { code: string })[];
  elsewhere: (Link & { code: string })[];
}

/** The home page: the départements that have an active location, metropolitan France first. */
export async function homeView(db: Database): Promise<HomeView> {
  const counts = new Map((await listActiveDepartments(db)).map((d) => [d.department, d.activeLocations]));
  const listed = DEPARTMENTS.filter((d) => counts.has(d.code)).map((d) => ({ code: d.code, name: d.name, href: departmentPath(d.code), timeZone: d.timeZone }));
  const link = ({ code, name, href }: (typeof listed)[number]) => ({ code, name, href });
  return {
    total: [...counts.values()].reduce((a, b) => a + b, 0),
    metropolitan: listed.filter((d) => d.timeZone === 'Europe/Paris').map(link),
    elsewhere: listed.filter((d) => d.timeZone !== 'Europe/Paris').map(link),
  };
}

/**
 * Communes per département page: keeps the largest département (Nord, 271
 * communes in the demo network) at EcoIndex A (about 240 DOM elements a
 * page) and far under the 14 KB budget. Pages are plain links (`?page=2`),
 * no script.
 */
export const DEPARTMENT_PER_PAGE = 100;

export interface DepartmentView {
  department: Department;
  /** The département's address, its first page. */
  path: string;
  canonicalPath: string;
  /** ` (page 2 sur 3)` beyond the first page, empty on it. */
  pageLabel: string;
  /** Communes with an active location, on all pages. */
  communeCount: number;
  /** Active locations in the département. */
  places: number;
  communes: (Link & { activeLocations: number })[];
  /** Present when there is more than one page. */
  pager?: Pager;
}

/** A département's communes, `page` being the raw `page` query parameter. */
export async function departmentView(db: Database, code: string, pageParam: string | null | undefined): Promise<Paged<DepartmentView>> {
  const department = findDepartment(code);
  const page = pageNumber(pageParam);
  if (!department || !page) return { kind: 'not_found' };
  const base = departmentPath(department.code);
  if (code !== department.code.toLowerCase()) return { kind: 'redirect', path: pagedPath(base, page) };
  const communes = await listDepartmentCommunes(db, department.code);
  const shown = communes.slice((page - 1) * DEPARTMENT_PER_PAGE, page * DEPARTMENT_PER_PAGE);
  if (shown.length === 0) return { kind: 'not_found' };
  const pages = Math.ceil(communes.length / DEPARTMENT_PER_PAGE);
  return {
    kind: 'view',
    view: {
      department,
      path: base,
      canonicalPath: pagedPath(base, page),
      pageLabel: pageLabelOf(page, pages),
      communeCount: communes.length,
      places: communes.reduce((sum, c) => sum + c.activeLocations, 0),
      communes: shown.map((c) => ({ name: c.name, href: communePath(c), activeLocations: c.activeLocations })),
      pager: pages > 1
        ? {
          prev: page > 1 ? pagedPath(base, page - 1) : undefined,
          next: page < pages ? pagedPath(base, page + 1) : undefined,
          pages: Array.from({ length: pages }, (_, i) => i + 1).map((n) => ({ n, href: pagedPath(base, n), current: n === page })),
        }
        : undefined,
    },
  };
}

/** Locations per commune page: keeps the largest commune page well under the 14 KB budget. */
export const COMMUNE_PER_PAGE = 50;

export interface CommuneView {
  name: string;
  postcode: string;
  /** The commune's address, its first page. */
  path: string;
  canonicalPath: string;
  pageLabel: string;
  /** Active locations in the commune, on all pages. */
  total: number;
  department: Link;
  locations: (Link & { kind: string; address: string })[];
  /** Present when there is more than one page; lists no page numbers. */
  pager?: Omit<Pager, 'pages'>;
}

/** A commune's active locations, `page` being the raw `page` query parameter. */
export async function communeView(db: Database, slug: string, pageParam: string | null | undefined): Promise<Paged<CommuneView>> {
  const page = pageNumber(pageParam);
  const insee = inseeFromCommuneSlug(slug);
  const commune = insee ? await findCommune(db, insee) : undefined;
  if (!commune || !page) return { kind: 'not_found' };
  const base = communePath(commune);
  if (base !== `/communes/${slug}`) return { kind: 'redirect', path: pagedPath(base, page) };
  const rows = await listCommuneLocations(db, commune.inseeCode, { offset: (page - 1) * COMMUNE_PER_PAGE, limit: COMMUNE_PER_PAGE });
  if (rows.length === 0) return { kind: 'not_found' };
  const total = commune.activeLocations;
  const pages = Math.ceil(total / COMMUNE_PER_PAGE);
  return {
    kind: 'view',
    view: {
      name: commune.name,
      postcode: commune.postcode,
      path: base,
      canonicalPath: pagedPath(base, page),
      pageLabel: pageLabelOf(page, pages),
      total,
      department: { name: findDepartment(commune.department)?.name ?? commune.department, href: departmentPath(commune.department) },
      locations: rows.map((l) => ({
        name: l.name,
        href: locationPath(l),
        kind: LOCATION_TYPE_LABELS[l.type],
        address: [l.addressLine, `${l.postcode} ${l.commune}`].filter(Boolean).join(', '),
      })),
      pager: pages > 1
        ? { prev: page > 1 ? pagedPath(base, page - 1) : undefined, next: page < pages ? pagedPath(base, page + 1) : undefined }
        : undefined,
    },
  };
}
