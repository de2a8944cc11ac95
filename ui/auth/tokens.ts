import { createHash, randomBytes } from 'node:crypto';

/** Session tokens start with oss_, display tokens with osd_; 256 random bits each. */
export const SESSION_PREFIX = 'oss_';
export const DISPLAY_PREFIX = 'osd_';
export const TOKEN_PATTERN = '^os[sd]_[A-Za-z0-9_-]{43}$';

export const newToken = (prefix: string): string => prefix + randomBytes(32).toString('base64url');

/** Only this hash is stored, so a copy of the database holds no usable token. */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');
