import { randomUUID } from 'node:crypto';
import type { Actor } from '../../daemon/cases/index.js';
import type { Store } from '../../daemon/store/index.js';
import { DUMMY_HASH, hashPassword, verifyPassword } from './passwords.js';
import type { Role } from './roles.js';
import { DISPLAY_PREFIX, hashToken, newToken, SESSION_PREFIX } from './tokens.js';

export interface User {
  id: string;
  username: string;
  role: Role;
  createdAtMs: number;
  updatedAtMs: number;
  disabled: boolean;
}

export interface DisplayToken {
  id: string;
  name: string;
  createdBy: string;
  createdAtMs: number;
  lastUsedAtMs: number | null;
  revoked: boolean;
}

/** A signed-in caller: a user with a role, or a paired display (role display, read-only). */
export type Principal =
  | Extract<Actor, { kind: 'user' }>
  | (Extract<Actor, { kind: 'display' }> & { role: 'display' });

export class AccountError extends Error {
  constructor(
    readonly code:
      | 'USER_EXISTS'
      | 'USER_NOT_FOUND'
      | 'PASSWORD_TOO_SHORT'
      | 'DISPLAY_NOT_FOUND'
      | 'LAST_ADMIN',
    message: string,
  ) {
    super(message);
    this.name = 'AccountError';
  }
}

interface UserRow {
  id: string;
  username: string;
  password_hash: string;
  role: Role;
  created_at: number;
  updated_at: number;
  disabled_at: number | null;
}
interface DisplayRow {
  id: string;
  name: string;
  created_by: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

const toUser = (r: UserRow): User => ({
  id: r.id,
  username: r.username,
  role: r.role,
  createdAtMs: r.created_at,
  updatedAtMs: r.updated_at,
  disabled: r.disabled_at !== null,
});
const toDisplay = (r: DisplayRow): DisplayToken => ({
  id: r.id,
  name: r.name,
  createdBy: r.created_by,
  createdAtMs: r.created_at,
  lastUsedAtMs: r.last_used_at,
  revoked: r.revoked_at !== null,
});

export interface AccountOptions {
  scryptCost: number;
  passwordMinChars: number;
  sessionTtlMs: number;
}

/** Local users (scrypt hashes), login sessions and display tokens. Tokens are stored hashed. */
export class Accounts {
  constructor(
    private readonly store: Store,
    private readonly options: AccountOptions,
  ) {}

  private get db() {
    return this.store.db;
  }

  // ---- users
  listUsers(): User[] {
    return (this.db.prepare('SELECT * FROM users ORDER BY username').all() as UserRow[]).map(toUser);
  }

  getUser(id: string): User | undefined {
    const r = this.db.prepare('SELECT * FROM users WHERE id = ?').get(id) as UserRow | undefined;
    return r && toUser(r);
  }

  findUser(username: string): User | undefined {
    const r = this.db.prepare('SELECT * FROM users WHERE username = ?').get(username) as UserRow | undefined;
    return r && toUser(r);
  }

