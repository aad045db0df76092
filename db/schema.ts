/**
 * @module
 * The database, described once. drizzle-kit turns this file into the SQL
 * migrations under db/migrations; wrangler applies them to D1.
 */
import { sql } from 'drizzle-orm';
import { index, integer, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import type { LocationType, Service } from '../worker/locations/catalog';

/** Every place a customer can go to: offices, agencies, relays, lockers, relay shops. */
export const locations = sqliteTable(
  'locations',
  {
    /** The open-data identifier (e.g. `15015A`) when there is one. */
    id: text('id').primaryKey(),
    /** Display name, e.g. `Sartrouville Principal`. */
    name: text('name').notNull(),
    /** Name as published by the source, e.g. `SARTROUVILLE PRINCIPAL BP`. */
    sourceName: text('source_name').notNull(),
    type: text('type').$type<LocationType>().notNull(),
    /** The post office a partner point is attached to. */
    parentId: text('parent_id'),
    addressLine: text('address_line'),
    addressComplement: text('address_complement'),
    lieuDit: text('lieu_dit'),
    postcode: text('postcode').notNull(),
    commune: text('commune').notNull(),
    inseeCode: text('insee_code').notNull(),
    department: text('department').notNull(),
    latitude: real('latitude').notNull(),
    longitude: real('longitude').notNull(),
    geocodePrecision: text('geocode_precision').$type<GeocodePrecision>(),
    phone: text('phone'),
    timeZone: text('time_zone').notNull(),
    services: text('services', { mode: 'json' }).$type<Service[]>().notNull(),
    /** null when unknown: we never claim accessibility we have not checked. */
    stepFreeAccess: integer('step_free_access', { mode: 'boolean' }),
    /** `closed` when the location left the network; rows are never deleted. */
    status: text('status').$type<'active' | 'closed'>().notNull().default('active'),
    closedAt: text('closed_at'),
    source: text('source').$type<'open_data' | 'demo'>().notNull(),
    /** Digest of the source fields: a re-import only touches rows whose digest changed. */
    sourceHash: text('source_hash').notNull(),
    createdAt: text('created_at').notNull().default(sql`(strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))`),
    updatedAt: text('updated_at').notNull().default(sql`(strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))`),
  },
  (t) => [
    index('locations_department_idx').on(t.department, t.id),
    index('locations_postcode_idx').on(t.postcode, t.id),
    index('locations_insee_idx').on(t.inseeCode, t.id),
    index('locations_type_idx').on(t.type, t.id),
    index('locations_parent_idx').on(t.parentId),
    index('locations_source_idx').on(t.source, t.status),
  ],
);

/**
 * One row per commune (INSEE code), derived from its locations by every
 * import. A commune's name is the locality most of its locations give: the
 * open data names some points after a commune déléguée (`SENNECE LES MACON`
 * under Mâcon's code), and pages, breadcrumbs and sitemaps must agree on one.
 */
export const communes = sqliteTable(
  'communes',
  {
    inseeCode: text('insee_code').primaryKey(),
    name: text('name').notNull(),
    department: text('department').notNull(),
    postcode: text('postcode').notNull(),
    activeLocations: integer('active_locations').notNull(),
    /** Latest change of any of its locations, closings included (sitemap `lastmod`). */
    updatedAt: text('updated_at').notNull(),
  },
  (t) => [index('communes_department_idx').on(t.department, t.name)],
);

export type GeocodePrecision = 'address' | 'street' | 'block' | 'commune';
export type LocationRow = typeof locations.$inferSelect;
export type NewLocationRow = typeof locations.$inferInsert;
export type CommuneRow = typeof communes.$inferSelect;
