/**
 * @module
 * Staff counts of a location's stock over HTTP (`/api/v1/locations/{id}/stock`):
 * read the sheet (with its version as ETag), record one count
 * (`PUT …/stock/{sku}`, `If-Match` the row's version, `If-None-Match: *`
 * for a product not counted yet), or send a feed (`PUT …/stock`, JSON or
 * CSV, `If-Match` the sheet's version). A stale version changes nothing:
 * 412 with the current version. The handlers only translate: checks,
 * refusals and the one-batch writes are the use cases' (./counts.ts),
 * which the staff page calls too.
 */
import { type Context, Hono } from 'hono';
import { type DescribeRouteOptions, describeRoute, resolver } from 'hono-openapi';
import * as v from 'valibot';
import { bindings, database } from '../env';
import { invalidRequest, methodNotAllowed, Problem } from '../http/problem';
import { validate } from '../http/validate';
import { LOCATION_ID, ProblemSchema } from '../locations/api-schema';
import { staffOnly, type StaffEnv } from '../staff/auth';
import { applyStockFeed, type Precondition, recordCount, type StockLine, type StockRefusal, stockSheetOf } from './counts';
import { MAX_COUNT } from './levels';
import { MAX_FEED_ROWS, stockFileFormat } from './stock-file';

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: resolver(ProblemSchema) } } });
const STAFF = { security: [{ bearer: [] }] };

const LocationId = v.pipe(v.string(), v.regex(LOCATION_ID, 'identifiant invalide : 1 à 32 lettres ou chiffres'), v.toUpperCase());
const IdParams = v.strictObject({ id: LocationId });
const SkuParams = v.strictObject({
  id: LocationId,
  sku: v.pipe(v.string(), v.regex(/^[A-Za-z0-9][A-Za-z0-9-]{1,30}[A-Za-z0-9]$/, 'référence invalide : 3 à 32 lettres, chiffres et tirets'), v.toUpperCase()),
});
const CountBody = v.strictObject({
  quantity: v.number('quantity : nombre entier attendu'),
  counted_at: v.optional(v.string('counted_at : instant ISO 8601 attendu, avec fuseau')),
});

const LineSchema = v.object({
  sku: v.string(), name: v.string(), quantity: v.number(), counted_at: v.string(), version: v.number(), held: v.number(), sellable: v.number(),
});
const SheetSchema = v.object({ location_id: v.string(), version: v.number(), safety_units: v.number(), items: v.array(LineSchema) });
const FeedAnswerSchema = v.object({
  location_id: v.string(),
  applied: v.number(),
  unchanged: v.number(),
  rejected: v.array(v.object({ line: v.number(), sku: v.nullable(v.string()), reason: v.string() })),
  version: v.number(),
});

const presentLine = (line: StockLine) => ({
  sku: line.sku,
  name: line.name,
  quantity: line.quantity,
  counted_at: new Date(line.countedAt).toISOString(),
  version: line.version,
  held: line.held,
  sellable: line.sellable,
});

const etagOf = (version: number) => `"${version}"`;

/**
 * What the write was based on, from its headers: `If-Match: "<version>"`
 * (a strong ETag of a read), or `If-None-Match: *` (the row must not
 * exist yet). `If-Match: *` names no version: it is no precondition here.
 */
function precondition(c: Context, options: { create: boolean }): Precondition {
  const ifMatch = c.req.header('if-match')?.trim();
  const ifNoneMatch = c.req.header('if-none-match')?.trim();
  if (ifNoneMatch !== undefined) {
    if (!options.create) throw invalidRequest([{ name: 'If-None-Match', reason: 'non admis sur un relevé : If-Match: "0" pour un point jamais compté' }]);
    if (ifNoneMatch !== '*') throw invalidRequest([{ name: 'If-None-Match', reason: 'seule la valeur * est admise (produit pas encore compté ici)' }]);
    if (ifMatch !== undefined) throw invalidRequest([{ name: 'If-Match', reason: 'If-Match ou If-None-Match, pas les deux' }]);
    return { kind: 'absent' };
  }
  if (ifMatch === undefined || ifMatch === '*') return { kind: 'missing' };
  const version = /^"(\d{1,12})"$/.exec(ifMatch)?.[1];
  return version === undefined ? { kind: 'unmatched' } : { kind: 'version', version: Number(version) };
}

