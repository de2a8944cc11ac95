export { type ApiPluginOptions, apiPlugin, OPENAPI_INFO } from './api-plugin.js';
export {
  ApiError,
  ERROR_CATALOGUE,
  ErrorBody,
  ErrorBodySchema,
  type ErrorCode,
  errorBody,
} from './errors.js';
