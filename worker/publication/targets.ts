/**
 * @module
 * Where hours changes are pushed, read from the Worker's configuration:
 * IndexNow (search engines) and a webhook that takes Google Business
 * Profile hours. Unset targets are simply skipped.
 */
import * as v from 'valibot';
import { type Config, parsePublication, type PublicationSettings, SiteOriginSchema } from '../config';

export interface PublicationConfig {
  /** e.g. https://api.indexnow.org/indexnow */
  indexNowEndpoint?: string;
  /** The IndexNow key, also served at /{key}.txt. Read when a push is sent, never stored with it. */
  indexNowKey?: string;
  /** Receives batches of Google Business Profile payloads, one per changed location (see docs/api.md). */
  googleWebhookUrl?: string;
  /** Record what would be sent, send nothing: everything recorded goes out once it is off. */
  dryRun: boolean;
  /**
   * Origin of the public pages, e.g. https://guichet.example.fr: the configured
   * `SITE_ORIGIN` only (the cron has no request, and a request's Host is
   * anyone's to write). Empty when unset or malformed: nothing is recorded then.
   */
  siteOrigin: string;
}

export type TargetName = 'indexnow' | 'google';
export const TARGETS: readonly TargetName[] = ['indexnow', 'google'];

/** The job's view of the validated settings (worker/config.ts). */
export function toPublicationConfig(settings: PublicationSettings, siteOrigin: string): PublicationConfig {
  return {
    indexNowEndpoint: settings.indexNow?.endpoint,
    indexNowKey: settings.indexNow?.key,
    googleWebhookUrl: settings.google?.webhookUrl,
    dryRun: settings.dryRun,
    siteOrigin,
  };
}

/** The running Worker's publication configuration. */
export const configuredPublication = (config: Config): PublicationConfig => toPublicationConfig(config.publication, config.SITE_ORIGIN);

/**
 * The publication configuration of a record of variables, through the same
 * schema: a malformed publication variable throws a `ConfigError` naming it;
 * an unset or malformed `SITE_ORIGIN` leaves `siteOrigin` empty (nothing is
 * recorded then).
 */
export function publicationConfig(env: Record<string, unknown>): PublicationConfig {
  const origin = v.safeParse(SiteOriginSchema, env.SITE_ORIGIN === '' ? undefined : env.SITE_ORIGIN);
  return toPublicationConfig(parsePublication(env), origin.success ? origin.output : '');
}

/** Where a target's pushes go, when it is fully configured. */
export function destination(target: TargetName, config: PublicationConfig): string | undefined {
  if (target === 'indexnow') return config.indexNowEndpoint && config.indexNowKey ? config.indexNowEndpoint : undefined;
  return config.googleWebhookUrl;
}

/**
 * Targets whose changes are recorded: the configured ones, and in a dry run
 * every one, to show what would be sent. Pushes recorded for a target that is
 * not configured wait, pending, until it is.
 */
export function recordedTargets(config: PublicationConfig): TargetName[] {
  return TARGETS.filter((target) => config.dryRun || destination(target, config) !== undefined);
}

/** IndexNow accepts at most 10,000 URLs per request. */
export const INDEXNOW_MAX_URLS = 10_000;

/** The IndexNow request body for page URLs, with the key as configured now. */
export function indexNowBody(config: PublicationConfig, urls: string[]) {
  return {
    host: config.siteOrigin ? new URL(config.siteOrigin).host : '',
    key: config.indexNowKey ?? null,
    keyLocation: config.indexNowKey && config.siteOrigin ? `${config.siteOrigin}/${config.indexNowKey}.txt` : null,
    urlList: urls,
  };
}

/** Retry delay after `attempts` failures: 1, 2, 4 … minutes, at most 6 hours. */
export function backoffMs(attempts: number): number {
  return Math.min(60_000 * 2 ** Math.max(0, attempts - 1), 6 * 3600_000);
}

/**
 * A refusal that will not change by asking again: every 4xx but 408 (request
 * time-out) and 429 (too many requests). It is set aside (`failed`), listed,
 * never retried. 5xx, 408, 429 and network errors or time-outs are retried.
 */
export function isPermanent(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}
