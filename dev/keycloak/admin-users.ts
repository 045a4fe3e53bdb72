/** Admin API for users: create, enable/disable, delete, realm-role assignment and password reset. */
import type { Hono } from 'hono';
import { z } from 'zod';
import { created, parseBody, realmFor, userFor } from './admin-access.ts';
import type { ServerDeps } from './deps.ts';
import { clearFailures } from './brute-force.ts';
import { adminError, adminErrorMessage, oauthError } from './errors.ts';
import { checkPasswordPolicy } from './password-policy.ts';
import { credentialSchema, roleSchema, userSchema } from './representations.ts';
import { findRole } from './roles.ts';
import { endUserSessions } from './sessions.ts';
import { assertUnique, buildUser, setPassword, updateUser } from './users.ts';

export function registerUserAdmin(app: Hono, deps: ServerDeps): void {
  const base = '/admin/realms/:realm/users';

  app.post(base, async (c) => {
    const realm = realmFor(deps, c);
    const user = await buildUser(realm, await parseBody(c, userSchema), 'admin');
    // Checked after the (async) password hashing so a concurrent create of the same user cannot slip through.
    assertUnique(realm, user.username, user.email);
    realm.users.push(user);
    deps.store.changed();
    return created(c, deps, realm.realm, 'users', user.id);
  });

  app.put(`${base}/:id`, async (c) => {
    const realm = realmFor(deps, c);
    const user = userFor(realm, c);
    const rep = await parseBody(c, userSchema);
    if (updateUser(realm, user, rep).disabled) endUserSessions(realm, user.id);
    // Enabling a user through the admin API also lifts a brute-force lockout, as in Keycloak.
    if (rep.enabled === true) clearFailures(realm, user.id);
    deps.store.changed();
    return c.body(null, 204);
  });

  app.delete(`${base}/:id`, (c) => {
    const realm = realmFor(deps, c);
    const user = userFor(realm, c);
    realm.users = realm.users.filter((u) => u !== user);
    endUserSessions(realm, user.id);
    clearFailures(realm, user.id);
    deps.store.changed();
    return c.body(null, 204);
  });

  /** Keycloak looks each role up by name and also requires the id to match what `GET /roles/{name}` returned. */
  app.post(`${base}/:id/role-mappings/realm`, async (c) => {
    const realm = realmFor(deps, c);
    const user = userFor(realm, c);
    for (const rep of await parseBody(c, z.array(roleSchema))) {
      const role = rep.name === undefined ? undefined : findRole(realm, rep.name);
      if (!role || role.id !== rep.id) throw adminError(404, 'Role not found');
      if (!user.realmRoles.includes(role.name)) user.realmRoles.push(role.name);
    }
    deps.store.changed();
    return c.body(null, 204);
  });

  app.put(`${base}/:id/reset-password`, async (c) => {
    const realm = realmFor(deps, c);
    const user = userFor(realm, c);
    const credential = await parseBody(c, credentialSchema);
    if ((credential.type ?? 'password') !== 'password') {
      throw adminErrorMessage(400, 'Only password credentials can be reset');
    }
    if (!credential.value) throw adminErrorMessage(400, 'Missing password value');
    const broken = checkPasswordPolicy(realm.passwordPolicy, credential.value, user);
    // UserResource.resetPassword: the policy's message key and its English text.
    if (broken) throw oauthError(400, broken.key, broken.message);
    await setPassword(user, credential.value, credential.temporary ?? false);
    deps.store.changed();
    return c.body(null, 204);
  });
}
