import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

/**
 * Request validation for the API scope. Unlike fastify's default, unknown fields are an
 * error (not silently removed) and bodies are never type-coerced ("5" is not 5); only
 * query strings and path parameters, which are text by nature, are coerced.
 */
const strictAjv = new Ajv({
  allErrors: true,
  removeAdditional: false,
  useDefaults: true,
  coerceTypes: false,
  strict: false,
});
const coercingAjv = new Ajv({
  allErrors: true,
  removeAdditional: false,
  useDefaults: true,
  coerceTypes: true,
  strict: false,
});
// ajv-formats' default export is typed as a namespace under NodeNext; its call signature is the plugin.
(addFormats as unknown as (a: Ajv) => void)(strictAjv);
(addFormats as unknown as (a: Ajv) => void)(coercingAjv);

export const apiValidatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? strictAjv : coercingAjv;
  return ajv.compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;
};
