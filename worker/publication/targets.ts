/**
 * @module
 * Where hours changes are pushed, read from the Worker's configuration:
 * IndexNow (search engines) and a webhook that takes Google Business
 * Profile hours. Unset targets are simply skipped.
 */

export interface PublicationConfig {
  /** e.g. https://api.indexnow.org/indexnow */
  indexNowEndpoint?: string;
  /** The IndexNow key, also served at /{key}.txt. */
  indexNowKey?: string;
  /** Receives one Google Business Profile payload per changed location. */
  googleWebhookUrl?: string;
  /** Record what would be sent, send nothing. */
  dryRun: boolean;
  /** Origin of the public pages, e.g. https://guichet.example.fr */
  siteOrigin: string;
}

export type TargetName = 'indexnow' | 'google';

export function publicationConfig(env: Record<string, unknown>, fallbackOrigin: string): PublicationConfig {
  // The cron has no request to take an origin from: it passes '' and checks siteOrigin itself.
  const text = (key: string) => (typeof env[key] === 'string' && env[key] !== '' ? (env[key] as string) : undefined);
  return {
    indexNowEndpoint: text('INDEXNOW_ENDPOINT'),
    indexNowKey: text('INDEXNOW_KEY'),
    googleWebhookUrl: text('GBP_WEBHOOK_URL'),
    dryRun: text('PUBLICATION_DRY_RUN') !== 'false',
    siteOrigin: (text('SITE_ORIGIN') ?? fallbackOrigin).replace(/\/$/, ''),
  };
}

/** Configured targets; a dry run records for every target, configured or not, to show what would be sent. */
export function enabledTargets(config: PublicationConfig): TargetName[] {
  const targets: TargetName[] = [];
  if (config.dryRun || (config.indexNowEndpoint && config.indexNowKey)) targets.push('indexnow');
  if (config.dryRun || config.googleWebhookUrl) targets.push('google');
  return targets;
}

/** IndexNow accepts at most 10,000 URLs per request. */
export const INDEXNOW_MAX_URLS = 10_000;

export function indexNowBodies(config: PublicationConfig, urls: string[]) {
  const host = new URL(config.siteOrigin).host;
  const bodies = [];
  for (let i = 0; i < urls.length; i += INDEXNOW_MAX_URLS) {
    bodies.push({
      host,
      key: config.indexNowKey,
      keyLocation: `${config.siteOrigin}/${config.indexNowKey}.txt`,
      urlList: urls.slice(i, i + INDEXNOW_MAX_URLS),
    });
  }
  return bodies;
}

/** Retry delay after `attempts` failures: 1, 2, 4 … minutes, at most 6 hours. */
export function backoffMs(attempts: number): number {
  return Math.min(60_000 * 2 ** Math.max(0, attempts - 1), 6 * 3600_000);
}
