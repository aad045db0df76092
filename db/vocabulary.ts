/**
 * @module
 * The stored vocabularies: the closed sets of codes and the JSON shapes the
 * database holds. They live beside the schema so that `db/` depends on
 * nothing in `worker/`; the capabilities import them from here (through
 * `worker/locations/catalog.ts` and `worker/hours/model.ts`) and add what
 * customers read (labels) and what they compute.
 */

/** The kind of a location. Codes are stable API values (English). */
export const LOCATION_TYPES = [
  'post_office',
  'communal_agency',
  'intercommunal_agency',
  'military_agency',
  'partner_relay',
  'parcel_locker',
  'parcel_shop',
] as const;
export type LocationType = (typeof LOCATION_TYPES)[number];

/** The services a location may offer. */
export const SERVICES = [
  'letters',
  'registered_mail',
  'parcel_drop',
  'parcel_pickup',
  'stamps',
  'packaging',
  'banking',
  'cash_machine',
  'cash_withdrawal',
  'money_transfer',
] as const;
export type Service = (typeof SERVICES)[number];

/** ISO weekday: Monday = 1 … Sunday = 7. */
export type Weekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

/**
 * An opening interval in local wall-clock time, `HH:MM`; `closes` may run
 * past midnight up to `48:00` (see worker/hours/model.ts).
 */
export interface Interval {
  opens: string;
  closes: string;
}

/** One opening interval on a day of the week; a day may have several (morning, afternoon). */
export interface WeeklyRule extends Interval {
  day: Weekday;
}

/** Why an exception changes a location's hours. */
export const EXCEPTION_REASONS = [
  'public_holiday_opening',
  'holiday_schedule',
  'staff_shortage',
  'works',
  'strike',
  'weather',
  'event',
  'temporary_closure',
  'permanent_closure',
  'other',
] as const;
export type ExceptionReason = (typeof EXCEPTION_REASONS)[number];

/** What a catalogue product is. Codes are stable API values (English). */
export const PRODUCT_KINDS = [
  'stamps',
  'stamp_collection',
  'prepaid_envelope',
  'packaging',
  'collector',
  'stationery',
] as const;
export type ProductKind = (typeof PRODUCT_KINDS)[number];

/**
 * A hold's life: `active` until the customer collects it (`collected`),
 * cancels it (`cancelled`), the office marks it not collected
 * (`not_collected`) or its deadline passes (`expired`, by the cron; an
 * active hold past its deadline already counts for nothing).
 */
export const HOLD_STATUSES = ['active', 'collected', 'cancelled', 'not_collected', 'expired'] as const;
export type HoldStatus = (typeof HOLD_STATUSES)[number];

/** Where an order was placed, how it reaches the customer, and where its payment stands. */
export const ORDER_CHANNELS = ['web', 'counter'] as const;
export type OrderChannel = (typeof ORDER_CHANNELS)[number];
export const ORDER_DELIVERIES = ['home', 'collect'] as const;
export type OrderDelivery = (typeof ORDER_DELIVERIES)[number];
/** `paid_at_counter`: paid at the counter's till; `due`: to pay when collected, or online (not built: decision 72). */
export const ORDER_PAYMENTS = ['paid_at_counter', 'due'] as const;
export type OrderPayment = (typeof ORDER_PAYMENTS)[number];

/** What moved a location's stock count. */
export const STOCK_CHANGE_SOURCES = ['count', 'feed', 'collected', 'counter_order'] as const;
export type StockChangeSource = (typeof STOCK_CHANGE_SOURCES)[number];

/**
 * What an office offers professional and other customers: an `appointment`
 * with an advisor at the counter, or a `deposit` slot to drop a batch of
 * already-paid parcels (15 minutes, a number of batches per slot).
 */
export const OFFER_KINDS = ['appointment', 'deposit'] as const;
export type OfferKind = (typeof OFFER_KINDS)[number];

/**
 * A booking's life: `held` for a few minutes while the customer confirms
 * (a held seat past `hold_expires_at` already counts for nothing, and reads
 * `expired`), then `booked`; `cancelled` by its customer. `expired` is never
 * needed in storage for correctness; it is how a lapsed hold reads.
 * `moved`: the office closes at that time after all (an exceptional
 * closure, new weekly hours), so the cron freed the seat and told the
 * customer the nearest free slots (worker/bookings/jobs.ts). Stored as
 * plain text: no migration.
 */
export const BOOKING_STATUSES = ['held', 'booked', 'cancelled', 'expired', 'moved'] as const;
export type BookingStatus = (typeof BOOKING_STATUSES)[number];

/**
 * A visit at the counter, as the ticket machine sees it: the customer
 * `arrival` (takes a ticket), is `called` to a counter, is `served`
 * (leaves). One of each per ticket and service day, in that order.
 */
export const VISIT_EVENT_KINDS = ['arrival', 'called', 'served'] as const;
export type VisitEventKind = (typeof VISIT_EVENT_KINDS)[number];
