/**
 * Text search on the names people type, against the official geography.
 * The seeded network is the synthetic demo one (invented villages, real
 * main towns) plus a few offices written as the open-data file writes them;
 * every expected commune code below is a fact of INSEE's official
 * geography, written here by hand, not read from the product's data.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { demoSchedule } from '../../tools/demo/hours';
import { seedSchedules } from '../../worker/hours/store';
import type { ImportedLocation } from '../../tools/imports/open-data';
import { forgetGazetteer } from '../../worker/locator/gazetteer';
import { request } from './http-client';
import { db, demoSample, load } from './seed';

const base = demoSample(3000);
const office = (id: string, name: string, commune: string, inseeCode: string, postcode: string, latitude: number, longitude: number): ImportedLocation => ({
  ...base.find((l) => l.type === 'post_office')!,
  id, name, commune, inseeCode, postcode, latitude, longitude, department: postcode.slice(0, 2), sourceHash: id,
});
const extra = [
  office('T00001', 'Bordeaux Gare Saint-Jean', 'Bordeaux', '33063', '33800', 44.8259, -0.5561),
  office('T00002', 'Bordeaux Victor Hugo', 'Bordeaux', '33063', '33000', 44.8339, -0.5729),
  // The open-data file has no accents: `ST ETIENNE`, read as Saint-Etienne.
  office('T00003', 'Saint-Etienne Jacquard', 'Saint-Etienne', '42218', '42000', 45.4427, 4.3794),
];
const network = [...base, ...extra];

async function search(q: string, more = '') {
  const response = await request(`/api/v1/locations/search?q=${encodeURIComponent(q)}${more}`);
  expect(response.status, q).toBe(200);
  return (await response.json()) as any;
}

beforeAll(async () => {
  await load(network);
  await seedSchedules(db(), network.map((l) => ({ locationId: l.id, ...demoSchedule(l) })), new Date().toISOString());
  forgetGazetteer();
});

describe('every commune of France', () => {
  it('finds a village without a point of contact by name, says how it was placed, lists the nearest points', async () => {
    // L'Abergement-de-Varey (Ain), INSEE 01002, postcode 01640: no point in the seeded network.
    expect(network.some((l) => l.postcode === '01640' || l.commune.includes('Abergement'))).toBe(false);
    for (const q of ['L\'Abergement-de-Varey', 'abergement de varey', 'L ABERGEMENT DE VAREY']) {
      const body = await search(q, '&radius=50000');
      expect(body.resolution.kind, q).toBe('commune');
      expect(body.resolution.commune.inseeCode, q).toBe('01002');
      expect(body.resolution.commune.label).toBe('L\'Abergement-de-Varey (01640)');
      expect(body.resolution.commune.placement).not.toBe('points');
      expect(body.resolution.placementNote).toMatch(/^L'Abergement-de-Varey n’a pas de point de contact : la recherche part du centre estimé de la commune, au centre des points de contact/);
      expect(body.results.length).toBeGreaterThan(0);
      expect(body.results[0].address.postcode.slice(0, 2)).toBe('01');
    }
  });

  it('finds it by postcode among the communes sharing it', async () => {
    const body = await search('01640');
    expect(body.resolution.kind).toBe('postcode');
    expect(body.resolution.communes.map((c: any) => c.inseeCode)).toContain('01002');
  });

  it('restores the accents of official names', async () => {
    const body = await search('abergement clemenciat');
    expect(body.resolution.commune).toMatchObject({ inseeCode: '01001', label: 'L\'Abergement-Clémenciat (01400)' });
    const town = await search('ST ETIENNE');
    expect(town.resolution.commune.inseeCode).toBe('42218');
    expect(town.resolution.commune.label).toMatch(/^Saint-Étienne \(/);
    expect(town.results.map((r: any) => r.id)).toContain('T00003');
  });
});

describe('what people type', () => {
  it.each([
    ['Marseile', '13055', 'Marseille'],
    ['Lile', '59350', 'Lille'],
    ['Bordaux', '33063', 'Bordeaux'],
  ])('reads the misspelling %s as %s and says so', async (q, code, name) => {
    const body = await search(q);
    expect(body.resolution).toMatchObject({ kind: 'commune', correction: name });
    expect(body.resolution.commune.inseeCode).toBe(code);
    expect(body.results.length).toBeGreaterThan(0);
  });

  it('does not correct a name typed right', async () => {
    const body = await search('Marseille');
    expect(body.resolution).toMatchObject({ kind: 'commune', correction: null });
    expect(body.resolution.commune.inseeCode).toBe('13055');
  });

  it.each([
    ['Paris 11', '75111'], ['Paris 11e', '75111'], ['paris 11eme', '75111'], ['Paris 1er', '75101'],
    ['Lyon 3e', '69383'], ['Marseille 13e', '13213'], ['Marseille 13e arrondissement', '13213'],
  ])('resolves %s to the arrondissement %s', async (q, code) => {
    const body = await search(q);
    expect(body.resolution.kind).toBe('commune');
    expect(body.resolution.commune.inseeCode).toBe(code);
  });

  it('narrows a commune plus office words to the matching offices', async () => {
    const body = await search('Bordeaux gare', '&radius=50000&limit=50');
    expect(body.resolution).toMatchObject({ kind: 'commune', narrowedBy: 'gare' });
    expect(body.resolution.commune.inseeCode).toBe('33063');
    const ids = body.results.map((r: any) => r.id);
    expect(ids).toContain('T00001');
    expect(ids).not.toContain('T00002');
    for (const r of body.results) {
      expect(r.name.toLowerCase()).toContain('gare');
      expect(r.address.commune).toBe('Bordeaux');
    }
  });
});
