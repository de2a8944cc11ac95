import { type TSchema, Type } from '@sinclair/typebox';

/**
 * Small helpers so every config leaf carries its default and its documentation in one
 * place. The schema is the one truth: the TypeScript type, the defaults, the validator,
 * the env overrides and `orsight.example.yaml` all come from it.
 */

/** Marks a string as a secret: redacted when printed, may be given as `<key>_file`. */
export const Secret = (description: string) =>
  Type.Optional(Type.String({ description, secret: true, minLength: 1 }));

/** An object section whose missing keys take their defaults. */
export const Section = <T extends Record<string, TSchema>>(description: string, properties: T) =>
  Type.Object(properties, { description, additionalProperties: false, default: {} });

export const Int = (description: string, def: number, min: number, max: number) =>
  Type.Integer({ description, default: def, minimum: min, maximum: max });

export const Num = (description: string, def: number, min: number, max: number) =>
  Type.Number({ description, default: def, minimum: min, maximum: max });

export const Bool = (description: string, def: boolean) => Type.Boolean({ description, default: def });

export const Str = (description: string, def: string, extra: Record<string, unknown> = {}) =>
  Type.String({ description, default: def, ...extra });

/** A string restricted to a fixed list; its static type is the union of the values. */
export const Enum = <const T extends readonly [string, ...string[]]>(
  description: string,
  values: T,
  def: T[number],
) => Type.Unsafe<T[number]>({ type: 'string', enum: [...values], description, default: def });

/** Identifiers that may reach file names, topics and pipeline strings: no escaping needed. */
export const ID_PATTERN = '^[a-z0-9][a-z0-9_-]{0,62}$';
