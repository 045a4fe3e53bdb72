import { ROLES } from '../db/schema';

export type Role = (typeof ROLES)[number];
export { ROLES };

/** super_admin > tenant_admin > manager > agent: each role may do what the ones below it may. */
const RANK: Record<Role, number> = { agent: 1, manager: 2, tenant_admin: 3, super_admin: 4 };

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function atLeast(role: Role, required: Role): boolean {
  return RANK[role] >= RANK[required];
}

/** The highest known role among a token's realm roles, or null when it has none of ours. */
export function highestRole(roles: readonly unknown[]): Role | null {
  let best: Role | null = null;
  for (const r of roles) if (isRole(r) && (!best || RANK[r] > RANK[best])) best = r;
  return best;
}

/** Roles a user of `role` may hand out: their own and below, never super_admin in a tenant. */
export function assignableRoles(role: Role): Role[] {
  return ROLES.filter((r) => r !== 'super_admin' && RANK[r] <= RANK[role]);
}

/** What each role may do, as the profile and permissions endpoints report it. */
const OWN: Record<Role, string[]> = {
  agent: [
    'profile:read',
    'profile:update',
    'organizations:read',
    'calls:upload',
    'calls:read:own',
    'coaching:read:own',
  ],
  manager: [
    'users:read',
    'users:create',
    'users:update',
    'departments:create',
    'teams:create',
    'calls:read',
    'calls:delete',
    'criteria:manage',
    'alerts:manage',
    'command-center:read',
  ],
  tenant_admin: [
    'organizations:create',
    'tenant:read',
    'tenant:update',
    'tenant:usage',
    'feature-flags:manage',
    'settings:manage',
    'audit-logs:read',
  ],
  super_admin: ['tenants:list', 'tenants:create', 'tenants:any'],
};

export function permissionsOf(role: Role): string[] {
  return ROLES.filter((r) => atLeast(role, r)).flatMap((r) => OWN[r]);
}
