/**
 * @module
 * The Worker's configuration, described once: every binding and variable
 * wrangler.toml, `--var` and secrets provide, validated by one valibot
 * schema and read through {@link configOf}. A missing or malformed value is
 * a deployment error: it throws a {@link ConfigError} naming the variable
 * (a logged 500, never an answer about the request). Pure: no
 * `cloudflare:workers` here, so it is tested in Node (worker/env.ts reads
 * the running Worker's bindings through it).
 */
import * as v from 'valibot';
import { LOCATION_TYPES, type LocationType } from '../db/vocabulary';

/** Cloudflare's rate-limiting binding (`[[ratelimits]]` in wrangler.toml). */
export interface Limiter {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

/** `scheme://host[:port]` of a configured origin, or undefined when it is not one. */
export function parseOrigin(value: string | undefined): string | undefined {
  const text = value?.trim().replace(/\/$/, '');
  if (!text) return undefined;
  try {
    const url = new URL(text);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === text ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$|\.localhost$/;

/**
 * Production is known from the configured origin: an https origin on a
 * public host. Local runs (`npm start`, tests, `wrangler dev`) use
 * http://localhost…; a deployment must set its public https origin anyway,
 * for its canonical links.
 */
export function isProductionOrigin(origin: string | undefined): boolean {
  if (!origin) return false;
  const url = new URL(origin);
  return url.protocol === 'https:' && !LOOPBACK.test(url.hostname);
}

const hasMethod = (value: unknown, ...names: string[]) =>
  typeof value === 'object' && value !== null && names.every((name) => name in value && typeof Reflect.get(value, name) === 'function');

const d1 = v.custom<D1Database>(
  (value) => hasMethod(value, 'prepare', 'batch'),
  'DB: the D1 binding is missing (wrangler.toml [[d1_databases]] binding = "DB")',
);

const limiter = (name: string) =>
  v.custom<Limiter>((value) => hasMethod(value, 'limit'), `${name}: not a rate-limiting binding (wrangler.toml [[ratelimits]] name = "${name}")`);

const isHttpUrl = (text: string) => {
  try {
    return /^https?:$/.test(new URL(text).protocol);
  } catch {
    return false;
  }
};

const httpUrl = (name: string) =>
  v.pipe(v.string(`${name} must be a text: an http(s) URL`), v.check(isHttpUrl, `${name} must be an http(s) URL, e.g. https://…`));

/** `SITE_ORIGIN`, normalised: required, exactly `scheme://host[:port]`. */
export const SiteOriginSchema = v.pipe(
  v.string('SITE_ORIGIN must be set to the public origin of the site, e.g. https://guichet.example.fr (wrangler.toml [vars], or --var SITE_ORIGIN:…)'),
  v.check((text) => parseOrigin(text) !== undefined, 'SITE_ORIGIN must be exactly scheme://host[:port] (http or https, no path), e.g. https://guichet.example.fr'),
  v.transform((text) => parseOrigin(text) ?? text),
);

/** The variables of publication, as written in wrangler.toml. */
const PUBLICATION_ENTRIES = {
  /** Record what would be sent, send nothing. On unless exactly "false". */
  PUBLICATION_DRY_RUN: v.optional(v.picklist(['true', 'false'], 'PUBLICATION_DRY_RUN must be "true" or "false"'), 'true'),
  /** e.g. https://api.indexnow.org/indexnow; goes with INDEXNOW_KEY. */
  INDEXNOW_ENDPOINT: v.optional(httpUrl('INDEXNOW_ENDPOINT')),
  /** The IndexNow key, also served at /{key}.txt: 8 to 128 letters, digits or hyphens (IndexNow's rule). */
  INDEXNOW_KEY: v.optional(v.pipe(v.string('INDEXNOW_KEY must be a text'), v.regex(/^[A-Za-z0-9-]{8,128}$/, 'INDEXNOW_KEY must be 8 to 128 letters, digits or hyphens'))),
  /** Receives batches of Google Business Profile payloads. */
  GBP_WEBHOOK_URL: v.optional(httpUrl('GBP_WEBHOOK_URL')),
};

/** Where hours changes go: each optional integration is there only when fully configured. */
export interface PublicationSettings {
  dryRun: boolean;
  indexNow?: { endpoint: string; key: string };
  google?: { webhookUrl: string };
}

type PublicationVariables = v.InferOutput<v.ObjectSchema<typeof PUBLICATION_ENTRIES, undefined>>;

const indexNowComplete = (vars: Pick<PublicationVariables, 'INDEXNOW_ENDPOINT' | 'INDEXNOW_KEY'>) => (vars.INDEXNOW_ENDPOINT === undefined) === (vars.INDEXNOW_KEY === undefined);
const INDEXNOW_TOGETHER = 'INDEXNOW_ENDPOINT and INDEXNOW_KEY go together: set both, or neither';

const publicationSettings = (vars: PublicationVariables): PublicationSettings => ({
  dryRun: vars.PUBLICATION_DRY_RUN !== 'false',
  ...(vars.INDEXNOW_ENDPOINT && vars.INDEXNOW_KEY ? { indexNow: { endpoint: vars.INDEXNOW_ENDPOINT, key: vars.INDEXNOW_KEY } } : {}),
  ...(vars.GBP_WEBHOOK_URL ? { google: { webhookUrl: vars.GBP_WEBHOOK_URL } } : {}),
});

/** The publication variables alone (the cron's and the journal's view). */
export const PublicationSchema = v.pipe(
  v.object(PUBLICATION_ENTRIES),
  v.check((vars) => indexNowComplete(vars), INDEXNOW_TOGETHER),
  v.transform(publicationSettings),
);

/** A Cloudflare Queue producer (`[[queues.producers]]`). */
export interface QueueProducer {
  send(body: unknown, options?: { delaySeconds?: number; contentType?: 'json' | 'text' | 'bytes' | 'v8' }): Promise<unknown>;
}

/** Cloudflare's `send_email` binding. */
export interface EmailSender {
  send(message: unknown): Promise<unknown>;
}

/** The variables of outgoing messages (worker/messages). */
const MESSAGES_ENTRIES = {
  /** The queue every outgoing message goes through. */
  MESSAGES: v.optional(v.custom<QueueProducer>((value) => hasMethod(value, 'send'), 'MESSAGES: not a queue producer (wrangler.toml [[queues.producers]] binding = "MESSAGES")')),
  /** `outbox`: messages land in the local outbox (npm run outbox); `live`: email and SMS are really sent. */
  MESSAGES_DELIVERY: v.optional(v.picklist(['outbox', 'live'], 'MESSAGES_DELIVERY must be "outbox" or "live"'), 'outbox'),
  /** The sender of every email, an address of a domain set up for Cloudflare Email Routing. */
  MESSAGES_FROM: v.optional(v.pipe(v.string('MESSAGES_FROM must be an email address'), v.email('MESSAGES_FROM must be an email address'))),
  /** `send_email` binding (wrangler.toml [[send_email]] name = "SEND_EMAIL"). */
  SEND_EMAIL: v.optional(v.custom<EmailSender>((value) => hasMethod(value, 'send'), 'SEND_EMAIL: not a send_email binding (wrangler.toml [[send_email]] name = "SEND_EMAIL")')),
  /** The SMS provider's endpoint: receives `{ to, text }` as JSON with `Authorization: Bearer SMS_TOKEN`. */
  SMS_ENDPOINT: v.optional(httpUrl('SMS_ENDPOINT')),
  SMS_TOKEN: v.optional(v.string('SMS_TOKEN must be a text')),
};

type MessagesVariables = v.InferOutput<v.ObjectSchema<typeof MESSAGES_ENTRIES, undefined>>;

/** How messages are delivered: into the local outbox, or for real. */
export type MessagesDelivery =
  | { kind: 'outbox' }
  | { kind: 'live'; from: string; email: EmailSender; smsEndpoint: string; smsToken?: string };

const LIVE_COMPLETE = 'MESSAGES_DELIVERY = "live" needs SEND_EMAIL, MESSAGES_FROM and SMS_ENDPOINT';
const liveComplete = (vars: MessagesVariables) =>
  vars.MESSAGES_DELIVERY !== 'live' || (vars.SEND_EMAIL !== undefined && vars.MESSAGES_FROM !== undefined && vars.SMS_ENDPOINT !== undefined);

const messagesDelivery = (vars: MessagesVariables): MessagesDelivery =>
  vars.MESSAGES_DELIVERY === 'live' && vars.SEND_EMAIL && vars.MESSAGES_FROM && vars.SMS_ENDPOINT
    ? { kind: 'live', from: vars.MESSAGES_FROM, email: vars.SEND_EMAIL, smsEndpoint: vars.SMS_ENDPOINT, smsToken: vars.SMS_TOKEN }
    : { kind: 'outbox' };

/** `PARCEL_HOLDING_DAYS`: a JSON object from location kinds to whole days (1 to 60). */
const HoldingDaysSchema = v.pipe(
  v.string('PARCEL_HOLDING_DAYS must be a JSON text'),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    try {
      return JSON.parse(dataset.value) as unknown;
    } catch {
      addIssue({ message: 'PARCEL_HOLDING_DAYS is not valid JSON' });
      return NEVER;
    }
  }),
  v.record(
    v.picklist(LOCATION_TYPES, `PARCEL_HOLDING_DAYS: location kinds are ${LOCATION_TYPES.join(', ')}`),
    v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(60, 'PARCEL_HOLDING_DAYS: 1 to 60 days')),
  ),
);

