import { describe, expect, it } from 'vitest';
import { DEPARTMENTS, departmentOf } from '../../worker/locations/departments';

describe('département and time zone of a commune', () => {
  it.each([
    ['78500', '78586', '78', 'Europe/Paris'],
    ['20000', '2A004', '2A', 'Europe/Paris'],
    ['20200', '2B033', '2B', 'Europe/Paris'],
    ['97100', '97105', '971', 'America/Guadeloupe'],
    ['97200', '97209', '972', 'America/Martinique'],
    ['97300', '97302', '973', 'America/Cayenne'],
    ['97490', '97411', '974', 'Indian/Reunion'],
    ['97500', '97502', '975', 'America/Miquelon'],
    ['97600', '97611', '976', 'Indian/Mayotte'],
    ['98000', '99138', 'MC', 'Europe/Monaco'],
    ['98000', '06083', 'MC', 'Europe/Monaco'],
    ['09999', '99130', 'AD', 'Europe/Andorra'],
    ['98714', '98714', '987', 'Pacific/Tahiti'],
  ])('%s / %s → %s in %s', (postcode, insee, code, zone) => {
    expect(departmentOf(postcode, insee)).toMatchObject({ code, timeZone: zone });
  });

  it('knows no département for nonsense', () => {
    expect(departmentOf('ABCDE', 'XYZ')).toBeUndefined();
  });

  it('lists 101 départements plus the other territories, each with a valid IANA zone', () => {
    expect(DEPARTMENTS.filter((d) => /^(\d{2}|2[AB]|97[1-46])$/.test(d.code))).toHaveLength(101);
    for (const d of DEPARTMENTS) {
      expect(() => new Intl.DateTimeFormat('fr-FR', { timeZone: d.timeZone })).not.toThrow();
    }
  });
});
