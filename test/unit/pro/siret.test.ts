/**
 * The SIRET rule, against a Luhn key written here from the standard's
 * doubling table (not from the module), real numbers and La Poste's
 * digit-sum exception; the SIREN (first 9 digits) carries its own Luhn
 * key, and a number of zeros is no one's.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LA_POSTE_HEAD_OFFICE_SIRET, LA_POSTE_SIREN, normalizeSiret, siretProblem } from '../../../worker/pro/siret';

/** The Luhn table: what a doubled digit contributes (2 × d, its two digits added). */
const DOUBLED = [0, 2, 4, 6, 8, 1, 3, 5, 7, 9];

/** The Luhn sum: counted from the right, the rightmost digit is kept, the next doubled, and so on. */
function luhnSum(digits: readonly number[]): number {
  return digits.reduce((sum, d, i) => sum + ((digits.length - i) % 2 === 0 ? DOUBLED[d]! : d), 0);
}
const luhnValid = (digits: readonly number[]) => luhnSum(digits) % 10 === 0;
const toDigits = (text: string) => [...text].map(Number);
const digitSum = (digits: readonly number[]) => digits.reduce((a, b) => a + b, 0);
const isLaPoste = (digits: readonly number[]) => digits.slice(0, 9).join('') === LA_POSTE_SIREN;
/** The SIREN's own rule: its 9 digits hold a Luhn key, and are not all zeros. */
const sirenValid = (digits: readonly number[]) => luhnValid(digits.slice(0, 9)) && digits.slice(0, 9).some((d) => d !== 0);

/** The digits completed with the one last digit that makes the Luhn sum a multiple of 10. */
function withLuhnKey(first: readonly number[]): number[] {
  const keys = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].filter((key) => luhnValid([...first, key]));
  expect(keys).toHaveLength(1); // the last digit is never doubled: exactly one key fits
  return [...first, keys[0]!];
}

const digitsArb = (length: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: length, maxLength: length });
/** 13 digits whose SIREN is a valid one (its key, not zeros) and not La Poste's. */
const notLaPoste13 = fc.tuple(digitsArb(8), digitsArb(4))
  .map(([siren8, nic4]) => [...withLuhnKey(siren8), ...nic4])
  .filter((d) => !isLaPoste(d) && sirenValid(d));
const INVALID_KEY = 'clé de contrôle invalide';
const INVALID_SIREN_KEY = 'clé de contrôle du SIREN (9 premiers chiffres) invalide';
const ZEROS = 'numéro nul : ce n’est pas un SIRET';
const WRONG_LENGTH = '14 chiffres attendus';

describe('real SIRETs', () => {
  it.each([
    ['73282932000074', 'the example of the SIRET article (SIREN 732 829 320)'],
    ['44306184100047', 'Google France, head office'],
    ['12002701600357', 'an establishment of SIREN 120 027 016, the usual form example'],
    [LA_POSTE_HEAD_OFFICE_SIRET, 'La Poste, head office: digit sum 26, it keeps its Luhn key'],
  ])('%s (%s) is valid', (siret) => {
    expect(luhnValid(toDigits(siret))).toBe(true); // the examples are what we think they are
    expect(luhnValid(toDigits(siret).slice(0, 9))).toBe(true);
    expect(siretProblem(siret)).toBeUndefined();
  });

  it('the table gives the sums worked by hand', () => {
    // 7 3 2 8 2 9 3 2 0 0 0 0 7 4: doubled (1st, 3rd… from the left) 7 2 2 3 0 0 7 → 5 4 4 6 0 0 5 = 24;
    // kept 3 8 9 2 0 0 4 = 26; 24 + 26 = 50.
    expect(luhnSum(toDigits('73282932000074'))).toBe(50);
    expect(luhnSum([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 9])).toBe(1 + 9); // 5 doubled = 10 → 1
    expect(luhnSum([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0])).toBe(9); // 9 doubled = 18 → 9
  });

  it('refuses them with their last digit changed', () => {
    expect(siretProblem('73282932000075')).toBe(INVALID_KEY);
    expect(siretProblem('44306184100048')).toBe(INVALID_KEY);
  });
});