/** A location's counted units kept out of holds and the feed unless STOCK_SAFETY_UNITS says otherwise. */
export const DEFAULT_STOCK_SAFETY_UNITS = 1;

/** Every binding and variable the Worker reads. */
export const ConfigSchema = v.pipe(
  v.object({
    DB: d1,
    SITE_ORIGIN: SiteOriginSchema,
    /** Signs shoppers' choices of a pickup point: required (32 bytes or more) in production, see partners/selection.ts. */
    SELECTION_SIGNING_KEY: v.optional(v.string('SELECTION_SIGNING_KEY must be a text (a secret of 32 bytes or more)')),
    /** Keys customers' sign-in codes and counter codes: required (32 bytes or more) in production, see accounts/key.ts. */
    ACCOUNT_KEY: v.optional(v.pipe(
      v.string('ACCOUNT_KEY must be a text (a secret of 32 bytes or more)'),
      v.check((text) => new TextEncoder().encode(text).byteLength >= 32, 'ACCOUNT_KEY is too short: at least 32 bytes (e.g. openssl rand -base64 48)'),
    )),
    /** Derives carriers' signing secrets: required (32 bytes or more) in production, see parcels/carriers.ts. */
    CARRIER_KEY: v.optional(v.pipe(
      v.string('CARRIER_KEY must be a text (a secret of 32 bytes or more)'),
      v.check((text) => new TextEncoder().encode(text).byteLength >= 32, 'CARRIER_KEY is too short: at least 32 bytes (e.g. openssl rand -base64 48)'),
    )),
    /** How many days a parcel waits at each kind of place, as JSON, e.g. {"parcel_locker": 5}; the others keep their defaults. */
    PARCEL_HOLDING_DAYS: v.optional(HoldingDaysSchema),
    /** Sign-in codes per client address and hour (default 30): the page tests, all from 127.0.0.1, raise it. */
    SIGN_IN_CODES_PER_CLIENT_PER_HOUR: v.optional(v.pipe(
      v.string('SIGN_IN_CODES_PER_CLIENT_PER_HOUR must be a whole number'),
      v.regex(/^[1-9]\d{0,5}$/, 'SIGN_IN_CODES_PER_CLIENT_PER_HOUR must be a whole number from 1 to 999999'),
      v.transform(Number),
    )),
    /** Units of each product a location keeps out of holds and the feed (default 1): a count is never exact. */
    STOCK_SAFETY_UNITS: v.optional(v.pipe(
      v.string('STOCK_SAFETY_UNITS must be a whole number'),
      v.regex(/^\d{1,3}$/, 'STOCK_SAFETY_UNITS must be a whole number from 0 to 999'),
      v.transform(Number),
    )),
    /** Partner keys: requests per key, client and minute. */
    PARTNER_LIMITER: v.optional(limiter('PARTNER_LIMITER')),
    /** Searches without a partner key: per client address and minute. */
    SEARCH_LIMITER: v.optional(limiter('SEARCH_LIMITER')),
    /** Customers' sign-in requests (codes, passkeys): per client address and minute. */
    SIGN_IN_LIMITER: v.optional(limiter('SIGN_IN_LIMITER')),
    ...PUBLICATION_ENTRIES,
    ...MESSAGES_ENTRIES,
  }),
  v.check((vars) => indexNowComplete(vars), INDEXNOW_TOGETHER),
  v.check((vars) => liveComplete(vars), LIVE_COMPLETE),
  v.check((vars) => !isProductionOrigin(vars.SITE_ORIGIN) || vars.ACCOUNT_KEY !== undefined, 'ACCOUNT_KEY is required in production: wrangler secret put ACCOUNT_KEY (32 bytes or more)'),
  v.check((vars) => !isProductionOrigin(vars.SITE_ORIGIN) || vars.CARRIER_KEY !== undefined, 'CARRIER_KEY is required in production: wrangler secret put CARRIER_KEY (32 bytes or more)'),
  // A deployment never keeps people's messages (sign-in codes among them) in a table.
  v.check((vars) => !isProductionOrigin(vars.SITE_ORIGIN) || vars.MESSAGES_DELIVERY === 'live', 'MESSAGES_DELIVERY must be "live" in production (an https public SITE_ORIGIN)'),
  v.transform((vars) => ({
    DB: vars.DB,
    SITE_ORIGIN: vars.SITE_ORIGIN,
    SELECTION_SIGNING_KEY: vars.SELECTION_SIGNING_KEY,
    ACCOUNT_KEY: vars.ACCOUNT_KEY,
    CARRIER_KEY: vars.CARRIER_KEY,
    signInCodesPerClientPerHour: vars.SIGN_IN_CODES_PER_CLIENT_PER_HOUR,
    holdingDays: (vars.PARCEL_HOLDING_DAYS ?? {}) as Partial<Record<LocationType, number>>,
    stockSafetyUnits: vars.STOCK_SAFETY_UNITS ?? DEFAULT_STOCK_SAFETY_UNITS,
    SIGN_IN_LIMITER: vars.SIGN_IN_LIMITER,
    PARTNER_LIMITER: vars.PARTNER_LIMITER,
    SEARCH_LIMITER: vars.SEARCH_LIMITER,
    /** An https origin on a public host. */
    production: isProductionOrigin(vars.SITE_ORIGIN),
    publication: publicationSettings(vars),
    messages: { queue: vars.MESSAGES, delivery: messagesDelivery(vars) },
  })),
);

