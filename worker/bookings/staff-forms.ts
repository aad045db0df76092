/**
 * @module
 * What the staff pages for pro services (/staff/rendez-vous, /staff/offres)
 * need besides the use cases: which office a page is about, the offers
 * form read from its text fields into the use case's `OfferInput` list,
 * and the use case's refusals put back next to the field they are about,
 * in French. No I/O: the pages call `officeDay`, `offerSheetOf` and
 * `replaceOffers` themselves, the same functions as the API.
 */
import type { StaffRole } from '../../db/schema';
import type { OfferKind } from '../../db/vocabulary';
import { formatTime, addDays, isValidDate, localParts } from '../hours/zoned-time';
import type { Staff } from '../staff/tokens';
import { DEPOSIT_MINUTES, MAX_OFFERS, type OfferInput, type OfferRefusal, type Precondition } from './offers';
import type { OfferRecord } from './store';

/** The office a staff page is about: the one asked for, else the token's own office; a wider scope picks one. */
export type StaffDesk = { ok: true; locationId: string } | { ok: false; why: 'role' | 'choose' };

export function staffDesk(staff: Staff, requested: string | null | undefined, may: (role: StaffRole) => boolean): StaffDesk {
  if (!may(staff.role)) return { ok: false, why: 'role' };
  const asked = (requested ?? '').trim().toUpperCase().slice(0, 64);
  if (asked) return { ok: true, locationId: asked };
  if (staff.scopeType === 'office' && staff.scopeValue) return { ok: true, locationId: staff.scopeValue };
  return { ok: false, why: 'choose' };
}

/** The day asked for (`jour`), when it is a date at all; the use case decides the range. */
export function requestedDay(text: string | null | undefined): string | undefined {
  const day = (text ?? '').trim();
  return day === '' ? undefined : day.slice(0, 10);
}

/** A valid day's neighbours, for the previous / next links. */
export function dayLinks(date: string): { previous: string; next: string } | undefined {
  return isValidDate(date) ? { previous: addDays(date, -1), next: addDays(date, 1) } : undefined;
}

