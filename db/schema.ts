/**
 * @module
 * The database, described once. drizzle-kit turns this file into the SQL
 * migrations under db/migrations; wrangler applies them to D1.
 */
import { sql } from 'drizzle-orm';
import { blob, index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import type {
  BookingStatus, ExceptionReason, HoldStatus, OfferKind, Interval, LocationType, OrderChannel, OrderDelivery, OrderPayment, ProductKind, Service, StockChangeSource, VisitEventKind, WeeklyRule,
} from './vocabulary';

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

/**
 * One row per département, maintained at write time by every import and
 * hours change: the home page and the sitemap index read about 100 rows
 * instead of grouping 30,000 locations on every request.
 */
export const departmentStats = sqliteTable('department_stats', {
  department: text('department').primaryKey(),
  activeLocations: integer('active_locations').notNull(),
  /** Communes of the département with an active location. */
  communes: integer('communes').notNull(),
  /** Latest change of any of its locations, closings and hours included (sitemap `lastmod`). */
  updatedAt: text('updated_at').notNull(),
});

/**
 * The locator's compact view of the network (positions, kinds, services,
 * names), published whenever the set of locations changes. Stored in parts
 * under D1's 2 MB row limit; a snapshot is complete when all `parts` rows
 * of its `version` are present.
 */
export const locatorSnapshots = sqliteTable(
  'locator_snapshots',
  {
    version: integer('version').notNull(),
    part: integer('part').notNull(),
    parts: integer('parts').notNull(),
    data: blob('data', { mode: 'buffer' }).notNull(),
    createdAt: text('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.version, t.part] })],
);

/**
 * A location's weekly opening rules, in local wall-clock time. `version`
 * moves on every change of the rules or the exceptions: it is the
 * optimistic-concurrency token behind `ETag`/`If-Match`.
 */
export const locationHours = sqliteTable('location_hours', {
  locationId: text('location_id').primaryKey(),
  weekly: text('weekly', { mode: 'json' }).$type<WeeklyRule[]>().notNull(),
  version: integer('version').notNull().default(0),
  /**
   * Open on public holidays like any other day (lockers, 24/7 places): a
   * property of the schedule, instead of one "open" exception per holiday.
   */
  openOnHolidays: integer('open_on_holidays', { mode: 'boolean' }).notNull().default(false),
  /** Random id of the last write: later statements of the same batch check it to know the write won. */
  lastWrite: text('last_write'),
  updatedAt: text('updated_at').notNull(),
});

/** Dated exceptions: closed, or special intervals, on each local date of a range. */
export const hoursExceptions = sqliteTable(
  'hours_exceptions',
  {
    id: text('id').primaryKey(),
    locationId: text('location_id').notNull(),
    startDate: text('start_date').notNull(),
    /** Inclusive; null = until further notice. */
    endDate: text('end_date'),
    closed: integer('closed', { mode: 'boolean' }).notNull(),
    intervals: text('intervals', { mode: 'json' }).$type<Interval[]>().notNull(),
    reason: text('reason').$type<ExceptionReason>().notNull(),
    note: text('note'),
    /** Set when the exception was declared for many locations at once. */
    bulkId: text('bulk_id'),
    createdBy: text('created_by').notNull(),
    createdAt: text('created_at').notNull(),
  },
  (t) => [index('hours_exceptions_location_idx').on(t.locationId, t.startDate)],
);

/**
 * Staff credentials. Only a SHA-256 digest of each bearer token is stored:
 * tokens are 256-bit random values, so a fast digest is enough (no password
 * stretching needed) and a database leak reveals no usable token.
 */
export const staffTokens = sqliteTable('staff_tokens', {
  id: text('id').primaryKey(),
  /** Who holds it, e.g. "Bureau de Sartrouville – responsable". Shown in the audit log. */
  name: text('name').notNull(),
  tokenHash: text('token_hash').notNull().unique(),
  role: text('role').$type<StaffRole>().notNull(),
  scopeType: text('scope_type').$type<'office' | 'department' | 'network'>().notNull(),
  /** Location id for an office, département code for a département, null for the network. */
  scopeValue: text('scope_value'),
  createdAt: text('created_at').notNull(),
  expiresAt: text('expires_at'),
  revokedAt: text('revoked_at'),
});
/**
 * `exceptions`: declare and remove exceptions; `hours`: also weekly hours and
 * bulk closures; `counter`: open counter sessions for customers who show
 * their rotating code, at the office of its scope (and nothing else).
 */
export type StaffRole = 'exceptions' | 'hours' | 'counter';

/** Sign-in sessions of the staff pages (cookie holds the secret; only its digest is stored). */
export const staffSessions = sqliteTable('staff_sessions', {
  id: text('id').primaryKey(),
  secretHash: text('secret_hash').notNull().unique(),
  tokenId: text('token_id').notNull(),
  /** Synchronizer token for the forms of this session (CSRF). */
  csrfToken: text('csrf_token').notNull(),
  expiresAt: text('expires_at').notNull(),
});

/**
 * Every change to hours: who, when, before, after. Its `seq` orders the
 * public changes feed and the publication jobs.
 */
export const hoursAudit = sqliteTable(
  'hours_audit',
  {
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    locationId: text('location_id').notNull(),
    action: text('action').$type<'weekly.replace' | 'exception.add' | 'exception.remove'>().notNull(),
    actorId: text('actor_id').notNull(),
    actorName: text('actor_name').notNull(),
    at: text('at').notNull(),
    before: text('before', { mode: 'json' }),
    after: text('after', { mode: 'json' }),
  },
  (t) => [index('hours_audit_location_idx').on(t.locationId, t.seq)],
);

/** How far each publication target has read the changes feed. */
export const publicationCursors = sqliteTable('publication_cursors', {
  target: text('target').primaryKey(),
  lastSeq: integer('last_seq').notNull(),
  updatedAt: text('updated_at').notNull(),
});

/** Each push to a target: recorded before it is sent, retried until it succeeds. */
export const publicationPushes = sqliteTable(
  'publication_pushes',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    target: text('target').notNull(),
    locationIds: text('location_ids', { mode: 'json' }).$type<string[]>().notNull(),
    payload: text('payload').notNull(),
    /**
     * `superseded`: a newer payload for the same location replaced it before it was sent;
     * `failed`: the target refused it for good (a 4xx), set aside and listed, never retried.
     * `dry_run` is a legacy status of rows recorded before dry runs kept pushes pending.
     */
    status: text('status').$type<'pending' | 'sent' | 'dry_run' | 'superseded' | 'failed'>().notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: text('next_attempt_at').notNull(),
    lastError: text('last_error'),
    /** Set atomically by the run that sends it; another run skips the row until `claimedUntil`. */
    claimToken: text('claim_token'),
    claimedUntil: text('claimed_until'),
    createdAt: text('created_at').notNull(),
    sentAt: text('sent_at'),
  },
  (t) => [index('publication_pushes_due_idx').on(t.status, t.nextAttemptAt)],
);

/**
 * Partner sites that embed the pickup-point picker. The publishable key
 * (`pk_…`) is public but bound to the partner's origins; the secret key
 * (`sk_…`) authenticates its server when it verifies a selection. Both are
 * stored as SHA-256 digests.
 */
export const partners = sqliteTable('partners', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  publishableKeyHash: text('publishable_key_hash').notNull().unique(),
  secretKeyHash: text('secret_key_hash').notNull().unique(),
  /** Exact origins (`https://shop.example`) allowed to frame the widget, call the API and receive choices. */
  allowedOrigins: text('allowed_origins', { mode: 'json' }).$type<string[]>().notNull(),
  createdAt: text('created_at').notNull(),
  revokedAt: text('revoked_at'),
});

/** Server-side settings generated on first use (e.g. the selection signing key when no secret is configured). */
export const settings = sqliteTable('settings', {
  name: text('name').primaryKey(),
  value: text('value').notNull(),
});

export type GeocodePrecision = 'address' | 'street' | 'block' | 'commune';
export type LocationRow = typeof locations.$inferSelect;
export type NewLocationRow = typeof locations.$inferInsert;
export type CommuneRow = typeof communes.$inferSelect;

/**
 * What became of each outgoing message, by its idempotency key: the queue
 * delivers at least once, this row makes it at most once to the person.
 * Holds no personal data (no address, no text).
 */
export const messageDeliveries = sqliteTable('message_deliveries', {
  id: text('id').primaryKey(),
  channel: text('channel').$type<'email' | 'sms'>().notNull(),
  /** `sending` while a consumer holds it (until `claimedUntil`), `sent` once delivered, `retrying` after a failed attempt. */
  status: text('status').$type<'sending' | 'sent' | 'retrying'>().notNull(),
  attempts: integer('attempts').notNull(),
  claimedUntil: text('claimed_until'),
  /** The kind of the last failure (never its details: they may name the person). */
  lastError: text('last_error'),
  createdAt: text('created_at').notNull(),
  sentAt: text('sent_at'),
});

/**
 * The local outbox: where messages are delivered when no real channel is
 * configured (`npm start`, tests). `npm run outbox -- --to ADDRESS` reads
 * it. A deployment configured for real delivery never writes here.
 */
export const outbox = sqliteTable(
  'outbox',
  {
    id: text('id').primaryKey(),
    channel: text('channel').$type<'email' | 'sms'>().notNull(),
    recipient: text('recipient').notNull(),
    subject: text('subject').notNull(),
    text: text('text').notNull(),
    /** Mail headers a real delivery would carry (List-Unsubscribe…), as JSON; null when none. */
    headers: text('headers', { mode: 'json' }).$type<Record<string, string>>(),
    sentAt: text('sent_at').notNull(),
  },
  (t) => [index('outbox_recipient_idx').on(t.recipient, t.sentAt)],
);

/**
 * What staff did beyond hours (hours changes have `hours_audit`): opening
 * and closing counter sessions. `subject` is the counter session's id,
 * never a customer's name or address; it names nobody once the account is
 * deleted (the session rows go with it).
 */
export const staffAudit = sqliteTable(
  'staff_audit',
  {
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    actorId: text('actor_id').notNull(),
    actorName: text('actor_name').notNull(),
    /** `counter.refused`: a code that opened nothing (counted for the clerk's rate limit). */
    action: text('action').$type<
      | 'counter.open' | 'counter.close' | 'counter.refused' | 'parcel.handover'
      | 'hold.collected' | 'hold.not_collected' | 'order.counter'
    >().notNull(),
    locationId: text('location_id'),
    subject: text('subject'),
    at: text('at').notNull(),
  },
  (t) => [index('staff_audit_actor_idx').on(t.actorId, t.seq)],
);

/** A postal address on a customer's account (for deliveries). */
export interface CustomerAddress {
  label: string;
  line1: string;
  line2?: string;
  postcode: string;
  city: string;
}

/** Which channels a customer accepts notices on (sign-in codes always go by email). */
export interface CustomerChannels {
  email: boolean;
  sms: boolean;
}

/**
 * One customer account, shared by the website and the counter. Every row
 * about the customer references it with ON DELETE CASCADE (D1 enforces
 * foreign keys): a write racing the account's deletion can leave nothing
 * behind. The email address is the sign-in identity (normalised, unique). `counterSalt` is
 * the per-account half of the counter code's secret (the other half is the
 * Worker's ACCOUNT_KEY), so the code cannot be guessed from the id, nor
 * from this table alone.
 */
export const customers = sqliteTable(
  'customers',
  {
    id: text('id').primaryKey(),
    email: text('email').notNull().unique(),
    name: text('name'),
    /** E.164 (`+33612345678`), only when the customer wants SMS. */
    phone: text('phone'),
    addresses: text('addresses', { mode: 'json' }).$type<CustomerAddress[]>().notNull().default(sql`'[]'`),
    channels: text('channels', { mode: 'json' }).$type<CustomerChannels>().notNull().default(sql`'{"email":true,"sms":false}'`),
    /** Quiet hours, local wall-clock `HH:MM` in `timeZone`: no notice is delivered between them. */
    quietStart: text('quiet_start').notNull().default('21:00'),
    quietEnd: text('quiet_end').notNull().default('08:00'),
    timeZone: text('time_zone').notNull().default('Europe/Paris'),
    counterSalt: text('counter_salt').notNull(),
    /** The 30-second step whose counter code was last used: that code is never shown again. */
    counterUsedStep: integer('counter_used_step'),
    createdAt: text('created_at').notNull(),
    /** The last sign-in or signed-in request (written at most once an hour): drives the 2-year deletion. */
    lastActiveAt: text('last_active_at').notNull(),
    /** When the "your account will be deleted" warning was queued; cleared by any activity. */
    inactivityWarnedAt: text('inactivity_warned_at'),
  },
  (t) => [index('customers_last_active_idx').on(t.lastActiveAt)],
);
export type CustomerRow = typeof customers.$inferSelect;

/** A customer's usual offices, in the order they were added. */
export const customerFavourites = sqliteTable(
  'customer_favourites',
  {
    customerId: text('customer_id').notNull().references(() => customers.id, { onDelete: 'cascade' }),
    locationId: text('location_id').notNull(),
    addedAt: text('added_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.customerId, t.locationId] }), index('customer_favourites_order_idx').on(t.customerId, t.addedAt)],
);

/**
 * A sign-in by emailed code. The code itself is never stored: `codeMac` is
 * HMAC-SHA-256(ACCOUNT_KEY, attempt ‖ address ‖ code). `guesses` counts wrong
 * codes (5 at most), `usedAt` makes it single use. The address is kept
 * only while the attempt lives (10 minutes; swept after a day), its digest
 * counts attempts per address for the rate limit.
 */
export const signInAttempts = sqliteTable(
  'sign_in_attempts',
  {
    id: text('id').primaryKey(),
    email: text('email').notNull(),
    emailDigest: text('email_digest').notNull(),
    clientDigest: text('client_digest').notNull(),
    codeMac: text('code_mac').notNull(),
    guesses: integer('guesses').notNull().default(0),
    createdAt: text('created_at').notNull(),
    expiresAt: text('expires_at').notNull(),
    usedAt: text('used_at'),
  },
  (t) => [
    index('sign_in_attempts_email_idx').on(t.emailDigest, t.createdAt),
    index('sign_in_attempts_client_idx').on(t.clientDigest, t.createdAt),
  ],
);

/**
 * Customers' signed-in sessions: the cookie holds a random secret, this
 * table its SHA-256 digest. `expiresAt` is the absolute end; `lastSeenAt`
 * (written at most once an hour) gives the idle end.
 */
export const customerSessions = sqliteTable(
  'customer_sessions',
  {
    id: text('id').primaryKey(),
    secretHash: text('secret_hash').notNull().unique(),
    customerId: text('customer_id').notNull().references(() => customers.id, { onDelete: 'cascade' }),
    /** Synchronizer token of this session's forms (CSRF). */
    csrfToken: text('csrf_token').notNull(),
    /** How the customer signed in. */
    method: text('method').$type<'code' | 'passkey'>().notNull(),
    createdAt: text('created_at').notNull(),
    lastSeenAt: text('last_seen_at').notNull(),
    expiresAt: text('expires_at').notNull(),
  },
  (t) => [index('customer_sessions_customer_idx').on(t.customerId)],
);

/** WebAuthn credentials (passkeys). The public key only: nothing here signs anything. */
export const passkeys = sqliteTable(
  'passkeys',
  {
    /** The credential id, base64url. */
    id: text('id').primaryKey(),
    customerId: text('customer_id').notNull().references(() => customers.id, { onDelete: 'cascade' }),
    /** The public key as a JWK (JSON), ready for WebCrypto. */
    publicKey: text('public_key').notNull(),
    /** COSE algorithm: -7 (ES256) or -257 (RS256). */
    algorithm: integer('algorithm').notNull(),
    signCount: integer('sign_count').notNull().default(0),
    /** What the customer sees in the list, e.g. "Clé ajoutée le 24/11/2026". */
    name: text('name').notNull(),
    createdAt: text('created_at').notNull(),
    lastUsedAt: text('last_used_at'),
  },
  (t) => [index('passkeys_customer_idx').on(t.customerId)],
);

/** WebAuthn challenges: random, single use, five minutes. Stored as digests. */
export const webauthnChallenges = sqliteTable('webauthn_challenges', {
  challengeHash: text('challenge_hash').primaryKey(),
  purpose: text('purpose').$type<'register' | 'sign_in'>().notNull(),
  /** The customer adding a passkey; null for a sign-in (the passkey says who). */
  customerId: text('customer_id').references(() => customers.id, { onDelete: 'cascade' }),
  expiresAt: text('expires_at').notNull(),
});

/**
 * One history across channels. Each entry says where it happened: on the
 * website (`web`) or at the counter of a named office (`counter`, with the
 * office's id and its name at the time).
 */
export const customerHistory = sqliteTable(
  'customer_history',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    customerId: text('customer_id').notNull().references(() => customers.id, { onDelete: 'cascade' }),
    at: text('at').notNull(),
    channel: text('channel').$type<'web' | 'counter'>().notNull(),
    locationId: text('location_id'),
    locationName: text('location_name'),
    /** What happened, a stable code (see worker/accounts/history.ts for the French labels). */
    kind: text('kind').notNull(),
    /** A short detail in French (no secret, no code), e.g. the office added to favourites. */
    detail: text('detail'),
  },
  (t) => [index('customer_history_customer_idx').on(t.customerId, t.id)],
);

/**
 * The counter codes a customer's phone is showing: a digest of the code per
 * 30-second step, so the clerk's typed code finds its account without
 * trying every account's secret. Valid for a minute; swept on use.
 */
export const counterCodes = sqliteTable(
  'counter_codes',
  {
    digest: text('digest').primaryKey(),
    customerId: text('customer_id').notNull().references(() => customers.id, { onDelete: 'cascade' }),
    expiresAt: text('expires_at').notNull(),
  },
  (t) => [index('counter_codes_customer_idx').on(t.customerId)],
);

/** A clerk serving a recognised customer at one office: 15 minutes at most. */
export const counterSessions = sqliteTable(
  'counter_sessions',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id').notNull().references(() => customers.id, { onDelete: 'cascade' }),
    staffId: text('staff_id').notNull(),
    locationId: text('location_id').notNull(),
    openedAt: text('opened_at').notNull(),
    expiresAt: text('expires_at').notNull(),
    closedAt: text('closed_at'),
  },
  (t) => [index('counter_sessions_staff_idx').on(t.staffId, t.openedAt), index('counter_sessions_customer_idx').on(t.customerId)],
);

/**
 * Carriers that send parcel events. Their signing secret is never stored:
 * it is derived from the Worker's CARRIER_KEY, the carrier's id and its
 * `generation` (worker/parcels/carriers.ts), so a copy of the tables alone
 * cannot forge an event. A new generation retires the previous secret.
 */
export const carriers = sqliteTable('carriers', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  generation: integer('generation').notNull().default(1),
  createdAt: text('created_at').notNull(),
  revokedAt: text('revoked_at'),
});

