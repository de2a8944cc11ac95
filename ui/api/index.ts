export { type ApiPluginOptions, type ApiRouteGroup, apiPlugin, OPENAPI_INFO } from './api-plugin.js';
export { type ApiContext, actorOf, auditRead } from './context.js';
export {
  ApiError,
  ERROR_CATALOGUE,
  ErrorBody,
  ErrorBodySchema,
  type ErrorCode,
  errorBody,
} from './errors.js';
