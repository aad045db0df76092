/**
 * @module
 * Public holidays per département (and for Monaco and Andorra), computed
 * rather than stored: a location is closed on them unless an exception opens
 * it, so the list must be right every year without anyone updating a table.
 *
 * France: the 11 national days (Code du travail, art. L3133-1), plus Vendredi
 * saint and Saint-Étienne in Alsace-Moselle (57, 67, 68), plus the day of the
 * abolition of slavery in the overseas départements and collectivities that
 * have one. Saint-Pierre-et-Miquelon (975), Wallis-et-Futuna (986), French
 * Polynesia (987) and New Caledonia (988) get the national list only: their
 * local days are not modelled here.
 */
import type { PublicHoliday } from './model';
import { daysFromCivil, formatDay, parseDay, yearOfDay } from './zoned-time';

/** Easter Sunday of a Gregorian year (anonymous Gregorian computus, Meeus/Jones/Butcher), `YYYY-MM-DD`. */
export function easterSunday(year: number): string {
  return formatDay(easterDay(year));
}

function easterDay(year: number): number {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return daysFromCivil(year, month, day);
}

/** A holiday as (month, day) or as days after Easter Sunday. */
type Rule = { name: string; month: number; day: number } | { name: string; easter: number };

const fixed = (name: string, month: number, day: number): Rule => ({ name, month, day });
const easter = (name: string, offset: number): Rule => ({ name, easter: offset });

const NATIONAL: Rule[] = [
  fixed("Jour de l'an", 1, 1),
  easter('Lundi de Pâques', 1),
  fixed('Fête du Travail', 5, 1),
  fixed('Victoire 1945', 5, 8),
  easter('Ascension', 39),
  easter('Lundi de Pentecôte', 50),
  fixed('Fête nationale', 7, 14),
  fixed('Assomption', 8, 15),
  fixed('Toussaint', 11, 1),
  fixed('Armistice 1918', 11, 11),
  fixed('Noël', 12, 25),
];

/** Local law of Alsace-Moselle keeps two more days. */
const ALSACE_MOSELLE: Rule[] = [...NATIONAL, easter('Vendredi saint', -2), fixed('Saint-Étienne', 12, 26)];

const SLAVERY = 'Abolition de l’esclavage';
/** Date of the abolition of slavery, per territory (loi n° 83-550 and later decrees). */
const ABOLITION: Record<string, [number, number]> = {
  '971': [5, 27], // Guadeloupe
  '972': [5, 22], // Martinique
  '973': [6, 10], // Guyane
  '974': [12, 20], // La Réunion
  '976': [4, 27], // Mayotte
  '977': [10, 9], // Saint-Barthélemy
  '978': [5, 28], // Saint-Martin
};

/**
 * Monaco's own list. Monaco also moves a holiday falling on a Sunday to the
 * Monday; that is not modelled (exceptions can open or close such a Monday).
 */
const MONACO: Rule[] = [
  fixed("Jour de l'an", 1, 1),
  fixed('Sainte-Dévote', 1, 27),
  easter('Lundi de Pâques', 1),
  fixed('Fête du Travail', 5, 1),
  easter('Ascension', 39),
  easter('Lundi de Pentecôte', 50),
  easter('Fête-Dieu', 60),
  fixed('Assomption', 8, 15),
  fixed('Toussaint', 11, 1),
  fixed('Fête du Prince', 11, 19),
  fixed('Immaculée Conception', 12, 8),
  fixed('Noël', 12, 25),
];

/** Andorra: the principal list of national holidays (parish festivals are not included). */
const ANDORRA: Rule[] = [
  fixed("Jour de l'an", 1, 1),
  fixed('Épiphanie', 1, 6),
  fixed('Fête de la Constitution', 3, 14),
  easter('Lundi de Pâques', 1),
  fixed('Fête du Travail', 5, 1),
  easter('Lundi de Pentecôte', 50),
  fixed('Assomption', 8, 15),
  fixed('Notre-Dame de Meritxell', 9, 8),
  fixed('Toussaint', 11, 1),
  fixed('Immaculée Conception', 12, 8),
  fixed('Noël', 12, 25),
  fixed('Saint-Étienne', 12, 26),
];

function rulesFor(department: string): Rule[] {
  if (department === 'MC') return MONACO;
  if (department === 'AD') return ANDORRA;
  if (department === '57' || department === '67' || department === '68') return ALSACE_MOSELLE;
  const abolition = ABOLITION[department];
  if (abolition) return [...NATIONAL, fixed(SLAVERY, abolition[0], abolition[1])];
  // Metropolitan départements, Corsica, 975, 986, 987, 988 and unknown codes.
  return NATIONAL;
}

/** Holidays of one (year, département), keyed by local day number, with the year's day range. */
interface YearHolidays {
  first: number;
  last: number;
  days: Map<number, string>;
}

// Cache per département, then per year: the engine asks for every day it looks at.
const cache = new Map<string, Map<number, YearHolidays>>();
// And the year last used per département: nearly every look-up hits it.
const lastUsed = new Map<string, YearHolidays>();

function yearHolidays(year: number, department: string): YearHolidays {
  let byYear = cache.get(department);
  if (!byYear) {
    byYear = new Map();
    cache.set(department, byYear);
  }
  let entry = byYear.get(year);
  if (!entry) {
    const easterSun = easterDay(year);
    const list = rulesFor(department)
      .map((rule) => ({ day: 'easter' in rule ? easterSun + rule.easter : daysFromCivil(year, rule.month, rule.day), name: rule.name }))
      .sort((a, b) => a.day - b.day);
    const days = new Map<number, string>();
    // Two rules can fall on the same date (Ascension on 1 or 8 May): keep the first name.
    for (const { day, name } of list) if (!days.has(day)) days.set(day, name);
    entry = { first: daysFromCivil(year, 1, 1), last: daysFromCivil(year, 12, 31), days };
    byYear.set(year, entry);
  }
  return entry;
}

/** The public holidays of `year` in `department`, sorted by date (one entry per date). */
export function publicHolidays(year: number, department: string): PublicHoliday[] {
  return [...yearHolidays(year, department.toUpperCase()).days].map(([day, name]) => ({ date: formatDay(day), name }));
}

/** Name of the public holiday on local day number `day`, or null (engine fast path). */
export function holidayOnDay(day: number, department: string): string | null {
  let entry = lastUsed.get(department);
  if (!entry || day < entry.first || day > entry.last) {
    entry = yearHolidays(yearOfDay(day), department);
    lastUsed.set(department, entry);
  }
  return entry.days.get(day) ?? null;
}

/** Name of the public holiday on `date` (`YYYY-MM-DD`) in `department`, or null. */
export function holidayOn(date: string, department: string): string | null {
  return holidayOnDay(parseDay(date), department.toUpperCase());
}