/**
 * Signed requests already accepted, by a digest of their signature: a
 * replay within the 5-minute window is refused. Swept once older than the
 * window (the timestamp check refuses them from then on).
 */
export const carrierRequests = sqliteTable(
  'carrier_requests',
  {
    signatureDigest: text('signature_digest').primaryKey(),
    carrierId: text('carrier_id').notNull(),
    /** Epoch milliseconds. */
    receivedAt: integer('received_at').notNull(),
  },
  (t) => [index('carrier_requests_received_idx').on(t.receivedAt)],
);

/**
 * Carriers' events as received, each once (the carrier's id + its event id).
 * A parcel's state is computed from the set of its events, never from the
 * order they arrived in (worker/parcels/timeline.ts). Instants are epoch ms.
 */
export const parcelEvents = sqliteTable(
  'parcel_events',
  {
    carrierId: text('carrier_id').notNull(),
    eventId: text('event_id').notNull(),
    trackingNumber: text('tracking_number').notNull(),
    /** A La Poste code (worker/parcels/events.ts); an unknown one is kept as received. */
    code: text('code').notNull(),
    occurredAt: integer('occurred_at').notNull(),
    locationId: text('location_id'),
    product: text('product'),
    promisedDate: text('promised_date'),
    /** Where the parcel was shelved at the point of collection (AG1). */
    shelf: text('shelf'),
    /** HMAC of the recipient's postcode under CARRIER_KEY: proves a follower is the recipient, reveals nothing. */
    postcodeMac: text('postcode_mac'),
    receivedAt: integer('received_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.carrierId, t.eventId] }), index('parcel_events_parcel_idx').on(t.trackingNumber, t.occurredAt)],
);

/**
 * Each parcel's state, as computed from its events: what lists read (the
 * parcels waiting at an office, the silent ones, a customer's). A parcel's
 * own page recomputes it from the events. `eventTotal` is counted in the
 * same batch that adds events; `eventCount` is how many events the stored
 * state was computed from, and only a state computed from more events
 * replaces it, so racing batches never leave an older state behind.
 */
export const parcels = sqliteTable(
  'parcels',
  {
    trackingNumber: text('tracking_number').primaryKey(),
    eventTotal: integer('event_total').notNull().default(0),
    eventCount: integer('event_count').notNull().default(0),
    step: integer('step').notNull().default(0),
    delivered: integer('delivered', { mode: 'boolean' }).notNull().default(false),
    /** Open incidents: `avise`, `retour`, `probleme`. */
    incidents: text('incidents', { mode: 'json' }).$type<string[]>().notNull().default(sql`'[]'`),
    product: text('product'),
    promisedDate: text('promised_date'),
    waitingLocationId: text('waiting_location_id'),
    waitingSince: integer('waiting_since'),
    shelf: text('shelf'),
    postcodeMac: text('postcode_mac'),
    lastEventAt: integer('last_event_at'),
    lastCode: text('last_code'),
    updatedAt: integer('updated_at').notNull().default(0),
  },
  (t) => [
    index('parcels_waiting_idx').on(t.waitingLocationId, t.waitingSince),
    index('parcels_moving_idx').on(t.delivered, t.lastEventAt),
    // The few states a crashed batch left behind (the cron recomputes them).
    index('parcels_stale_idx').on(t.trackingNumber).where(sql`event_count < event_total`),
  ],
);
export type ParcelRow = typeof parcels.$inferSelect;

/** Parcels a customer follows in their account (ownership proved by the recipient's postcode). */
export const customerParcels = sqliteTable(
  'customer_parcels',
  {
    customerId: text('customer_id').notNull().references(() => customers.id, { onDelete: 'cascade' }),
    trackingNumber: text('tracking_number').notNull(),
    addedAt: text('added_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.customerId, t.trackingNumber] }), index('customer_parcels_parcel_idx').on(t.trackingNumber)],
);

/** "Delivered but not received": one claim per parcel and customer, answered within 21 days. */
export const parcelClaims = sqliteTable(
  'parcel_claims',
  {
    reference: text('reference').primaryKey(),
    trackingNumber: text('tracking_number').notNull(),
    customerId: text('customer_id').references(() => customers.id, { onDelete: 'set null' }),
    openedAt: text('opened_at').notNull(),
    answerDue: text('answer_due').notNull(),
    status: text('status').$type<'open' | 'answered'>().notNull().default('open'),
    note: text('note'),
  },
  (t) => [uniqueIndex('parcel_claims_parcel_customer_idx').on(t.trackingNumber, t.customerId), index('parcel_claims_customer_idx').on(t.customerId)],
);

/**
 * Email alerts for one parcel, for anyone (no account): double opt-in. The
 * address is kept only while the alert lives (until confirmed within a day,
 * and until 30 days after the parcel's last event); the links carry random
 * tokens stored as digests, never the address.
 */
export const parcelSubscriptions = sqliteTable(
  'parcel_subscriptions',
  {
    id: text('id').primaryKey(),
    trackingNumber: text('tracking_number').notNull(),
    email: text('email').notNull(),
    /** SHA-256 of the confirmation token (the link in the opt-in message). */
    confirmHash: text('confirm_hash').notNull().unique(),
    /** SHA-256 of the unsubscribe token (every message's one-click link). */
    unsubscribeHash: text('unsubscribe_hash').notNull().unique(),
    createdAt: text('created_at').notNull(),
    confirmedAt: text('confirmed_at'),
  },
  (t) => [uniqueIndex('parcel_subscriptions_parcel_email_idx').on(t.trackingNumber, t.email), index('parcel_subscriptions_created_idx').on(t.createdAt)],
);

/**
 * What a person is to be told about a parcel, before it becomes a message.
 * `key` is the idempotency key (parcel, kind and what it is about): a
 * replayed event or a second cron run finds it there and adds nothing.
 * Notices wait until `deliverAfter` (the end of the person's quiet hours);
 * those due together are merged into one message, claimed by `messageId`.
 * `recipient` is `customer:<id>` or `subscription:<id>`; the address is
 * read when the message is written, so a deleted account gets nothing.
 */
export const parcelNotices = sqliteTable(
  'parcel_notices',
  {
    key: text('key').primaryKey(),
    recipient: text('recipient').notNull(),
    trackingNumber: text('tracking_number').notNull(),
    kind: text('kind').notNull(),
    /** `can_wait` (after quiet hours) or `deadline_day` (through them, never at night). */
    timing: text('timing').$type<'can_wait' | 'deadline_day'>().notNull().default('can_wait'),
    /** The sentence the message will carry (French, no personal data). */
    line: text('line').notNull(),
    createdAt: integer('created_at').notNull(),
    deliverAfter: integer('deliver_after').notNull(),
    /** The flush attempt that holds it (a random token): only that attempt sends it, releases it or marks it sent. */
    claim: text('claim'),
    claimedAt: integer('claimed_at'),
    sentAt: integer('sent_at'),
  },
  (t) => [index('parcel_notices_due_idx').on(t.sentAt, t.deliverAfter), index('parcel_notices_recipient_idx').on(t.recipient), index('parcel_notices_parcel_idx').on(t.trackingNumber, t.kind)],
);

/**
 * Postcode guesses while adding a parcel to an account. Each comparison
 * first takes a row here (a conditional insert: 10 an hour per customer,
 * 20 an hour per parcel), so concurrent guesses cannot get past the limit;
 * a right guess removes its row.
 */
export const parcelFollowFailures = sqliteTable(
  'parcel_follow_failures',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    customerId: text('customer_id').notNull().references(() => customers.id, { onDelete: 'cascade' }),
    trackingNumber: text('tracking_number').notNull(),
    at: integer('at').notNull(),
  },
  (t) => [index('parcel_follow_failures_customer_idx').on(t.customerId, t.at), index('parcel_follow_failures_parcel_idx').on(t.trackingNumber, t.at)],
);

/**
 * The catalogue: what the online shop and the counters sell. `sku` is the
 * stable public id. A product is never deleted: a withdrawn one
 * (`withdrawnAt`) stays for the history and reorders, which name it.
 */
export const products = sqliteTable(
  'products',
  {
    sku: text('sku').primaryKey(),
    name: text('name').notNull(),
    kind: text('kind').$type<ProductKind>().notNull(),
    /** Euro cents, VAT included. */
    priceCents: integer('price_cents').notNull(),
    description: text('description').notNull(),
    soldOnline: integer('sold_online', { mode: 'boolean' }).notNull(),
    /** Units the online shop can still ship: 0 is "sold out online". */
    onlineStock: integer('online_stock').notNull().default(0),
    withdrawnAt: integer('withdrawn_at'),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('products_kind_idx').on(t.kind, t.name)],
);
export type ProductRow = typeof products.$inferSelect;

/**
 * What a location holds of a product: the units on its shelf when they
 * were last counted. Holds (`stock_holds`) are not subtracted here: a held
 * unit stays on the shelf until it is collected. `version` is the row's
 * ETag: a count based on an older version is refused (compare-and-set).
 * `claim` is the random token of the write that last changed the row, so
 * the other statements of its batch can tell that it won.
 */
export const locationStock = sqliteTable(
  'location_stock',
  {
    locationId: text('location_id').notNull(),
    sku: text('sku').notNull(),
    quantity: integer('quantity').notNull(),
    countedAt: integer('counted_at').notNull(),
    version: integer('version').notNull().default(1),
    claim: text('claim'),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.locationId, t.sku] }), index('location_stock_sku_idx').on(t.sku, t.locationId)],
);

