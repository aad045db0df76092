/**
 * The locator's isolate caches under concurrent load: requests that start
 * while the network is being (re)loaded, some of them cancelled by their
 * client mid-request, must never turn into 5xx for the others.
 */
import { SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoSchedule } from '../../tools/demo/hours';
import { seedSchedules } from '../../worker/hours/store';
import { expireGazetteer, forgetGazetteer } from '../../worker/locator/gazetteer';
import { db, demoSample, load } from './seed';

const network = demoSample(3000);

beforeAll(async () => {
  await load(network);
  await seedSchedules(db(), network.map((l) => ({ locationId: l.id, ...demoSchedule(l) })), new Date().toISOString());
});

/** One burst: `clients` concurrent searches; every third one is cancelled by its client after `abortAfterMs`. */
async function burst(clients: number, abortAfterMs: number): Promise<number[]> {
  const statuses = await Promise.all(Array.from({ length: clients }, async (_, i) => {
    const place = network[(i * 97) % network.length];
    const controller = new AbortController();
    const path = i % 2
      ? `near=${place.latitude},${place.longitude}&services=parcel_pickup&open_now=true`
      : `q=${encodeURIComponent(place.commune)}`;
    // The first client, which starts the load, is among the cancelled ones.
    if (i % 3 === 0) setTimeout(() => controller.abort(), abortAfterMs);
    try {
      const response = await SELF.fetch(`https://guichet.test/api/v1/locations/search?${path}`, { signal: controller.signal });
      await response.arrayBuffer();
      return response.status;
    } catch (error) {
      if (controller.signal.aborted) return 0; // the client left: no answer to check
      throw error;
    }
  }));
  return statuses.filter((s) => s !== 0);
}

describe('under concurrent load', () => {
  it('no request fails while the network is loaded cold, even when the loading request is cancelled', async () => {
    for (const abortAfterMs of [0, 2, 10, 40]) {
      forgetGazetteer();
      const statuses = await burst(24, abortAfterMs);
      expect(statuses.length).toBeGreaterThan(0);
      expect(statuses.filter((s) => s >= 500), `abort after ${abortAfterMs} ms`).toEqual([]);
    }
  });

  it('no request fails across a refresh of an expired network', async () => {
    for (const abortAfterMs of [0, 2, 10, 40]) {
      await burst(4, 1000); // warm
      expireGazetteer();
      const statuses = await burst(24, abortAfterMs);
      expect(statuses.filter((s) => s >= 500), `abort after ${abortAfterMs} ms`).toEqual([]);
    }
  });
});
