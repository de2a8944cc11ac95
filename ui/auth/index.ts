export {
  AccountError,
  type AccountOptions,
  Accounts,
  type DisplayToken,
  type Principal,
  type User,
} from './accounts.js';
export { type AccessDenied, checkAccess, SESSION_COOKIE, tokenOf } from './authenticate.js';
export { LoginLimiter } from './login-limiter.js';
export { hashPassword, verifyPassword } from './passwords.js';
export { type Access, allows, ROLES, type Role } from './roles.js';
export { DISPLAY_PREFIX, hashToken, newToken, SESSION_PREFIX, TOKEN_PATTERN } from './tokens.js';