/**
 * One location's whole stock sheet: its version moves with every change
 * of any of its rows, so a feed replacing many counts at once is a
 * compare-and-set on the sheet (`If-Match`). No row: version 0.
 */
export const stockSheets = sqliteTable('stock_sheets', {
  locationId: text('location_id').primaryKey(),
  version: integer('version').notNull(),
  claim: text('claim'),
  updatedAt: integer('updated_at').notNull(),
});

/** Every change of a stock count, with who made it and why (before is null for a first count). */
export const stockAudit = sqliteTable(
  'stock_audit',
  {
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    locationId: text('location_id').notNull(),
    sku: text('sku').notNull(),
    before: integer('before'),
    after: integer('after').notNull(),
    source: text('source').$type<StockChangeSource>().notNull(),
    actorId: text('actor_id').notNull(),
    actorName: text('actor_name').notNull(),
    at: integer('at').notNull(),
  },
  (t) => [index('stock_audit_location_idx').on(t.locationId, t.seq)],
);

/**
 * Units a customer holds at a location until `expiresAt` (the location's
 * closing time on its next opening day). A hold is taken by one
 * conditional insert that counts the other live holds (worker/stock/holds.ts):
 * live holds never exceed the counted quantity minus the safety stock.
 */
export const stockHolds = sqliteTable(
  'stock_holds',
  {
    /** `RSV-…`: the reference the customer gives at the counter. */
    id: text('id').primaryKey(),
    customerId: text('customer_id').notNull().references(() => customers.id, { onDelete: 'cascade' }),
    locationId: text('location_id').notNull(),
    sku: text('sku').notNull(),
    quantity: integer('quantity').notNull(),
    status: text('status').$type<HoldStatus>().notNull().default('active'),
    /** The form's one-time key: the same submission twice is one hold. */
    requestKey: text('request_key').notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    /** The morning of the last day: when the reminder is due (after the customer's quiet hours). */
    remindAt: integer('remind_at').notNull(),
    remindedAt: integer('reminded_at'),
    closedAt: integer('closed_at'),
    /** The staff member who marked it collected or not collected. */
    closedBy: text('closed_by'),
  },
  (t) => [
    uniqueIndex('stock_holds_request_idx').on(t.customerId, t.requestKey),
    index('stock_holds_live_idx').on(t.locationId, t.sku, t.status, t.expiresAt),
    // An office's live holds, whatever the product (/staff/retraits): holds are never purged.
    index('stock_holds_office_idx').on(t.locationId, t.status, t.expiresAt),
    index('stock_holds_customer_idx').on(t.customerId, t.createdAt),
    index('stock_holds_expiry_idx').on(t.status, t.expiresAt),
    index('stock_holds_reminder_idx').on(t.status, t.remindAt),
  ],
);

