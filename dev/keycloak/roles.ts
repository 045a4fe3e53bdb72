/** Realm roles: Keycloak's built-in defaults and composite expansion. */
import { randomUUID } from 'node:crypto';
import type { StoredRealm, StoredRole, StoredUser } from './model.ts';

const OFFLINE_ACCESS = 'offline_access';
const UMA_AUTHORIZATION = 'uma_authorization';

export function defaultRoleName(realm: string): string {
  return `default-roles-${realm}`;
}

/**
 * Keycloak creates `offline_access`, `uma_authorization` and the composite `default-roles-<realm>` in every
 * realm, whether or not the import lists them; an import that does list them keeps its own ids and text.
 */
export function ensureBuiltInRoles(realm: StoredRealm): void {
  const add = (name: string, description: string, composites: string[] = []): void => {
    if (!findRole(realm, name)) realm.roles.push({ id: randomUUID(), name, description, composites });
  };
  add(OFFLINE_ACCESS, '${role_offline-access}');
  add(UMA_AUTHORIZATION, '${role_uma_authorization}');
  add(realm.defaultRole, '${role_default-roles}', [OFFLINE_ACCESS, UMA_AUTHORIZATION]);
}

export function findRole(realm: StoredRealm, name: string): StoredRole | undefined {
  return realm.roles.find((r) => r.name === name);
}

/**
 * Effective realm roles in the order Keycloak-issued tokens tend to show them: a composite's children come
 * before the composite, and the default-roles composite goes last.
 */
export function effectiveRealmRoles(realm: StoredRealm, user: StoredUser): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    const role = findRole(realm, name);
    if (!role) return; // a mapping to a deleted role grants nothing
    role.composites.forEach(visit);
    out.push(name);
  };
  const direct = [...user.realmRoles].sort((a, b) => Number(a === realm.defaultRole) - Number(b === realm.defaultRole));
  direct.forEach(visit);
  return out;
}
