export { type ApiPluginOptions, apiPlugin, OPENAPI_INFO } from './api-plugin.js';
export { ApiError, ERROR_CATALOGUE, ErrorBody, type ErrorCode, errorBody } from './errors.js';