/**
 * An order, placed on the web or at a counter for a recognised customer
 * (`clerkId`, the office in `locationId`). Lines keep the name and price
 * they were sold at. `reorderOf` names the order it repeats.
 */
export const orders = sqliteTable(
  'orders',
  {
    /** `CMD-…` */
    id: text('id').primaryKey(),
    customerId: text('customer_id').notNull().references(() => customers.id, { onDelete: 'cascade' }),
    channel: text('channel').$type<OrderChannel>().notNull(),
    /** The counter's office for a counter order. */
    locationId: text('location_id'),
    clerkId: text('clerk_id'),
    delivery: text('delivery').$type<OrderDelivery>().notNull(),
    /** The account's address it goes to (a copy: the account may change later). */
    deliveryAddress: text('delivery_address', { mode: 'json' }).$type<CustomerAddress>(),
    /** Where it is collected. */
    collectLocationId: text('collect_location_id'),
    payment: text('payment').$type<OrderPayment>().notNull(),
    totalCents: integer('total_cents').notNull(),
    reorderOf: text('reorder_of'),
    /** The form's one-time key: the same submission twice is one order. */
    requestKey: text('request_key').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [uniqueIndex('orders_request_idx').on(t.customerId, t.requestKey), index('orders_customer_idx').on(t.customerId, t.createdAt)],
);

export const orderLines = sqliteTable(
  'order_lines',
  {
    orderId: text('order_id').notNull().references(() => orders.id, { onDelete: 'cascade' }),
    line: integer('line').notNull(),
    sku: text('sku').notNull(),
    name: text('name').notNull(),
    unitPriceCents: integer('unit_price_cents').notNull(),
    quantity: integer('quantity').notNull(),
  },
  (t) => [primaryKey({ columns: [t.orderId, t.line] })],
);

/**
 * Google Merchant Center's local inventory, one row per location and
 * product, kept up to date in the same batch as every change of a count
 * or a hold (worker/stock/inventory-feed.ts): the feed is read from here,
 * never recomputed whole. `quantity` is what can be sold: counted, less
 * live holds and the safety stock.
 */
export const inventoryFeed = sqliteTable(
  'inventory_feed',
  {
    locationId: text('location_id').notNull(),
    sku: text('sku').notNull(),
    quantity: integer('quantity').notNull(),
    availability: text('availability').$type<'in_stock' | 'limited_availability' | 'out_of_stock'>().notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.locationId, t.sku] }), index('inventory_feed_updated_idx').on(t.updatedAt)],
);

