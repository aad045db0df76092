/**
 * @module
 * The carriers' event codes, in the vocabulary of La Poste's tracking
 * service, with what each means for the customer: the step of the journey
 * it shows (1 to 5, as La Poste's own timeline), or the incident it
 * reports. Pure: no I/O.
 */

/** La Poste's five steps, in order. */
export const STEPS = [
  'pris en charge',
  'en cours d’acheminement',
  'arrivé sur le site de distribution',
  'en cours de livraison',
  'livré',
] as const;
/** 1 to 5; 0 before the first scan (only announced). */
export type Step = 0 | 1 | 2 | 3 | 4 | 5;

export type Incident = 'avise' | 'retour' | 'probleme';
export const INCIDENT_LABELS: Record<Incident, string> = {
  avise: 'avisé',
  retour: 'retour à l’expéditeur',
  probleme: 'problème',
};

export interface CodeMeaning {
  /** What the customer reads for this event. */
  label: string;
  /** The step this event shows the parcel has reached (0: none yet). */
  step: Step;
  /** An incident this event opens, if any. */
  incident?: Incident;
  /** This event closes the open problem. */
  resolves?: true;
  /** The parcel waits at a point (office, relay, locker) to be collected. */
  waiting?: true;
}

export const EVENT_CODES = {
  DR1: { label: 'Déclaration reçue : le colis est annoncé', step: 0 },
  PC1: { label: 'Pris en charge', step: 1 },
  PC2: { label: 'Pris en charge dans le pays d’expédition', step: 1 },
  ET1: { label: 'En cours de traitement', step: 2 },
  ET2: { label: 'En cours de traitement dans le pays d’expédition', step: 2 },
  ET3: { label: 'En cours de traitement dans le pays de destination', step: 2 },
  ET4: { label: 'En cours de traitement dans un pays de transit', step: 2 },
  DO1: { label: 'Entrée en douane', step: 2 },
  DO2: { label: 'Sortie de douane', step: 2 },
  DO3: { label: 'Retenu en douane', step: 2, incident: 'probleme' },
  EP1: { label: 'Arrivé sur le site de distribution', step: 3 },
  MD2: { label: 'En cours de livraison', step: 4 },
  AG1: { label: 'Disponible au point de retrait', step: 4, waiting: true },
  ND1: { label: 'Distribution impossible : le destinataire est avisé', step: 3, incident: 'avise' },
  PB1: { label: 'Problème en cours de traitement', step: 0, incident: 'probleme' },
  PB2: { label: 'Problème résolu', step: 0, resolves: true },
  RE1: { label: 'Retourné à l’expéditeur', step: 0, incident: 'retour' },
  DI1: { label: 'Livré', step: 5 },
  DI2: { label: 'Remis au guichet', step: 5 },
} as const satisfies Record<string, CodeMeaning>;
export type EventCode = keyof typeof EVENT_CODES;

export const isKnownCode = (code: string): code is EventCode => Object.hasOwn(EVENT_CODES, code);
