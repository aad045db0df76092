/**
 * @module
 * The SIRET rule: is a number an establishment's SIRET as INSEE assigns
 * them? Pure. A SIRET is 14 digits, the SIREN of the company (9) then the
 * NIC of the establishment (5), and its last digit is a Luhn key over all
 * 14, which catches every single mistyped digit and most swaps of two
 * neighbours.
 *
 * La Poste is the known exception: it has more establishments than the
 * Luhn key leaves NICs for under one SIREN, so for SIREN 356 000 000 INSEE
 * uses another key: the sum of the 14 digits is a multiple of 5. Its head
 * office, numbered before that rule, keeps its Luhn key
 * (356 000 000 00048, digit sum 26): it is accepted by name.
 *
 * The SIREN carries its own Luhn key too (over its 9 digits, La Poste's
 * 356 000 000 included): both are checked, so a SIRET whose 14-digit key
 * happens to hold over a mistyped SIREN is still refused. A number of
 * zeros only passes every key and names no one: refused.
 *
 * The rule says whether a number is well formed, not whether the
 * establishment exists or is active (that is the Sirene register's answer).
 * A professional status is therefore DECLARED by the customer, not
 * verified: checking the SIRET against the Sirene register is a later step.
 */

/** La Poste's SIREN: its establishments' SIRETs carry the digit-sum key. */
export const LA_POSTE_SIREN = '356000000';
/** La Poste's head office: Luhn key, not the digit-sum key (see the module comment). */
export const LA_POSTE_HEAD_OFFICE_SIRET = '35600000000048';

export const SIRET_LENGTH = 14;
/** The SIREN: the company, the SIRET's first 9 digits. */
export const SIREN_LENGTH = 9;

/** The input without its spaces (people copy SIRETs grouped `356 000 000 00048`, with ordinary or non-breaking spaces). */
export function normalizeSiret(text: string): string {
  return text.replace(/\s/g, '');
}

/** True when the Luhn sum of `digits` (from the right, every second digit doubled) is a multiple of 10. */
function luhnHolds(digits: string): boolean {
  let sum = 0;
  for (let i = digits.length - 1, double = false; i >= 0; i--, double = !double) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

function digitSum(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) sum += digits.charCodeAt(i) - 48;
  return sum;
}

/**
 * Why `text` is not a valid SIRET, in French; undefined when it is.
 * Spaces are allowed anywhere and ignored.
 */
export function siretProblem(text: string): string | undefined {
  const siret = normalizeSiret(text);
  if (!/^[0-9]{14}$/.test(siret)) return `${SIRET_LENGTH} chiffres attendus`;
  const siren = siret.slice(0, SIREN_LENGTH);
  if (/^0+$/.test(siren)) return 'numéro nul : ce n’est pas un SIRET';
  if (!luhnHolds(siren)) return 'clé de contrôle du SIREN (9 premiers chiffres) invalide';
  const valid = siret.startsWith(LA_POSTE_SIREN)
    ? digitSum(siret) % 5 === 0 || siret === LA_POSTE_HEAD_OFFICE_SIRET
    : luhnHolds(siret);
  return valid ? undefined : 'clé de contrôle invalide';
}
