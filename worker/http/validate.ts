/**
 * @module
 * Request validation with valibot schemas that also describe the API in
 * OpenAPI (through hono-openapi): one schema, two uses. A failure becomes a
 * 400 problem that names every field at fault.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { ValidationTargets } from 'hono';
import { validator } from 'hono-openapi';
import { invalidRequest } from './problem';

function fieldName(issue: StandardSchemaV1.Issue, fallback: string): string {
  const first = issue.path?.[0];
  if (first === undefined) return fallback;
  return String(typeof first === 'object' ? first.key : first);
}

export function validate<S extends StandardSchemaV1, T extends keyof ValidationTargets>(target: T, schema: S) {
  return validator(target, schema, (result) => {
    if (!result.success) {
      throw invalidRequest(
        result.error.map((issue) => ({ name: fieldName(issue, target), reason: issue.message })),
      );
    }
  });
}
