/**
 * @module
 * The account's rules, without I/O: what a valid email, phone, name,
 * address and quiet-hours window are; how sign-in codes are drawn; how long
 * sessions live. Messages are French: they are shown to customers as is.
 */
import * as v from 'valibot';

/** A sign-in code lives 10 minutes and takes 5 wrong guesses; then a new one is needed. */
export const CODE_TTL_MS = 10 * 60_000;
export const CODE_MAX_GUESSES = 5;
/** New codes per address per hour, and per client per hour (beyond the per-minute limiter). */
export const CODES_PER_ADDRESS_PER_HOUR = 5;
export const CODES_PER_CLIENT_PER_HOUR = 30;

/**
 * Sessions end after 30 days in any case (absolute), or after 7 days
 * without a visit (idle). `lastSeenAt` is written at most once an hour, so
 * the idle end is known to within an hour and a signed-in page costs no
 * write most of the time.
 */
export const SESSION_ABSOLUTE_MS = 30 * 24 * 3600_000;
export const SESSION_IDLE_MS = 7 * 24 * 3600_000;
export const SESSION_TOUCH_MS = 3600_000;

/** Accounts without activity for 2 years are deleted, after a warning 30 days before. */
export const INACTIVE_DELETE_MS = 730 * 24 * 3600_000;
export const INACTIVE_WARN_MS = INACTIVE_DELETE_MS - 30 * 24 * 3600_000;

/** The address as stored and compared: trimmed and lower case (providers treat the local part case-insensitively). */
export const normaliseEmail = (email: string) => email.trim().toLowerCase();

export const EmailSchema = v.pipe(
  v.string('adresse électronique manquante'),
  v.trim(),
  v.nonEmpty('adresse électronique manquante'),
  v.maxLength(254, 'adresse électronique trop longue (254 caractères au plus)'),
  v.email('adresse électronique mal formée (exemple : prenom.nom@exemple.fr)'),
  v.transform(normaliseEmail),
);

export const CodeSchema = v.pipe(
  v.string('code manquant'),
  v.transform((text) => text.replace(/[\s-]/g, '')),
  v.regex(/^\d{6}$/, 'le code est fait de 6 chiffres'),
);

/**
 * A phone for SMS, as typed in France (06 12 34 56 78) or international
 * (+33 6 12 34 56 78), stored in E.164. Empty means no phone.
 */
export const PhoneSchema = v.pipe(
  v.string('numéro de téléphone illisible'),
  v.transform((text) => text.replace(/[\s.()-]/g, '')),
  v.check((text) => text === '' || /^(0[1-9]\d{8}|\+[1-9]\d{7,14})$/.test(text), 'numéro de téléphone mal formé (exemple : 06 12 34 56 78 ou +33 6 12 34 56 78)'),
  v.transform((text) => (text === '' ? null : text.startsWith('0') ? `+33${text.slice(1)}` : text)),
);

export const NameSchema = v.pipe(
  v.string('nom illisible'),
  v.trim(),
  v.maxLength(100, 'nom trop long (100 caractères au plus)'),
  v.check((text) => !/[\u0000-\u001f<>]/.test(text), 'le nom contient des caractères non admis'),
  v.transform((text) => (text === '' ? null : text)),
);

const line = (what: string, max: number) =>
  v.pipe(v.string(`${what} illisible`), v.trim(), v.maxLength(max, `${what} trop long (${max} caractères au plus)`),
    v.check((text) => !/[\u0000-\u001f]/.test(text), `${what} : caractères non admis`));

export const AddressSchema = v.object({
  label: v.pipe(line('libellé', 40), v.transform((text) => text || 'Adresse')),
  line1: v.pipe(line('adresse', 120), v.nonEmpty('adresse manquante (numéro et voie)')),
  line2: v.optional(v.pipe(line('complément d’adresse', 120), v.transform((text) => text || undefined))),
  postcode: v.pipe(v.string('code postal illisible'), v.trim(), v.regex(/^\d{5}$/, 'code postal : 5 chiffres')),
  city: v.pipe(line('commune', 80), v.nonEmpty('commune manquante')),
});
/** At most this many addresses on an account. */
export const MAX_ADDRESSES = 5;
/** At most this many favourite offices. */
export const MAX_FAVOURITES = 10;

const clock = (what: string) => v.pipe(v.string(`${what} illisible`), v.regex(/^([01]\d|2[0-3]):[0-5]\d$/, `${what} : une heure HH:MM, de 00:00 à 23:59`));
export const QuietHoursSchema = v.object({ start: clock('début des heures calmes'), end: clock('fin des heures calmes') });

/**
 * A uniformly drawn 6-digit code: rejection sampling over 32-bit values
 * (a plain `% 10^6` would favour the low codes).
 */
export function drawCode(random: () => number = () => crypto.getRandomValues(new Uint32Array(1))[0]!): string {
  const limit = Math.floor(0x1_0000_0000 / 1_000_000) * 1_000_000;
  for (;;) {
    const value = random();
    if (value < limit) return String(value % 1_000_000).padStart(6, '0');
  }
}
