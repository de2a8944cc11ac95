import type { TSchema } from '@sinclair/typebox';

/** A leaf of the config schema, with its path of snake_case keys. */
export interface SchemaLeaf {
  path: string[];
  schema: TSchema;
}

type JsonSchema = TSchema & {
  type?: string | string[];
  properties?: Record<string, TSchema>;
  items?: TSchema;
  secret?: boolean;
  description?: string;
  default?: unknown;
  enum?: unknown[];
};

export const asJson = (s: TSchema): JsonSchema => s as JsonSchema;

/** Every leaf (non-object value) of an object schema, depth first in declaration order. */
export function leaves(schema: TSchema, path: string[] = []): SchemaLeaf[] {
  const s = asJson(schema);
  if (s.type === 'object' && s.properties) {
    return Object.entries(s.properties).flatMap(([key, child]) => leaves(child, [...path, key]));
  }
  return [{ path, schema }];
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Calls `visit` for every object in `value` that matches an object schema, including the
 * objects inside arrays of objects (so secrets inside `capture.sources[]` are found too).
 */
export function visitObjects(
  schema: TSchema,
  value: unknown,
  visit: (props: Record<string, TSchema>, obj: Record<string, unknown>, path: string[]) => void,
  path: string[] = [],
): void {
  const s = asJson(schema);
  if (s.type === 'object' && s.properties && isPlainObject(value)) {
    visit(s.properties, value, path);
    for (const [key, child] of Object.entries(s.properties)) {
      if (key in value) visitObjects(child, value[key], visit, [...path, key]);
    }
  } else if (s.type === 'array' && s.items && Array.isArray(value)) {
    for (const [i, item] of value.entries())
      visitObjects(s.items as TSchema, item, visit, [...path, String(i)]);
  }
}