describe('the Luhn key, outside La Poste', () => {
  it('accepts exactly the 14 digits whose Luhn sum is a multiple of 10 and whose SIREN holds its own key', () => {
    fc.assert(fc.property(digitsArb(14).filter((d) => !isLaPoste(d)), (digits) => {
      expect(siretProblem(digits.join('')) === undefined).toBe(luhnValid(digits) && sirenValid(digits));
    }), { numRuns: 3000 });
  });

  it('refuses a SIRET whose 14-digit key holds over a SIREN whose own key does not', () => {
    fc.assert(fc.property(digitsArb(9).filter((siren) => !luhnValid(siren)), digitsArb(4), (siren, nic4) => {
      const digits = withLuhnKey([...siren, ...nic4]);
      expect(luhnValid(digits)).toBe(true);
      expect(siretProblem(digits.join(''))).toBe(INVALID_SIREN_KEY);
    }));
    // 732 829 321: the SIREN of the example with its last digit changed; 732 829 321 0007 completed with its key.
    expect(siretProblem(withLuhnKey(toDigits('7328293210007')).join(''))).toBe(INVALID_SIREN_KEY);
  });

  it('refuses zeros, which pass every key (0 is a multiple of 10 and of 5)', () => {
    expect(luhnValid(toDigits('00000000000000'))).toBe(true);
    expect(siretProblem('00000000000000')).toBe(ZEROS);
    expect(siretProblem('000 000 000 00000')).toBe(ZEROS);
    // A SIREN of zeros with some NIC and a good 14-digit key: still no one.
    expect(luhnValid(toDigits('00000000000018'))).toBe(true);
    expect(siretProblem('00000000000018')).toBe(ZEROS);
  });

  it('accepts the number completed with its key, refuses every other last digit', () => {
    fc.assert(fc.property(notLaPoste13, (first13) => {
      const valid = withLuhnKey(first13);
      expect(siretProblem(valid.join(''))).toBeUndefined();
      for (let key = 0; key <= 9; key++) {
        if (key !== valid[13]) expect(siretProblem([...first13, key].join(''))).toBe(INVALID_KEY);
      }
    }));
  });

  it('refuses every single-digit change of a valid SIRET (Luhn catches all of them)', () => {
    fc.assert(fc.property(notLaPoste13, (first13) => {
      const valid = withLuhnKey(first13);
      for (let position = 0; position < 14; position++) {
        for (let digit = 0; digit <= 9; digit++) {
          if (digit === valid[position]) continue;
          const changed = valid.with(position, digit);
          if (isLaPoste(changed)) continue; // the change made it La Poste's: the other rule applies
          // A SIREN digit: the SIREN's own key sees it first; a NIC digit: the SIRET's.
          expect(siretProblem(changed.join('')), changed.join('')).toBe(position < 9 ? INVALID_SIREN_KEY : INVALID_KEY);
        }
      }
    }), { numRuns: 300 });
  });
});

