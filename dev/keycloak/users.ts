/** Users: building them from UserRepresentation, uniqueness rules, updates, search and the admin view. */
import { randomUUID } from 'node:crypto';
import { adminErrorMessage } from './errors.ts';
import type { StoredRealm, StoredUser } from './model.ts';
import { hashPassword } from './passwords.ts';
import type { CredentialRepresentation, UserRepresentation } from './representations.ts';
import { findRole } from './roles.ts';

const UPDATE_PASSWORD = 'UPDATE_PASSWORD';
// Deliberately loose: Keycloak's own check only rejects obviously malformed addresses.
const EMAIL = /^[^\s@]+@[^\s@]+$/;

export function serviceAccountUsername(clientId: string): string {
  return `service-account-${clientId}`.toLowerCase();
}

export function findUserById(realm: StoredRealm, id: string): StoredUser | undefined {
  return realm.users.find((u) => u.id === id);
}

export function findUserByUsername(realm: StoredRealm, username: string): StoredUser | undefined {
  const wanted = username.toLowerCase();
  return realm.users.find((u) => u.username === wanted);
}

export function findUserByEmail(realm: StoredRealm, email: string): StoredUser | undefined {
  const wanted = email.toLowerCase();
  return realm.users.find((u) => u.email === wanted);
}

/** The user a password grant names: username first, then email when the realm allows email login. */
export function findLoginUser(realm: StoredRealm, login: string): StoredUser | undefined {
  const user = findUserByUsername(realm, login);
  if (user || !realm.loginWithEmailAllowed) return user;
  const byEmail = findUserByEmail(realm, login);
  // Service accounts have no password and must never be reachable through a login form.
  return byEmail?.serviceAccountClientId ? undefined : byEmail;
}

function normalizeEmail(email: string | undefined): string | undefined {
  const value = email?.trim().toLowerCase();
  if (!value) return undefined;
  if (!EMAIL.test(value)) {
    throw adminErrorMessage(400, 'invalidEmailMessage', { field: 'email', params: ['email', value] });
  }
  return value;
}

export function assertUnique(realm: StoredRealm, username: string, email: string | undefined, selfId?: string): void {
  const sameName = findUserByUsername(realm, username);
  if (sameName && sameName.id !== selfId) throw adminErrorMessage(409, 'User exists with same username');
  if (email && !realm.duplicateEmailsAllowed) {
    const sameEmail = findUserByEmail(realm, email);
    if (sameEmail && sameEmail.id !== selfId) throw adminErrorMessage(409, 'User exists with same email');
  }
}

/** Applies a password credential; a temporary one forces UPDATE_PASSWORD, which blocks direct grants. */
export async function setPassword(user: StoredUser, value: string, temporary: boolean): Promise<void> {
  user.passwordHash = await hashPassword(value);
  const others = user.requiredActions.filter((a) => a !== UPDATE_PASSWORD);
  user.requiredActions = temporary ? [...others, UPDATE_PASSWORD] : others;
}

async function applyCredentials(user: StoredUser, credentials: CredentialRepresentation[] | undefined): Promise<void> {
  for (const credential of credentials ?? []) {
    if ((credential.type ?? 'password') !== 'password' || credential.value === undefined) continue;
    await setPassword(user, credential.value, credential.temporary ?? false);
  }
}

/**
 * Builds a user from a UserRepresentation. Realm imports keep the given id and `realmRoles`; the admin API,
 * like Keycloak's, assigns a fresh id, ignores `realmRoles` and grants the realm's default role instead.
 */
export async function buildUser(
  realm: StoredRealm,
  rep: UserRepresentation,
  mode: 'import' | 'admin',
): Promise<StoredUser> {
  const username = rep.username?.trim().toLowerCase();
  if (!username) {
    throw adminErrorMessage(400, 'error-user-attribute-required', { field: 'username', params: ['username'] });
  }
  let realmRoles = [realm.defaultRole];
  if (mode === 'import') {
    realmRoles = rep.realmRoles ?? [];
    const missing = realmRoles.find((name) => !findRole(realm, name));
    if (missing) throw adminErrorMessage(400, `Unable to find realm level role: ${missing}`);
  }
  const user: StoredUser = {
    id: mode === 'import' && rep.id ? rep.id : randomUUID(),
    username,
    email: normalizeEmail(rep.email),
    firstName: rep.firstName,
    lastName: rep.lastName,
    // Keycloak creates users disabled unless the representation says otherwise.
    enabled: rep.enabled ?? false,
    emailVerified: rep.emailVerified ?? false,
    createdTimestamp: (mode === 'import' && rep.createdTimestamp) || Date.now(),
    realmRoles,
    requiredActions: rep.requiredActions ?? [],
    attributes: rep.attributes ?? {},
    serviceAccountClientId: mode === 'import' ? rep.serviceAccountClientId : undefined,
    notBefore: 0,
  };
  await applyCredentials(user, rep.credentials);
  return user;
}

