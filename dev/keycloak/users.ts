/** Users: building them from UserRepresentation, uniqueness rules, updates and login lookup. */
import { randomUUID } from 'node:crypto';
import { adminErrorMessage } from './errors.ts';
import type { StoredRealm, StoredUser } from './model.ts';
import { clearFailures, isTemporarilyDisabled, recordFailure } from './brute-force.ts';
import { checkPasswordPolicy, policyNotMetOnCreate } from './password-policy.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
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

function findUserByUsername(realm: StoredRealm, username: string): StoredUser | undefined {
  const wanted = username.toLowerCase();
  return realm.users.find((u) => u.username === wanted);
}

function findUserByEmail(realm: StoredRealm, email: string): StoredUser | undefined {
  const wanted = email.toLowerCase();
  return realm.users.find((u) => u.email === wanted);
}

/** The user a login names: username first, then email when the realm allows email login. */
function findLoginUser(realm: StoredRealm, login: string): StoredUser | undefined {
  const user = findUserByUsername(realm, login);
  if (user || !realm.loginWithEmailAllowed) return user;
  const byEmail = findUserByEmail(realm, login);
  // Service accounts have no password and must never be reachable through a login.
  return byEmail?.serviceAccountClientId ? undefined : byEmail;
}

/**
 * Why a login was refused. An unknown user, a locked-out user and a wrong password are all "Invalid user
 * credentials" to the caller (Keycloak answers the first two 400 and the last 401); the others are
 * Keycloak's direct-grant error descriptions.
 */
export type LoginRefusal =
  | 'Unknown user'
  | 'Temporarily disabled'
  | 'Invalid user credentials'
  | 'Account disabled'
  | 'Account is not fully set up';

/**
 * Checks a username and password the way both the password grant and the login form do: the account is
 * checked before the password (a locked-out account is refused whatever the password), a wrong password
 * counts towards the realm's brute-force lockout, a right one clears the count, and a pending required
 * action blocks the login. The caller persists the realm afterwards.
 */
export async function checkLogin(
  realm: StoredRealm,
  username: string,
  password: string,
  clientAddress: string,
): Promise<{ user: StoredUser } | { refused: LoginRefusal }> {
  const user = findLoginUser(realm, username);
  if (!user) return { refused: 'Unknown user' };
  if (isTemporarilyDisabled(realm, user.id)) return { refused: 'Temporarily disabled' };
  if (!user.enabled) return { refused: 'Account disabled' };
  if (!user.passwordHash || !(await verifyPassword(password, user.passwordHash))) {
    recordFailure(realm, user.id, clientAddress);
    return { refused: 'Invalid user credentials' };
  }
  clearFailures(realm, user.id);
  if (user.requiredActions.length > 0) return { refused: 'Account is not fully set up' };
  return { user };
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

/** Applies a password credential; a temporary one forces UPDATE_PASSWORD, which blocks logins here. */
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
    realmRoles,
    requiredActions: rep.requiredActions ?? [],
    serviceAccountClientId: mode === 'import' ? rep.serviceAccountClientId : undefined,
  };
  // The admin API enforces the realm's password policy; imports are taken as they are.
  if (mode === 'admin') {
    for (const credential of rep.credentials ?? []) {
      const value = (credential.type ?? 'password') === 'password' ? credential.value : undefined;
      if (value !== undefined && checkPasswordPolicy(realm.passwordPolicy, value, user)) throw policyNotMetOnCreate();
    }
  }
  await applyCredentials(user, rep.credentials);
  return user;
}

/**
 * `PUT /admin/realms/{realm}/users/{id}`: fields present in the body change, absent ones stay. Usernames are
 * read-only, as in a realm with Keycloak's default `editUsernameAllowed: false`. Returns whether the update
 * disabled a previously enabled user, whose sessions must then end.
 */
export function updateUser(realm: StoredRealm, user: StoredUser, rep: UserRepresentation): { disabled: boolean } {
  if (rep.username !== undefined && rep.username.trim().toLowerCase() !== user.username) {
    throw adminErrorMessage(400, 'error-user-attribute-read-only', { field: 'username', params: ['username'] });
  }
  const email = rep.email === undefined ? user.email : normalizeEmail(rep.email);
  assertUnique(realm, user.username, email, user.id);
  const wasEnabled = user.enabled;
  Object.assign(user, {
    email,
    firstName: rep.firstName ?? user.firstName,
    lastName: rep.lastName ?? user.lastName,
    enabled: rep.enabled ?? user.enabled,
    emailVerified: rep.emailVerified ?? user.emailVerified,
  });
  return { disabled: wasEnabled && !user.enabled };
}