/** A stale write's 412: the current version as a member of the problem (and as ETag), and the row as it is now. */
function staleResponse(c: Context, refusal: Extract<StockRefusal, { problem: 'stale' }>) {
  const detail = refusal.what === 'row'
    ? refusal.current
      ? `Ce comptage a changé depuis votre lecture : version ${refusal.current.version}, ${refusal.current.quantity} unité(s). Rien n’a été enregistré : vérifiez, puis renvoyez avec If-Match: "${refusal.current.version}".`
      : 'Ce produit n’a pas encore de comptage ici : rien n’a été enregistré. Envoyez le premier comptage avec If-None-Match: *.'
    : `Le stock de ce point a changé depuis votre lecture (version ${refusal.currentVersion ?? 0}) : rien n’a été appliqué. Relisez-le (GET), puis renvoyez le relevé avec son ETag.`;
  const members = {
    current_version: refusal.currentVersion,
    ...(refusal.what === 'row' ? { current: refusal.current && presentLine(refusal.current) } : {}),
  };
  const headers: Record<string, string> = refusal.currentVersion !== null ? { etag: etagOf(refusal.currentVersion) } : {};
  return new Problem('precondition-failed', detail, [], headers, members).toResponse(new URL(c.req.url).pathname);
}

/** Any other refusal, as problem+json (thrown: the app's error handler renders it). */
function refusalProblem(refusal: Exclude<StockRefusal, { problem: 'stale' }>): Problem {
  switch (refusal.problem) {
    case 'not_found':
      return refusal.what === 'location'
        ? new Problem('not-found', `Aucun point de contact n’a l’identifiant ${refusal.id}.`)
        : new Problem('not-found', `Aucun produit de référence ${refusal.id} au catalogue.`);
    case 'forbidden':
      return refusal.why === 'role'
        ? new Problem('forbidden', `Le rôle « ${refusal.role} » ne permet pas de compter le stock : il faut un jeton de guichet (counter) ou de responsable (hours).`)
        : new Problem('forbidden', `Le point de contact ${refusal.locationId} est hors du périmètre de ce jeton.`);
    case 'closed':
      return refusal.why === 'closed'
        ? new Problem('conflict', `${refusal.name} (${refusal.locationId}) est fermé : son stock ne se compte plus.`)
        : new Problem('conflict', `${refusal.name} (${refusal.locationId}) n’a pas de guichet : il ne tient pas de stock.`);
    case 'version_required':
      return new Problem('precondition-required', 'Lisez d’abord le stock (GET) et renvoyez la version lue dans If-Match: "<version>" (If-None-Match: * pour un produit pas encore compté ici).');
    case 'version_unmatched':
      return new Problem('precondition-failed', 'If-Match ne désigne aucune version : renvoyez l’ETag lu, par exemple If-Match: "3".');
    case 'invalid':
      return invalidRequest(refusal.issues);
  }
}

function refused(c: Context, refusal: StockRefusal): Response {
  if (refusal.problem === 'stale') return staleResponse(c, refusal);
  throw refusalProblem(refusal);
}

const FEED_BODY: DescribeRouteOptions['requestBody'] = {
  required: true,
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['items'],
        properties: {
          items: {
            type: 'array',
            maxItems: MAX_FEED_ROWS,
            items: {
              type: 'object',
              required: ['sku', 'quantity'],
              properties: {
                sku: { type: 'string', example: 'TP-LV-C12' },
                quantity: { type: 'integer', minimum: 0, maximum: MAX_COUNT },
                counted_at: { type: 'string', format: 'date-time', description: 'Default: the request’s instant' },
              },
            },
          },
        },
      },
    },
    'text/csv': {
      schema: { type: 'string', example: 'sku,quantity,counted_at\nTP-LV-C12,14,2026-12-01T09:30:00+01:00\nCOL-2026-03,0,\n' },
    },
  },
};