export interface UserChange {
  /** the update disabled a previously enabled user, so their sessions must end */
  disabled: boolean;
}

/**
 * `PUT /admin/realms/{realm}/users/{id}`: fields present in the body change, absent ones stay. Usernames are
 * read-only, as in a realm with Keycloak's default `editUsernameAllowed: false`.
 */
export async function updateUser(realm: StoredRealm, user: StoredUser, rep: UserRepresentation): Promise<UserChange> {
  if (rep.username !== undefined && rep.username.trim().toLowerCase() !== user.username) {
    throw adminErrorMessage(400, 'error-user-attribute-read-only', { field: 'username', params: ['username'] });
  }
  const email = rep.email === undefined ? user.email : normalizeEmail(rep.email);
  assertUnique(realm, user.username, email, user.id);
  // Hash before mutating so a failure cannot leave a half-applied update.
  const draft: StoredUser = { ...user, requiredActions: [...user.requiredActions] };
  await applyCredentials(draft, rep.credentials);
  const wasEnabled = user.enabled;
  Object.assign(user, {
    email,
    firstName: rep.firstName ?? user.firstName,
    lastName: rep.lastName ?? user.lastName,
    enabled: rep.enabled ?? user.enabled,
    emailVerified: rep.emailVerified ?? user.emailVerified,
    attributes: rep.attributes ?? user.attributes,
    requiredActions: rep.requiredActions ?? draft.requiredActions,
    passwordHash: draft.passwordHash,
  });
  return { disabled: wasEnabled && !user.enabled };
}

export interface UserQuery {
  search?: string | undefined;
  username?: string | undefined;
  email?: string | undefined;
  firstName?: string | undefined;
  lastName?: string | undefined;
  enabled?: boolean | undefined;
  exact: boolean;
  first: number;
  max: number;
}

/** `GET /admin/realms/{realm}/users`: substring matches unless `exact=true`, ordered by username. */
export function searchUsers(realm: StoredRealm, query: UserQuery): StoredUser[] {
  const matches = (value: string | undefined, wanted: string | undefined): boolean => {
    if (wanted === undefined) return true;
    const have = (value ?? '').toLowerCase();
    const want = wanted.toLowerCase();
    return query.exact ? have === want : have.includes(want);
  };
  const search = query.search?.toLowerCase().replaceAll('*', '');
  return realm.users
    .filter((u) => !u.serviceAccountClientId) // Keycloak hides service-account users from user search
    .filter((u) => matches(u.username, query.username) && matches(u.email, query.email))
    .filter((u) => matches(u.firstName, query.firstName) && matches(u.lastName, query.lastName))
    .filter((u) => query.enabled === undefined || u.enabled === query.enabled)
    .filter(
      (u) => !search || [u.username, u.email, u.firstName, u.lastName].some((v) => v?.toLowerCase().includes(search)),
    )
    .sort((a, b) => a.username.localeCompare(b.username))
    .slice(query.first, query.first + query.max);
}

/** UserRepresentation as the admin API returns it. */
export function userView(user: StoredUser): Record<string, unknown> {
  return {
    id: user.id,
    username: user.username,
    ...(user.firstName === undefined ? {} : { firstName: user.firstName }),
    ...(user.lastName === undefined ? {} : { lastName: user.lastName }),
    ...(user.email === undefined ? {} : { email: user.email }),
    emailVerified: user.emailVerified,
    ...(Object.keys(user.attributes).length ? { attributes: user.attributes } : {}),
    createdTimestamp: user.createdTimestamp,
    enabled: user.enabled,
    totp: false,
    disableableCredentialTypes: [],
    requiredActions: user.requiredActions,
    notBefore: user.notBefore,
    access: { manageGroupMembership: true, view: true, mapRoles: true, impersonate: true, manage: true },
  };
}
