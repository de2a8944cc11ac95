export type Role = 'display' | 'clinician' | 'admin';
export const ROLES: readonly Role[] = ['display', 'clinician', 'admin'];

/**
 * Who may call a route: anyone, any signed-in principal, or at least a role. Roles nest:
 * an admin may do what a clinician may, a clinician what a display may.
 */
export type Access = 'public' | Role;

const RANK: Record<Role, number> = { display: 1, clinician: 2, admin: 3 };

export const allows = (role: Role | undefined, needed: Access): boolean =>
  needed === 'public' || (role !== undefined && RANK[role] >= RANK[needed]);