  async createUser(username: string, password: string, role: Role): Promise<User> {
    this.checkPassword(password);
    if (this.findUser(username)) throw new AccountError('USER_EXISTS', `user "${username}" exists already`);
    const hash = await hashPassword(password, this.options.scryptCost);
    const id = randomUUID();
    const now = Date.now();
    this.db
      .prepare(
        'INSERT INTO users (id, username, password_hash, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(id, username, hash, role, now, now);
    return this.getUser(id)!;
  }

  async updateUser(id: string, patch: { role?: Role; disabled?: boolean; password?: string }): Promise<User> {
    const user = this.getUser(id);
    if (!user) throw new AccountError('USER_NOT_FOUND', `no user ${id}`);
    const demotes =
      user.role === 'admin' && ((patch.role && patch.role !== 'admin') || patch.disabled === true);
    if (demotes && this.activeAdmins() <= 1) {
      throw new AccountError('LAST_ADMIN', 'this is the last active admin; create another admin first');
    }
    if (patch.password !== undefined) this.checkPassword(patch.password);
    const hash =
      patch.password !== undefined ? await hashPassword(patch.password, this.options.scryptCost) : null;
    const now = Date.now();
    this.store.tx(() => {
      this.db
        .prepare(
          `UPDATE users SET role = coalesce(?, role), password_hash = coalesce(?, password_hash),
             disabled_at = CASE WHEN ? IS NULL THEN disabled_at WHEN ? = 1 THEN coalesce(disabled_at, ?) ELSE NULL END,
             updated_at = ? WHERE id = ?`,
        )
        .run(
          patch.role ?? null,
          hash,
          patch.disabled === undefined ? null : 1,
          patch.disabled ? 1 : 0,
          now,
          now,
          id,
        );
      // A disabled user, or one whose password or role changed, signs in again.
      if (patch.disabled || hash || patch.role) {
        this.db
          .prepare('UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL')
          .run(now, id);
      }
    });
    return this.getUser(id)!;
  }

  private activeAdmins(): number {
    return (
      this.db
        .prepare("SELECT count(*) AS n FROM users WHERE role = 'admin' AND disabled_at IS NULL")
        .get() as {
        n: number;
      }
    ).n;
  }

  private checkPassword(password: string): void {
    if (password.length < this.options.passwordMinChars) {
      throw new AccountError(
        'PASSWORD_TOO_SHORT',
        `the password must have at least ${this.options.passwordMinChars} characters`,
      );
    }
  }

  /** The user when the password is right and the account active; same work either way. */
  async verifyLogin(username: string, password: string): Promise<User | undefined> {
    const r = this.db.prepare('SELECT * FROM users WHERE username = ?').get(username) as UserRow | undefined;
    const ok = await verifyPassword(password, r?.password_hash ?? DUMMY_HASH);
    if (!r || !ok || r.disabled_at !== null) return undefined;
    return toUser(r);
  }

  // ---- sessions
  createSession(userId: string): { token: string; expiresAtMs: number } {
    const token = newToken(SESSION_PREFIX);
    const now = Date.now();
    const expiresAtMs = now + this.options.sessionTtlMs;
    // Sessions are not audit records: expired and revoked ones are dropped as new ones begin.
    this.db.prepare('DELETE FROM sessions WHERE expires_at < ? OR revoked_at < ?').run(now, now - 86_400_000);
    this.db
      .prepare('INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)')
      .run(hashToken(token), userId, now, expiresAtMs);
    return { token, expiresAtMs };
  }

  revokeSession(token: string): void {
    this.db
      .prepare('UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL')
      .run(Date.now(), hashToken(token));
  }

  // ---- display tokens
  pairDisplay(name: string, createdBy: string): { display: DisplayToken; token: string } {
    const token = newToken(DISPLAY_PREFIX);
    const id = randomUUID();
    const now = Date.now();
    this.db
      .prepare(
        'INSERT INTO display_tokens (id, name, token_hash, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(id, name, hashToken(token), createdBy, now, now);
    return { display: this.getDisplay(id)!, token };
  }

  listDisplays(): DisplayToken[] {
    return (this.db.prepare('SELECT * FROM display_tokens ORDER BY created_at').all() as DisplayRow[]).map(
      toDisplay,
    );
  }

  getDisplay(id: string): DisplayToken | undefined {
    const r = this.db.prepare('SELECT * FROM display_tokens WHERE id = ?').get(id) as DisplayRow | undefined;
    return r && toDisplay(r);
  }

  revokeDisplay(id: string): DisplayToken {
    const now = Date.now();
    const changed = this.db
      .prepare('UPDATE display_tokens SET revoked_at = coalesce(revoked_at, ?), updated_at = ? WHERE id = ?')
      .run(now, now, id).changes;
    if (changed === 0) throw new AccountError('DISPLAY_NOT_FOUND', `no paired display ${id}`);
    return this.getDisplay(id)!;
  }

  // ---- resolving a token
  /** The principal a bearer token belongs to, if it is valid now. */
  principal(token: string): Principal | undefined {
    const hash = hashToken(token);
    const now = Date.now();
    if (token.startsWith(SESSION_PREFIX)) {
      const r = this.db
        .prepare(
          `SELECT u.* FROM sessions s JOIN users u ON u.id = s.user_id
           WHERE s.token_hash = ? AND s.revoked_at IS NULL AND s.expires_at > ? AND u.disabled_at IS NULL`,
        )
        .get(hash, now) as UserRow | undefined;
      return r && { kind: 'user', id: r.id, username: r.username, role: r.role };
    }
    if (token.startsWith(DISPLAY_PREFIX)) {
      const r = this.db
        .prepare('SELECT * FROM display_tokens WHERE token_hash = ? AND revoked_at IS NULL')
        .get(hash) as DisplayRow | undefined;
      if (!r) return undefined;
      // Coarse: one write per display per minute at most.
      if (r.last_used_at === null || now - r.last_used_at > 60_000) {
        this.db.prepare('UPDATE display_tokens SET last_used_at = ? WHERE id = ?').run(now, r.id);
      }
      return { kind: 'display', id: r.id, name: r.name, role: 'display' };
    }
    return undefined;
  }
}