/** « mardi 1 décembre 2026 »: a local date read as a calendar day (no zone shift). */
export function frenchDay(date: string): string {
  return new Date(`${date}T12:00:00Z`).toLocaleDateString('fr-FR', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
}

// ---------------------------------------------------------------------------
// The offers form

/** The key of the empty row that adds an offer. */
export const NEW_ROW = 'nouvelle';

/** One row of the form, as shown or as typed (text, so a refused value is shown back as typed). */
export interface OfferRow {
  /** `0`, `1`… for existing offers, `nouvelle` for the added one. */
  key: string;
  id?: string;
  kind: OfferKind;
  label: string;
  duration: string;
  capacity: string;
  /** Unchecked: the offer is withdrawn (left out of the list). */
  active: boolean;
}

/** A message next to one field (`libelle-0`, `capacite-nouvelle`…), or for the whole form (`offres`). */
export interface FieldIssue { field: string; message: string }

export const fieldId = (name: 'libelle' | 'type' | 'duree' | 'capacite' | 'active', key: string) => `${name}-${key}`;

/** The rows of a sheet as the form shows them, plus the empty one to add an offer. */
export function rowsOf(offers: readonly OfferRecord[]): OfferRow[] {
  return [
    ...offers.map((o, i) => ({ key: String(i), id: o.id, kind: o.kind, label: o.label, duration: String(o.durationMinutes), capacity: String(o.capacity), active: true })),
    emptyRow(),
  ];
}

const emptyRow = (): OfferRow => ({ key: NEW_ROW, kind: 'appointment', label: '', duration: '30', capacity: '1', active: true });

const kindOf = (text: string | undefined): OfferKind | undefined => (text === 'appointment' || text === 'deposit' ? text : undefined);

/** A whole number typed in a field, or why not (the use case checks the range). */
function whole(text: string, what: string): { ok: true; value: number } | { ok: false; reason: string } {
  return /^\d{1,6}$/.test(text) ? { ok: true, value: Number(text) } : { ok: false, reason: `${what} : un nombre entier, sans espace ni lettre` };
}

export interface OfferForm {
  rows: OfferRow[];
  expected: Precondition;
  /** The list to send to the use case, and for each item the row it came from. */
  items: OfferInput[];
  itemRows: string[];
  issues: FieldIssue[];
}

/** Reads the posted form: every row kept as typed; the items only for active rows (a new row only when it has a label). */
export function readOfferForm(fields: Record<string, string>): OfferForm {
  const rows: OfferRow[] = [];
  for (let i = 0; i <= MAX_OFFERS && fields[`id-${i}`] !== undefined; i++) rows.push(rowFrom(fields, String(i)));
  const added = rowFrom(fields, NEW_ROW);
  rows.push(added);

  const version = fields.version ?? '';
  const expected: Precondition = /^\d{1,12}$/.test(version) ? { kind: 'version', version: Number(version) } : { kind: 'missing' };
  const items: OfferInput[] = [];
  const itemRows: string[] = [];
  const issues: FieldIssue[] = [];
  for (const row of rows) {
    if (!row.active || (row.key === NEW_ROW && row.label.trim() === '')) continue;
    const capacity = whole(row.capacity.trim(), 'capacité');
    if (!capacity.ok) issues.push({ field: fieldId('capacite', row.key), message: capacity.reason });
    let durationMinutes: number | undefined;
    if (row.kind === 'appointment') {
      const duration = whole(row.duration.trim(), 'durée');
      if (!duration.ok) issues.push({ field: fieldId('duree', row.key), message: `${duration.reason} (minutes)` });
      else durationMinutes = duration.value;
    }
    if (capacity.ok) {
      items.push({ ...(row.id ? { id: row.id } : {}), kind: row.kind, label: row.label, durationMinutes, capacity: capacity.value });
      itemRows.push(row.key);
    }
  }
  return { rows, expected, items, itemRows, issues };
}

function rowFrom(fields: Record<string, string>, key: string): OfferRow {
  const isNew = key === NEW_ROW;
  const kind = kindOf(fields[`type-${key}`]) ?? 'appointment';
  return {
    key,
    id: isNew ? undefined : (fields[`id-${key}`] ?? '').slice(0, 40) || undefined,
    kind,
    label: (fields[`libelle-${key}`] ?? '').slice(0, 200),
    duration: kind === 'deposit' ? String(DEPOSIT_MINUTES) : (fields[`duree-${key}`] ?? '').slice(0, 10),
    capacity: (fields[`capacite-${key}`] ?? '').slice(0, 10),
    active: isNew || fields[`active-${key}`] === '1',
  };
}

/** The use case's item fields and the form's. */
const FORM_FIELD: Record<string, 'libelle' | 'type' | 'duree' | 'capacite'> = { label: 'libelle', kind: 'type', duration_minutes: 'duree', capacity: 'capacite', id: 'libelle' };

/** A refusal about the list put next to its field, in French; `undefined` when it is not about one field. */
export function offerIssues(refusal: OfferRefusal, form: Pick<OfferForm, 'rows' | 'itemRows'>): FieldIssue[] | undefined {
  if (refusal.problem === 'invalid') {
    return refusal.issues.map((issue) => {
      const match = /^items\[(\d+)\]\.(\w+)$/.exec(issue.name);
      const key = match ? form.itemRows[Number(match[1])] : undefined;
      const name = match ? FORM_FIELD[match[2]!] : undefined;
      return key !== undefined && name ? { field: fieldId(name, key), message: issue.reason } : { field: 'offres', message: issue.reason };
    });
  }
  if (refusal.problem === 'below_booked') {
    const at = localParts(refusal.startsAt, refusal.timeZone);
    const row = form.rows.find((r) => r.id === refusal.offer.id);
    const taken = `déjà ${refusal.seats} place${refusal.seats > 1 ? 's' : ''} prise${refusal.seats > 1 ? 's' : ''} le ${frenchDay(at.date)} à ${formatTime(at.minutes)}`;
    if (row && !row.active) return [{ field: fieldId('active', row.key), message: `Impossible de retirer cette offre : ${taken}. Annulez ou déplacez d’abord ces rendez-vous.` }];
    return [{ field: row ? fieldId('capacite', row.key) : 'offres', message: `Capacité trop basse : ${taken}, elle ne peut pas descendre à ${refusal.capacity}. Rien n’a été enregistré.` }];
  }
  return undefined;
}

/** The page's French sentence for a refusal that is not about one field. */
export function offerRefusalMessage(refusal: OfferRefusal): string {
  switch (refusal.problem) {
    case 'not_found':
      return 'Bureau inconnu : vérifiez son identifiant.';
    case 'forbidden':
      return refusal.why === 'role'
        ? 'Votre jeton ne permet pas de gérer les offres d’un bureau : il faut un jeton de responsable (rôle hours).'
        : 'Ce bureau n’est pas dans le périmètre de votre jeton.';
    case 'no_counter':
      return `${refusal.name} n’a pas de guichet ouvert : il ne propose ni rendez-vous ni dépôt.`;
    case 'version_required':
    case 'version_unmatched':
      return 'Formulaire incomplet : rechargez la page et recommencez.';
    case 'stale':
      return 'Quelqu’un d’autre a modifié les offres de ce bureau entre-temps : rien n’a été enregistré. Voici la liste actuelle ; refaites vos changements.';
    case 'invalid':
    case 'below_booked':
      return 'Rien n’a été enregistré : corrigez les champs signalés.';
  }
}

/** The HTTP status the page answers with, per refusal. */
export const OFFER_REFUSAL_STATUS: Record<OfferRefusal['problem'], number> = {
  not_found: 404, forbidden: 403, no_counter: 409, version_required: 400, version_unmatched: 400, stale: 409, invalid: 400, below_booked: 409,
};
