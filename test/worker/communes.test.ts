import { env } from 'cloudflare:workers';
import { request } from './http-client';
import { describe, expect, it } from 'vitest';
import { mapOpenDataRecord, type ImportedLocation } from '../../tools/imports/open-data';
import { findCommune } from '../../worker/locations/queries';
import { db, load } from './seed';

// Mâcon's INSEE code covers a commune déléguée whose points give another locality.
const ROWS = [
  '20001A;MACON PRINCIPAL BP;Bureau de Poste;;1 RUE DE LA POSTE;;;71000;MACON;71270;FRANCE;46.3069;4.8287;Géocodé au numéro;3631;',
  '20002A;MACON GARE BP;Bureau de Poste;;2 RUE DE LA GARE;;;71000;MACON;71270;FRANCE;46.3010;4.8260;Géocodé au numéro;3631;',
  '20003A;SENNECE LES MACON AP;Agence postale communale;20001A;PLACE DE LA MAIRIE;;;71000;SENNECE LES MACON;71270;FRANCE;46.3450;4.8400;Géocodé au numéro;3631;',
];
const rows = (): ImportedLocation[] =>
  ROWS.map((line) => {
    const r = mapOpenDataRecord(line.split(';'));
    if (!r.ok) throw new Error(r.reason);
    return r.location;
  });

describe('communes', () => {
  it('take the locality most of their locations give, and one URL everywhere', async () => {
    await load(rows(), 'open_data', '2026-11-01T08:00:00Z');
    expect(await findCommune(db(), '71270')).toMatchObject({
      name: 'Macon', department: '71', postcode: '71000', activeLocations: 3, updatedAt: '2026-11-01T08:00:00Z',
    });
    const sitemap = await (await request('/sitemaps/departement-71.xml')).text();
    const communes = [...sitemap.matchAll(/<loc>([^<]+\/communes\/[^<]+)<\/loc>/g)].map((m) => m[1]);
    // Absolute URLs are on the configured SITE_ORIGIN (wrangler.toml's local one here).
    expect(communes).toEqual([`${(env as unknown as { SITE_ORIGIN: string }).SITE_ORIGIN}/communes/macon-71270`]);
  });

  it('count closings in their last change and drop to zero active when all close', async () => {
    await load(rows(), 'open_data', '2026-11-01T08:00:00Z');
    await load(rows().slice(0, 1), 'open_data', '2026-11-05T08:00:00Z');
    expect(await findCommune(db(), '71270')).toMatchObject({ activeLocations: 1, updatedAt: '2026-11-05T08:00:00Z' });
  });
});