// ---------------------------------------------------------------------------
// Pro services: professional accounts, what an office offers, bookings.

/** A customer account marked professional: its SIRET (14 digits, checked by its key) and company name. */
export const proProfiles = sqliteTable('pro_profiles', {
  customerId: text('customer_id').primaryKey().references(() => customers.id, { onDelete: 'cascade' }),
  siret: text('siret').notNull(),
  company: text('company').notNull(),
  createdAt: integer('created_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

/**
 * One thing an office offers: an appointment type (its duration, and as
 * many seats per slot as advisors) or deposit slots (15 minutes, a number
 * of parcel batches per slot). Never deleted while bookings name it: a
 * withdrawn offer is `active = false`. `version` moves with each change of
 * the row.
 */
export const officeOffers = sqliteTable(
  'office_offers',
  {
    /** `ofr_…` */
    id: text('id').primaryKey(),
    locationId: text('location_id').notNull(),
    kind: text('kind').$type<OfferKind>().notNull(),
    label: text('label').notNull(),
    durationMinutes: integer('duration_minutes').notNull(),
    /** Seats per slot: advisors (appointments) or parcel batches (deposits). */
    capacity: integer('capacity').notNull(),
    active: integer('active', { mode: 'boolean' }).notNull().default(true),
    updatedAt: integer('updated_at').notNull(),
    version: integer('version').notNull().default(1),
    /**
     * Moves with every write to this offer's seats (a booking inserted,
     * confirmed, cancelled, moved or deleted), by triggers in the same
     * transaction (migration 0016): the edge key of its slots listing.
     */
    seatsVersion: integer('seats_version').notNull().default(0),
  },
  (t) => [index('office_offers_location_idx').on(t.locationId, t.active)],
);

/**
 * The version of an office's list of offers as a whole: a replacement of
 * the list names it in If-Match (a compare-and-set, as the stock sheet).
 * `claim` marks the batch that won it.
 */
export const officeOfferSheets = sqliteTable('office_offer_sheets', {
  locationId: text('location_id').primaryKey(),
  version: integer('version').notNull(),
  claim: text('claim'),
  updatedAt: integer('updated_at').notNull(),
});

/**
 * A seat at an office: held for a few minutes, then booked, or cancelled.
 * It is taken by ONE conditional insert that counts the live seats of the
 * same offer overlapping it (worker/bookings/store.ts): live seats never
 * exceed the offer's capacity. A hold past `holdExpiresAt` counts for
 * nothing, at once, without any job.
 */
export const bookings = sqliteTable(
  'bookings',
  {
    /** `RDV-…`: the public reference, given at the counter. */
    id: text('id').primaryKey(),
    customerId: text('customer_id').notNull().references(() => customers.id, { onDelete: 'cascade' }),
    locationId: text('location_id').notNull(),
    offerId: text('offer_id').notNull().references(() => officeOffers.id),
    kind: text('kind').$type<OfferKind>().notNull(),
    startsAt: integer('starts_at').notNull(),
    endsAt: integer('ends_at').notNull(),
    status: text('status').$type<BookingStatus>().notNull().default('held'),
    holdExpiresAt: integer('hold_expires_at').notNull(),
    /** The request's Idempotency-Key: the same key is the same booking. */
    requestKey: text('request_key').notNull(),
    /** Parcels announced for a deposit. */
    parcels: integer('parcels'),
    createdAt: integer('created_at').notNull(),
    confirmedAt: integer('confirmed_at'),
    cancelledAt: integer('cancelled_at'),
    /** A `moved` seat: when its customer's message was queued (null: not yet, the next cron round tries again). */
    movedToldAt: integer('moved_told_at'),
  },
  (t) => [
    uniqueIndex('bookings_request_idx').on(t.customerId, t.requestKey),
    // Moved seats whose message is still to be queued (a few at most): the cron's retry.
    index('bookings_untold_idx').on(t.status, t.movedToldAt),
    // The capacity check and the slots listing: one offer's seats by start.
    index('bookings_offer_start_idx').on(t.offerId, t.startsAt),
    // The counter's day at an office.
    index('bookings_location_start_idx').on(t.locationId, t.startsAt),
    // A customer's bookings, and their upcoming live seats and holds (bounded on the start) inside the write.
    index('bookings_customer_start_idx').on(t.customerId, t.startsAt),
  ],
);
export type BookingRow = typeof bookings.$inferSelect;
export type OfficeOfferRow = typeof officeOffers.$inferSelect;

// ---------------------------------------------------------------------------
// Affluence: the counter's visits, how busy each office usually is, the low-crowd alert.

/**
 * A queue-management system allowed to post one office's visits, signed
 * as the carriers sign (worker/parcels/signature.ts). Its secret is derived
 * from a key and `generation`, never stored (as a carrier's). One source,
 * one office: a leaked secret speaks for that office only.
 */
export const visitSources = sqliteTable('visit_sources', {
  /** `qms_…` */
  id: text('id').primaryKey(),
  locationId: text('location_id').notNull(),
  name: text('name').notNull(),
  generation: integer('generation').notNull().default(1),
  createdAt: integer('created_at').notNull(),
  revokedAt: integer('revoked_at'),
});

/** Each signed visits request accepted, once: a replay is refused. Swept after the signature tolerance. */
export const visitRequests = sqliteTable(
  'visit_requests',
  {
    /** SHA-256 of source, timestamp and signature. */
    digest: text('digest').primaryKey(),
    receivedAt: integer('received_at').notNull(),
  },
  (t) => [index('visit_requests_received_idx').on(t.receivedAt)],
);

/**
 * One ticket event at an office's counter. Raw events are kept a few weeks
 * (the live level reads the last 15 minutes; duplicates and order are
 * checked within a service day); the cron folds arrivals into
 * `affluence_counts` by `seq`, then sweeps old rows.
 */
export const visitEvents = sqliteTable(
  'visit_events',
  {
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    locationId: text('location_id').notNull(),
    /** The office's local date of the ticket, `YYYY-MM-DD`: tickets are numbered afresh each day. */
    serviceDate: text('service_date').notNull(),
    ticket: text('ticket').notNull(),
    kind: text('kind').$type<VisitEventKind>().notNull(),
    at: integer('at').notNull(),
    /** `qms_…` (a signed feed) or `staff:<token id>` (a staff action). */
    source: text('source').notNull(),
    receivedAt: integer('received_at').notNull(),
  },
  (t) => [
    // A ticket has one event of each kind per day: a duplicate is refused by this index.
    uniqueIndex('visit_events_ticket_idx').on(t.locationId, t.serviceDate, t.ticket, t.kind),
    // The live level: an office's arrivals of the last 15 minutes.
    index('visit_events_location_at_idx').on(t.locationId, t.at),
  ],
);

/**
 * Arrivals counted per office and period of 13 weeks (the local day number
 * divided by 91): the histogram reads the last 4 periods, a rolling year,
 * and older ones are dropped. `counts` is worker/affluence/histogram.ts's
 * `encodeCounts` blob.
 */
export const affluenceCounts = sqliteTable(
  'affluence_counts',
  {
    locationId: text('location_id').notNull(),
    period: integer('period').notNull(),
    counts: blob('counts', { mode: 'buffer' }).notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.locationId, t.period] })],
);

/** A professional's low-crowd alert for one office, with the alert's state (worker/affluence/alert.ts). */
export const affluenceAlerts = sqliteTable(
  'affluence_alerts',
  {
    customerId: text('customer_id').notNull().references(() => customers.id, { onDelete: 'cascade' }),
    locationId: text('location_id').notNull(),
    armed: integer('armed', { mode: 'boolean' }).notNull().default(true),
    lowSince: integer('low_since'),
    lastSentDate: text('last_sent_date'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.customerId, t.locationId] }), index('affluence_alerts_location_idx').on(t.locationId)],
);
export type VisitEventRow = typeof visitEvents.$inferSelect;
export type AffluenceAlertRow = typeof affluenceAlerts.$inferSelect;