export const stockStaffRoutes = new Hono<StaffEnv>()
  .get('/:id/stock',
    describeRoute({
      tags: ['Stock (staff)'], ...STAFF,
      summary: 'Le stock d’un point : chaque produit compté, sa version, ce qui reste vendable',
      description: '`sellable` is counted, less live holds and the safety stock. The ETag is the sheet’s version (`"0"`: never counted), for a feed’s `If-Match`.',
      responses: { 200: { description: 'The sheet', content: { 'application/json': { schema: resolver(SheetSchema) } } }, 401: problem('No valid token'), 403: problem('Out of role or scope'), 404: problem('Unknown location') },
    }),
    staffOnly, validate('param', IdParams),
    async (c) => {
      const safety = bindings().stockSafetyUnits;
      const result = await stockSheetOf(database(), c.get('staff'), c.req.valid('param').id, new Date(), safety);
      if (!result.ok) return refused(c, result);
      const { sheet } = result;
      c.header('etag', etagOf(sheet.version));
      return c.json({ location_id: sheet.location.id, version: sheet.version, safety_units: sheet.safety, items: sheet.lines.map(presentLine) });
    })
  .put('/:id/stock',
    describeRoute({
      tags: ['Stock (staff)'], ...STAFF,
      summary: 'Envoyer un relevé de stock (JSON ou CSV) : les lignes valides sont appliquées, les autres signalées',
      description: `JSON \`{ "items": [ { "sku", "quantity", "counted_at"? } ] }\` or CSV (header \`sku,quantity,counted_at\`, \`,\` or \`;\`, UTF-8), at most ${MAX_FEED_ROWS} rows. `
        + '`If-Match` the sheet’s version (ETag of the GET). Each broken row is reported with its line (CSV: the file’s line, header = 1; JSON: the item’s rank) and reason; the others are applied at once, or nothing is (412).',
      requestBody: FEED_BODY,
      responses: {
        200: { description: 'Counts applied, unchanged, rows rejected; the new version (also the ETag)', content: { 'application/json': { schema: resolver(FeedAnswerSchema) } } },
        400: problem('Unreadable file, unknown content type, too many rows'), 401: problem('No valid token'), 403: problem('Out of role or scope'), 404: problem('Unknown location'),
        409: problem('Location closed or without a counter'), 412: problem('Stale If-Match: nothing applied; `current_version`'), 428: problem('If-Match missing'),
      },
    }),
    staffOnly, validate('param', IdParams),
    async (c) => {
      const format = stockFileFormat(c.req.header('content-type'));
      if (!format) throw invalidRequest([{ name: 'content-type', reason: 'application/json ou text/csv attendu' }]);
      const expected = precondition(c, { create: false });
      const result = await applyStockFeed(database(), c.get('staff'), {
        locationId: c.req.valid('param').id, body: await c.req.text(), format, expected,
      }, new Date(), bindings().stockSafetyUnits);
      if (!result.ok) return refused(c, result);
      c.header('etag', etagOf(result.version));
      return c.json({ location_id: c.req.valid('param').id, applied: result.applied, unchanged: result.unchanged, rejected: result.rejected, version: result.version });
    })
  .put('/:id/stock/:sku',
    describeRoute({
      tags: ['Stock (staff)'], ...STAFF,
      summary: 'Enregistrer un comptage (compare-and-set sur la version de la ligne)',
      description: '`If-Match: "<version>"` of the row, or `If-None-Match: *` for a product not counted here yet. `quantity` from 0 to 100000; `counted_at` defaults to now and may not be ahead of it.',
      responses: {
        200: { description: 'The row as recorded; ETag its new version', content: { 'application/json': { schema: resolver(LineSchema) } } },
        201: { description: 'First count of this product here' },
        400: problem('Invalid quantity or instant'), 401: problem('No valid token'), 403: problem('Out of role or scope'), 404: problem('Unknown location or product'),
        409: problem('Location closed or without a counter'), 412: problem('Stale version: nothing written; `current_version` and `current`'), 428: problem('If-Match missing'),
      },
    }),
    staffOnly, validate('param', SkuParams), validate('json', CountBody),
    async (c) => {
      const { id, sku } = c.req.valid('param');
      const body = c.req.valid('json');
      const expected = precondition(c, { create: true });
      const result = await recordCount(database(), c.get('staff'), {
        locationId: id, sku, quantity: body.quantity, countedAt: body.counted_at, expected,
      }, new Date(), bindings().stockSafetyUnits);
      if (!result.ok) return refused(c, result);
      c.header('etag', etagOf(result.line.version));
      return c.json({ location_id: id, ...presentLine(result.line), sheet_version: result.sheetVersion }, result.created ? 201 : 200);
    })
  .all('/:id/stock', methodNotAllowed('GET, HEAD, PUT'))
  .all('/:id/stock/:sku', methodNotAllowed('PUT'));
