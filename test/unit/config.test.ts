import { describe, expect, it } from 'vitest';
import { ConfigError, configOf, parseConfig, parsePublication } from '../../worker/config';

const fakeD1 = { prepare: () => undefined, batch: async () => [], exec: async () => undefined };
const fakeLimiter = { limit: async () => ({ success: true }) };
const fakeQueue = { send: async () => undefined };
const fakeEmail = { send: async () => undefined };
const valid = () => ({
  MESSAGES: fakeQueue,
  MESSAGES_DELIVERY: 'live',
  MESSAGES_FROM: 'ne-pas-repondre@guichet.example.fr',
  SEND_EMAIL: fakeEmail,
  SMS_ENDPOINT: 'https://sms.example.fr/send',
  SMS_TOKEN: 'sms-secret',
  DB: fakeD1,
  SITE_ORIGIN: 'https://guichet.example.fr',
  SELECTION_SIGNING_KEY: 'k'.repeat(48),
  ACCOUNT_KEY: 'a'.repeat(48),
  CARRIER_KEY: 'c'.repeat(48),
  PUBLICATION_DRY_RUN: 'false',
  INDEXNOW_ENDPOINT: 'https://api.indexnow.org/indexnow',
  INDEXNOW_KEY: 'cafe0123456789ab',
  GBP_WEBHOOK_URL: 'https://hooks.example.fr/gbp',
  PARTNER_LIMITER: fakeLimiter,
  SEARCH_LIMITER: fakeLimiter,
});

