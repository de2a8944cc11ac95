import { type Static, Type } from '@sinclair/typebox';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { CaseError } from '../../daemon/cases/index.js';
import { AccountError } from '../auth/index.js';

/** Every code the API answers with, and its HTTP status. */
export const ERROR_CATALOGUE = {
  VALIDATION_FAILED: 400,
  BAD_JSON: 400,
  UNAUTHENTICATED: 401,
  LOGIN_FAILED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CASE_NOT_FOUND: 404,
  SEGMENT_NOT_FOUND: 404,
  BOOKMARK_NOT_FOUND: 404,
  CORRECTION_NOT_FOUND: 404,
  USER_NOT_FOUND: 404,
  DISPLAY_NOT_FOUND: 404,
  MEDIA_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CASE_ALREADY_OPEN: 409,
  CASE_NOT_OPEN: 409,
  USER_EXISTS: 409,
  LAST_ADMIN: 409,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RANGE_NOT_SATISFIABLE: 416,
  CORRECTION_INVALID: 422,
  PHASE_UNKNOWN: 422,
  TIME_OUT_OF_RANGE: 422,
  PASSWORD_TOO_SHORT: 422,
  LOGIN_RATE_LIMITED: 429,
  INTERNAL: 500,
} as const;
export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** The one error body of the API. */
export const ErrorBodySchema = Type.Object(
  {
    statusCode: Type.Integer(),
    code: Type.String({
      description: 'Stable machine-readable code; the catalogue lists each with its HTTP status.',
      enum: Object.keys(ERROR_CATALOGUE),
    }),
    error: Type.String({ description: 'HTTP reason phrase.' }),
    message: Type.String({ description: 'What went wrong and what to do about it.' }),
    details: Type.Optional(Type.Array(Type.String())),
  },
  { $id: 'ErrorBody', additionalProperties: false, description: 'The one error body of the API.' },
);
export type ErrorBody = Static<typeof ErrorBodySchema>;
/** Routes name the shared schema (added once to the API scope) instead of repeating it. */
export const ErrorBody = Type.Unsafe<ErrorBody>({ $ref: 'ErrorBody#' });

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
};

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: string[],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function errorBody(code: ErrorCode, message: string, details?: string[]): ErrorBody {
  const statusCode = ERROR_CATALOGUE[code];
  return {
    statusCode,
    code,
    error: REASONS[statusCode] ?? 'Error',
    message,
    ...(details ? { details } : {}),
  };
}

export function sendError(reply: FastifyReply, code: ErrorCode, message: string, details?: string[]) {
  return reply
    .code(ERROR_CATALOGUE[code])
    .type('application/json')
    .send(errorBody(code, message, details));
}

/** Maps every error thrown in the API scope to the one body shape. Internal details are logged, not sent. */
export function apiErrorHandler(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply) {
  if (err instanceof ApiError) return sendError(reply, err.code, err.message, err.details);
  if (err instanceof CaseError || err instanceof AccountError) return sendError(reply, err.code, err.message);
  const fe = err as FastifyError;
  if (fe.validation) {
    const details = fe.validation.map((v) => {
      const where = `${fe.validationContext ?? 'request'}${v.instancePath || ''}`;
      const extra =
        v.keyword === 'additionalProperties'
          ? ` (${(v.params as { additionalProperty?: string }).additionalProperty})`
          : '';
      return `${where}: ${v.message ?? 'is invalid'}${extra}`;
    });
    return sendError(reply, 'VALIDATION_FAILED', `invalid request: ${details.join('; ')}`, details);
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return sendError(reply, 'BODY_TOO_LARGE', 'the request body is larger than this route accepts');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return sendError(reply, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return sendError(reply, 'BAD_JSON', 'the body is not valid JSON');
  }
  if (err instanceof SyntaxError) return sendError(reply, 'BAD_JSON', 'the body is not valid JSON');
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    req.log.warn({ code: fe.code, statusCode: fe.statusCode }, 'request refused');
    return sendError(reply, 'VALIDATION_FAILED', fe.message);
  }
  req.log.error({ err, url: req.routeOptions.url }, 'request failed');
  return sendError(reply, 'INTERNAL', 'internal error; the daemon log has the details');
}
