// The generated zod schemas (zod.gen.ts, from openapi.json) as the forms use them. One difference
// from zod's own checks: the API counts text in Unicode code points (Python's len(), JSON Schema's
// minLength/maxLength), while zod's .min()/.max() count UTF-16 units, so one emoji would count 2.
// `countingCodePoints` moves every string length limit of an object schema to code points.
import { z, ZodDefault, ZodNullable, ZodObject, ZodOptional, ZodString, type ZodRawShape, type ZodTypeAny } from 'zod';

/** The length of `text` as the API counts it: Unicode code points (an emoji is 1, not 2). */
export function textLength(text: string): number {
  return Array.from(text).length;
}

/** The innermost string schema of a field (through optional / nullable / default), if it is one. */
function innerString(t: ZodTypeAny): ZodString | null {
  if (t instanceof ZodOptional || t instanceof ZodNullable) return innerString(t.unwrap());
  if (t instanceof ZodDefault) return innerString(t.removeDefault());
  return t instanceof ZodString ? t : null;
}

/** A field's text limits in code points, from its generated schema: `{ min, max }` (null = none). */
export function textLimits(field: ZodTypeAny): { min: number | null; max: number | null } {
  const s = innerString(field);
  return { min: s?.minLength ?? null, max: s?.maxLength ?? null };
}

function codePointField(t: ZodTypeAny): ZodTypeAny {
  if (t instanceof ZodOptional) return codePointField(t.unwrap()).optional();
  if (t instanceof ZodNullable) return codePointField(t.unwrap()).nullable();
  if (t instanceof ZodDefault) return codePointField(t.removeDefault()).default(t._def.defaultValue());
  if (!(t instanceof ZodString)) return t;
  const { min, max } = textLimits(t);
  if (min === null && max === null) return t;
  const rest = new ZodString({ ...t._def, checks: t._def.checks.filter((c) => c.kind !== 'min' && c.kind !== 'max' && c.kind !== 'length') });
  // The same issue codes zod uses (too_small / too_big), so a form can tell "too short" from "too long".
  return rest.superRefine((text, ctx) => {
    const n = textLength(text);
    if (min !== null && n < min) ctx.addIssue({ code: 'too_small', type: 'string', minimum: min, inclusive: true });
    if (max !== null && n > max) ctx.addIssue({ code: 'too_big', type: 'string', maximum: max, inclusive: true });
  });
}

/**
 * The object schema with each string field's length limits counted in code points, as the API does.
 * Parsing gives the same value types as `schema` (only the length check changes).
 */
export function countingCodePoints<S extends ZodRawShape>(schema: ZodObject<S>): ZodObject<S> {
  const shape = Object.fromEntries(Object.entries(schema.shape).map(([k, v]) => [k, codePointField(v as ZodTypeAny)]));
  return schema.extend(shape) as unknown as ZodObject<S>;
}

/**
 * A text field of a form: a string in, the same string out (trimmed unless `trim: false`), valid
 * when the generated request field accepts it, lengths counted in code points. The issues are the
 * generated field's own (too_small, too_big, invalid_string...), so `errors.<field>.type` tells them apart.
 */
export function textField(field: ZodTypeAny, { trim = true }: { trim?: boolean } = {}) {
  const api = codePointField(field);
  return (trim ? z.string().trim() : z.string()).superRefine((text, ctx) => {
    const checked = api.safeParse(text);
    if (!checked.success) for (const issue of checked.error.issues) ctx.addIssue(issue as Parameters<typeof ctx.addIssue>[0]);
  });
}