export type Config = v.InferOutput<typeof ConfigSchema>;

/** The variables the schema reads, and nothing else of the environment. */
const NAMES = ['DB', 'SITE_ORIGIN', 'SELECTION_SIGNING_KEY', 'ACCOUNT_KEY', 'CARRIER_KEY', 'PARCEL_HOLDING_DAYS', 'SIGN_IN_CODES_PER_CLIENT_PER_HOUR', 'STOCK_SAFETY_UNITS', 'PARTNER_LIMITER', 'SEARCH_LIMITER', 'SIGN_IN_LIMITER', ...Object.keys(PUBLICATION_ENTRIES), ...Object.keys(MESSAGES_ENTRIES)];

/** An empty variable (`--var NAME:`) is an unset one. */
export function variables(env: unknown): Record<string, unknown> {
  const read = (name: string) => (typeof env === 'object' && env !== null ? Reflect.get(env, name) : undefined);
  return Object.fromEntries(NAMES.map((name) => [name, read(name) === '' ? undefined : read(name)]));
}

/** A configuration that cannot run: names every variable at fault. */
export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid Worker configuration: ${issues.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Each message names its variable; a missing one gets valibot's path prefixed, to be sure. */
function describe(issues: v.BaseIssue<unknown>[]): string[] {
  return issues.map((issue) => {
    const name = issue.path?.map((item) => String(item.key)).join('.');
    return name && !issue.message.includes(name) ? `${name}: ${issue.message}` : issue.message;
  });
}

/** Validates a whole environment (no memo): the configuration, or a {@link ConfigError}. */
export function parseConfig(env: unknown): Config {
  const result = v.safeParse(ConfigSchema, variables(env));
  if (!result.success) throw new ConfigError(describe(result.issues));
  return result.output;
}

/** Parsed configurations, per environment object: plain data, never a promise. */
const parsed = new WeakMap<object, Config>();

/**
 * The configuration of an environment, validated on first use and kept as
 * long as that environment object lives (one per isolate in workerd). An
 * invalid one is not kept: every request that needs it fails, and says why.
 */
export function configOf(env: unknown): Config {
  if (typeof env !== 'object' || env === null) throw new ConfigError(['the Worker has no environment (bindings)']);
  let config = parsed.get(env);
  if (!config) {
    config = parseConfig(env);
    parsed.set(env, config);
  }
  return config;
}

/** The publication settings of any record of variables (no database needed): the cron's settings, and tests'. */
export function parsePublication(env: unknown): PublicationSettings {
  const result = v.safeParse(PublicationSchema, variables(env));
  if (!result.success) throw new ConfigError(describe(result.issues));
  return result.output;
}