describe('La Poste (SIREN 356 000 000): the digits add up to a multiple of 5, Luhn does not apply', () => {
  it('its SIREN holds its own Luhn key (3 + 2 × 5 → 1 + 6 = 10)', () => {
    expect(luhnValid(toDigits(LA_POSTE_SIREN))).toBe(true);
  });

  it('accepts establishments by their digit sum, though their Luhn key fails', () => {
    // 3 + 5 + 6 = 14: the NIC's digits must bring the sum to 15, 20, 25…
    for (const siret of ['35600000000001', '35600000000010', '35600000000047', '35600000000056', '35600000000065']) {
      expect(digitSum(toDigits(siret)) % 5, siret).toBe(0);
      expect(luhnValid(toDigits(siret)), siret).toBe(false);
      expect(siretProblem(siret), siret).toBeUndefined();
    }
  });

  it('refuses a digit sum that is not a multiple of 5, even with a good Luhn key', () => {
    expect(luhnValid(toDigits('35600000000014'))).toBe(true);
    expect(siretProblem('35600000000014')).toBe(INVALID_KEY); // sum 19
    expect(siretProblem('35600000000046')).toBe(INVALID_KEY); // sum 24
    expect(siretProblem('35600000099999')).toBe(INVALID_KEY); // sum 59
  });

  it('accepts its head office, whose digit sum is 26, by its Luhn key', () => {
    expect(digitSum(toDigits(LA_POSTE_HEAD_OFFICE_SIRET))).toBe(26);
    expect(siretProblem('356 000 000 00048')).toBeUndefined();
    // Its neighbours are judged by the digit sum.
    expect(siretProblem('35600000000049')).toBe(INVALID_KEY); // 27
    expect(siretProblem('35600000000038')).toBeUndefined(); // 25
  });

  it('judges every NIC by its digit sum alone, the head office apart', () => {
    fc.assert(fc.property(digitsArb(5), (nic) => {
      const digits = [...toDigits(LA_POSTE_SIREN), ...nic];
      const siret = digits.join('');
      const expected = digitSum(digits) % 5 === 0 || siret === LA_POSTE_HEAD_OFFICE_SIRET;
      expect(siretProblem(siret) === undefined, siret).toBe(expected);
    }), { numRuns: 2000 });
  });

  it('refuses a change of one NIC digit, unless by 5 (the digit-sum key cannot see those)', () => {
    const valid = toDigits('35600000000047');
    for (let position = 9; position < 14; position++) {
      for (let digit = 0; digit <= 9; digit++) {
        if (digit === valid[position]) continue;
        const changed = valid.with(position, digit).join('');
        const bySumStillValid = Math.abs(digit - valid[position]!) === 5;
        expect(siretProblem(changed) === undefined, changed).toBe(bySumStillValid || changed === LA_POSTE_HEAD_OFFICE_SIRET);
      }
    }
  });
});

describe('what people type', () => {
  it('ignores spaces anywhere, ordinary or non-breaking', () => {
    expect(siretProblem('732 829 320 00074')).toBeUndefined();
    expect(siretProblem(' 73282932000074 ')).toBeUndefined();
    expect(siretProblem('732\u00a0829\u00a0320\u202f00074')).toBeUndefined();
    expect(normalizeSiret('732 829 320\u00a000074')).toBe('73282932000074');
    expect(siretProblem('732 829 320 00075')).toBe(INVALID_KEY);
  });

  it('gives the same answer with spaces inserted anywhere', () => {
    fc.assert(fc.property(digitsArb(14), fc.array(fc.integer({ min: 0, max: 14 }), { maxLength: 6 }), (digits, cuts) => {
      const plain = digits.join('');
      let spaced = plain;
      for (const cut of [...cuts].sort((a, b) => b - a)) spaced = `${spaced.slice(0, cut)} ${spaced.slice(cut)}`;
      expect(normalizeSiret(spaced)).toBe(plain);
      expect(siretProblem(spaced)).toBe(siretProblem(plain));
    }));
  });

  it.each([
    ['', 'empty'],
    ['7328293200007', '13 digits'],
    ['732829320000740', '15 digits'],
    ['7328293200007A', 'a letter'],
    ['732-829-320-00074', 'dashes (only spaces are separators)'],
    ['732.829.320.00074', 'dots'],
    ['７３２８２９３２０００７４', 'full-width digits'],
    ['73282932000074\u0000', 'a control character'],
  ])('refuses %j (%s): 14 digits expected', (text) => {
    expect(siretProblem(text)).toBe(WRONG_LENGTH);
  });

  it('refuses any text that is not 14 digits once its spaces are removed', () => {
    fc.assert(fc.property(fc.string({ maxLength: 20 }), (text) => {
      fc.pre(!/^[0-9]{14}$/.test(text.replace(/\s/g, '')));
      expect(siretProblem(text)).toBe(WRONG_LENGTH);
    }));
  });
});
