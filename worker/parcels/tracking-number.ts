/**
 * @module
 * Tracking numbers, as customers type them: UPU S10 (`RB123456785FR`: two
 * letters, eight digits, a check digit, two letters) with its check digit
 * verified, and Colissimo's 13 characters (two letters or digits, then 11
 * digits). Pure: no I/O. Reasons are French, shown as they are.
 */

export type TrackingNumber = { ok: true; number: string; format: 's10' | 'colissimo' } | { ok: false; reason: string };

/** UPU S10 weights of the eight serial digits. */
const S10_WEIGHTS = [8, 6, 4, 2, 3, 5, 9, 7] as const;

/** The S10 check digit of eight serial digits: 11 − (weighted sum mod 11), with 10 → 0 and 11 → 5. */
export function s10CheckDigit(serial: string): number {
  const sum = [...serial].reduce((total, digit, i) => total + Number(digit) * S10_WEIGHTS[i]!, 0);
  const check = 11 - (sum % 11);
  return check === 10 ? 0 : check === 11 ? 5 : check;
}

/** Reads a typed number: spaces and dashes ignored, case ignored. */
export function parseTrackingNumber(text: string): TrackingNumber {
  const number = text.replace(/[\s-]/g, '').toUpperCase();
  if (number === '') return { ok: false, reason: 'numéro de suivi manquant' };
  if (number.length > 30) return { ok: false, reason: 'numéro de suivi trop long (13 caractères attendus)' };
  if (!/^[A-Z0-9]+$/.test(number)) return { ok: false, reason: 'le numéro de suivi ne contient que des lettres et des chiffres' };
  if (number.length !== 13) return { ok: false, reason: `numéro de suivi de ${number.length} caractères : 13 attendus (par exemple RB123456785FR ou 6A12345678901)` };
  const s10 = /^([A-Z]{2})(\d{8})(\d)([A-Z]{2})$/.exec(number);
  if (s10) {
    const expected = s10CheckDigit(s10[2]!);
    return Number(s10[3]) === expected
      ? { ok: true, number, format: 's10' }
      : { ok: false, reason: `clé de contrôle erronée : le 11e caractère devrait être ${expected} (vérifiez la saisie)` };
  }
  if (/^[A-Z0-9]{2}\d{11}$/.test(number)) return { ok: true, number, format: 'colissimo' };
  return { ok: false, reason: 'format inconnu : deux lettres, huit chiffres, une clé et deux lettres (RB123456785FR), ou deux lettres ou chiffres puis 11 chiffres (6A12345678901)' };
}
