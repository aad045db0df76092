/**
 * @module
 * A parcel's status as the API answers it (`GET /api/v1/parcels/{tracking_number}`):
 * snake_case, instants in ISO 8601 (UTC), local dates `YYYY-MM-DD`, French
 * labels beside the stable codes. The valibot schema describes it in the
 * OpenAPI document; the facts all come from view.ts, as the page's do.
 */
import * as v from 'valibot';
import { LOCATION_TYPES } from '../locations/catalog';
import type { ParcelView } from './view';

const Label = v.string();

export const ParcelStatusSchema = v.object({
  tracking_number: v.string(),
  /** 0 (announced only) to 5 (delivered). */
  step: v.object({ number: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(5)), label: Label }),
  steps: v.array(v.object({
    number: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(5)),
    label: Label,
    state: v.picklist(['done', 'current', 'upcoming']),
  })),
  incidents: v.array(v.object({ code: v.picklist(['avise', 'retour', 'probleme']), label: Label })),
  delivered: v.boolean(),
  events: v.array(v.object({
    code: v.string(),
    label: Label,
    occurred_at: v.pipe(v.string(), v.isoTimestamp()),
    location_id: v.nullable(v.string()),
  })),
  estimate: v.nullable(v.object({
    from: v.pipe(v.string(), v.isoDate()),
    to: v.pipe(v.string(), v.isoDate()),
    confidence: v.picklist(['haute', 'moyenne', 'faible']),
    late: v.boolean(),
    label: Label,
  })),
  collection: v.nullable(v.object({
    location: v.object({
      id: v.string(),
      name: v.string(),
      commune: v.string(),
      type: v.picklist(LOCATION_TYPES),
      path: v.string(),
    }),
    arrived_at: v.pipe(v.string(), v.isoTimestamp()),
    deadline: v.nullable(v.pipe(v.string(), v.isoTimestamp())),
    deadline_label: v.nullable(Label),
    deadline_extended: v.boolean(),
    holding_days: v.pipe(v.number(), v.integer(), v.minValue(0)),
    open_now: v.boolean(),
  })),
  unknown_codes: v.array(v.string()),
});
export type ParcelStatusResource = v.InferOutput<typeof ParcelStatusSchema>;

export function presentParcel(view: ParcelView): ParcelStatusResource {
  const collection = view.collection;
  return {
    tracking_number: view.trackingNumber,
    step: view.step,
    steps: view.steps,
    incidents: view.incidents,
    delivered: view.delivered,
    events: view.events.map((e) => ({ code: e.code, label: e.label, occurred_at: e.occurredAt.toISOString(), location_id: e.locationId })),
    estimate: view.estimate && {
      from: view.estimate.from,
      to: view.estimate.to,
      confidence: view.estimate.confidence,
      late: view.estimate.late,
      label: view.estimate.label,
    },
    collection: collection && {
      location: {
        id: collection.place.id,
        name: collection.place.name,
        commune: collection.place.commune,
        type: collection.place.type,
        path: collection.place.path,
      },
      arrived_at: collection.since.toISOString(),
      deadline: collection.deadline?.toISOString() ?? null,
      deadline_label: collection.deadlineLabel,
      deadline_extended: collection.extended,
      holding_days: collection.holdingDays,
      open_now: collection.openNow,
    },
    unknown_codes: view.unknownCodes,
  };
}