const errorOf = (env: unknown): ConfigError => {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('the Worker configuration', () => {
  it('reads every binding and variable, typed, with the optional integrations explicit', () => {
    const config = parseConfig({ ...valid(), SITE_ORIGIN: 'https://guichet.example.fr/', UNRELATED: 'ignored' });
    expect(config.DB).toBe(fakeD1);
    expect(config.SITE_ORIGIN).toBe('https://guichet.example.fr');
    expect(config.production).toBe(true);
    expect(config.SELECTION_SIGNING_KEY).toBe('k'.repeat(48));
    expect(config.PARTNER_LIMITER).toBe(fakeLimiter);
    expect(config.SEARCH_LIMITER).toBe(fakeLimiter);
    expect(config.publication).toEqual({
      dryRun: false,
      indexNow: { endpoint: 'https://api.indexnow.org/indexnow', key: 'cafe0123456789ab' },
      google: { webhookUrl: 'https://hooks.example.fr/gbp' },
    });
    expect(config.messages).toEqual({
      queue: fakeQueue,
      delivery: { kind: 'live', from: 'ne-pas-repondre@guichet.example.fr', email: fakeEmail, smsEndpoint: 'https://sms.example.fr/send', smsToken: 'sms-secret' },
    });
    expect(config).not.toHaveProperty('UNRELATED');
  });

  it('requires a 32-byte ACCOUNT_KEY in production, and none locally', () => {
    const { ACCOUNT_KEY: _, ...withoutKey } = valid();
    expect(errorOf(withoutKey).message).toContain('ACCOUNT_KEY is required in production');
    expect(errorOf({ ...valid(), ACCOUNT_KEY: 'short' }).message).toContain('ACCOUNT_KEY is too short');
    expect(parseConfig({ DB: fakeD1, SITE_ORIGIN: 'http://localhost:8787' }).ACCOUNT_KEY).toBeUndefined();
  });

  it('requires a 32-byte CARRIER_KEY in production, and none locally', () => {
    const { CARRIER_KEY: _, ...withoutKey } = valid();
    expect(errorOf(withoutKey).message).toContain('CARRIER_KEY is required in production');
    expect(errorOf({ ...valid(), CARRIER_KEY: 'short' }).message).toContain('CARRIER_KEY is too short');
    expect(parseConfig({ DB: fakeD1, SITE_ORIGIN: 'http://localhost:8787' }).CARRIER_KEY).toBeUndefined();
  });

  it('reads holding periods by kind of place, and names a wrong one', () => {
    const local = { DB: fakeD1, SITE_ORIGIN: 'http://localhost:8787' };
    expect(parseConfig(local).holdingDays).toEqual({});
    expect(parseConfig({ ...local, PARCEL_HOLDING_DAYS: '{"parcel_locker": 5}' }).holdingDays).toEqual({ parcel_locker: 5 });
    expect(errorOf({ ...local, PARCEL_HOLDING_DAYS: '{"castle": 5}' }).message).toContain('PARCEL_HOLDING_DAYS: location kinds are');
    expect(errorOf({ ...local, PARCEL_HOLDING_DAYS: '{"parcel_locker": 0}' }).message).toContain('PARCEL_HOLDING_DAYS');
    expect(errorOf({ ...local, PARCEL_HOLDING_DAYS: 'five' }).message).toContain('not valid JSON');
  });

  it('delivers messages into the outbox unless told otherwise, and never in production', () => {
    expect(parseConfig({ DB: fakeD1, SITE_ORIGIN: 'http://localhost:8787' }).messages).toEqual({ queue: undefined, delivery: { kind: 'outbox' } });
    expect(errorOf({ ...valid(), MESSAGES_DELIVERY: 'outbox' }).message).toContain('MESSAGES_DELIVERY must be "live" in production');
    expect(errorOf({ ...valid(), MESSAGES_DELIVERY: undefined }).message).toContain('MESSAGES_DELIVERY must be "live" in production');
    const { SEND_EMAIL: _, ...withoutEmail } = valid();
    expect(errorOf(withoutEmail).message).toContain('needs SEND_EMAIL, MESSAGES_FROM and SMS_ENDPOINT');
    expect(errorOf({ ...valid(), MESSAGES_FROM: 'pas une adresse' }).message).toContain('MESSAGES_FROM');
    expect(errorOf({ ...valid(), MESSAGES: {} }).message).toContain('MESSAGES: not a queue producer');
  });

  it('needs only the database and the origin; the rest is optional, dry run on by default', () => {
    const config = parseConfig({ DB: fakeD1, SITE_ORIGIN: 'http://localhost:8787' });
    expect(config.production).toBe(false);
    expect(config.SELECTION_SIGNING_KEY).toBeUndefined();
    expect(config.PARTNER_LIMITER).toBeUndefined();
    expect(config.publication).toEqual({ dryRun: true });
    // An empty variable (`--var NAME:`) is an unset one.
    expect(parseConfig({ ...valid(), GBP_WEBHOOK_URL: '', INDEXNOW_ENDPOINT: '', INDEXNOW_KEY: '', PUBLICATION_DRY_RUN: '' }).publication).toEqual({ dryRun: true });
  });

  const wrong: [string, unknown][] = [
    ['DB', undefined],
    ['DB', 'guichet'],
    ['SITE_ORIGIN', undefined],
    ['SITE_ORIGIN', 'guichet.example.fr'],
    ['SITE_ORIGIN', 'https://guichet.example.fr/bureaux'],
    ['SITE_ORIGIN', 'ftp://guichet.example.fr'],
    ['SITE_ORIGIN', 42],
    ['SELECTION_SIGNING_KEY', 42],
    ['PUBLICATION_DRY_RUN', 'yes'],
    ['INDEXNOW_ENDPOINT', 'not a url'],
    ['INDEXNOW_ENDPOINT', 'javascript:alert(1)'],
    ['INDEXNOW_KEY', 'short'],
    ['INDEXNOW_KEY', 'with space in it'],
    ['GBP_WEBHOOK_URL', 'hooks.example.fr'],
    ['PARTNER_LIMITER', 'PARTNER_LIMITER'],
    ['PARTNER_LIMITER', {}],
    ['SEARCH_LIMITER', { limit: 120 }],
  ];
  it.each(wrong)('names %s when it is %j', (name, value) => {
    const error = errorOf({ ...valid(), [name]: value });
    expect(error.message).toContain(name);
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toContain(name);
  });

  it('wants the IndexNow endpoint and key together', () => {
    for (const missing of ['INDEXNOW_ENDPOINT', 'INDEXNOW_KEY']) {
      const error = errorOf({ ...valid(), [missing]: undefined });
      expect(error.message).toMatch(/INDEXNOW_ENDPOINT and INDEXNOW_KEY/);
    }
    expect(() => parsePublication({ INDEXNOW_KEY: 'cafe0123456789ab' })).toThrow(/INDEXNOW_ENDPOINT/);
  });

  it('names every variable at fault at once', () => {
    const error = errorOf({ SITE_ORIGIN: 'nope', PUBLICATION_DRY_RUN: 'off' });
    expect(error.message).toContain('DB');
    expect(error.message).toContain('SITE_ORIGIN');
    expect(error.message).toContain('PUBLICATION_DRY_RUN');
  });

  it('is parsed once per environment object, and an invalid one is never kept', () => {
    const env = valid();
    const first = configOf(env);
    expect(configOf(env)).toBe(first);
    expect(configOf(valid())).not.toBe(first);
    expect(first).not.toBeInstanceOf(Promise);

    const broken: Record<string, unknown> = { ...valid(), SITE_ORIGIN: undefined };
    expect(() => configOf(broken)).toThrow(/SITE_ORIGIN/);
    broken.SITE_ORIGIN = 'https://guichet.example.fr';
    expect(configOf(broken).SITE_ORIGIN).toBe('https://guichet.example.fr');
    expect(() => configOf(undefined)).toThrow(ConfigError);
  });
});
