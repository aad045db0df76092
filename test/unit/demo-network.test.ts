import { describe, expect, it } from 'vitest';
import { DEMO_SEED, DEMO_SIZE, generateDemoNetwork } from '../../tools/demo/network';
import { LOCATION_TYPES } from '../../worker/locations/catalog';
import { findDepartment } from '../../worker/locations/departments';

const network = generateDemoNetwork();

describe('demo network', () => {
  it('is national-sized and deterministic', () => {
    expect(Math.abs(network.length - DEMO_SIZE)).toBeLessThan(DEMO_SIZE * 0.01);
    expect(generateDemoNetwork(DEMO_SEED, DEMO_SIZE).slice(0, 50)).toEqual(network.slice(0, 50));
    expect(generateDemoNetwork(DEMO_SEED + 1, DEMO_SIZE)[3]).not.toEqual(network[3]);
  });

  it('has unique ids that cannot collide with open-data ids', () => {
    expect(new Set(network.map((l) => l.id)).size).toBe(network.length);
    for (const l of network) expect(l.id).toMatch(/^D\d{6}$/);
  });

  it('covers every kind of location, metropolitan and overseas, with coherent records', () => {
    expect(new Set(network.map((l) => l.type))).toEqual(new Set(LOCATION_TYPES.filter((t) => t !== 'military_agency')));
    const zones = new Set(network.map((l) => l.timeZone));
    for (const zone of ['Europe/Paris', 'America/Guadeloupe', 'Indian/Reunion', 'America/Miquelon', 'Pacific/Noumea']) {
      expect(zones).toContain(zone);
    }
    const byId = new Map(network.map((l) => [l.id, l]));
    for (const l of network) {
      expect(findDepartment(l.department)?.timeZone).toBe(l.timeZone);
      expect(Math.abs(l.latitude)).toBeLessThanOrEqual(90);
      expect(Math.abs(l.longitude)).toBeLessThanOrEqual(180);
      expect(l.services.length).toBeGreaterThan(0);
      // Post offices stand alone; every other kind is run by a partner and attached to one.
      if (l.type === 'post_office') expect(l.parentId).toBeNull();
      else expect(byId.get(l.parentId!)?.type).toBe('post_office');
    }
  });
});
