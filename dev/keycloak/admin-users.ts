/** Admin API for users: CRUD, realm-role mappings, password reset, logout and sessions. */
import { z } from 'zod';
import { adminUrl, created, paging, parseBody, queryBoolean, realmRoutes, userFor } from './admin-common.ts';
import type { ServerDeps } from './deps.ts';
import { adminError, adminErrorMessage } from './errors.ts';
import { json, noContent, type RequestContext, type Router } from './http.ts';
import type { StoredRealm, StoredRole } from './model.ts';
import { credentialSchema, roleSchema, userSchema } from './representations.ts';
import { effectiveRealmRoles, findRole, roleView } from './roles.ts';
import { endUserSessions } from './sessions.ts';
import { nowSeconds } from './tokens.ts';
import { assertUnique, buildUser, searchUsers, setPassword, updateUser, userView, type UserQuery } from './users.ts';

function userQuery(url: URL): UserQuery {
  const param = (name: string): string | undefined => url.searchParams.get(name) ?? undefined;
  return {
    search: param('search'),
    username: param('username'),
    email: param('email'),
    firstName: param('firstName'),
    lastName: param('lastName'),
    enabled: queryBoolean(url, 'enabled'),
    exact: queryBoolean(url, 'exact') ?? false,
    ...paging(url),
  };
}

/**
 * Resolves a role-mapping body. Keycloak looks each role up by name and also requires the id to match, so a
 * caller must send what `GET /roles/{name}` returned, not a bare name.
 */
function mappedRoles(realm: StoredRealm, reps: z.infer<typeof roleSchema>[]): StoredRole[] {
  return reps.map((rep) => {
    const role = rep.name === undefined ? undefined : findRole(realm, rep.name);
    if (!role || role.id !== rep.id) throw adminError(404, 'Role not found');
    return role;
  });
}

function sessionViews(realm: StoredRealm, userId: string): Record<string, unknown>[] {
  const user = realm.users.find((u) => u.id === userId);
  return realm.sessions
    .filter((s) => s.userId === userId)
    .map((s) => {
      const client = realm.clients.find((c) => c.clientId === s.clientId);
      return {
        id: s.id,
        username: user?.username,
        userId,
        start: s.started * 1000,
        lastAccess: s.lastRefresh * 1000,
        rememberMe: false,
        clients: client ? { [client.id]: client.clientId } : {},
      };
    });
}

export function registerUserAdmin(router: Router, deps: ServerDeps): void {
  const base = '/admin/realms/:realm/users';
  const route = realmRoutes(router, deps);
  const roleList = z.array(roleSchema);

  route('GET', base, async (ctx, realm) => json(200, searchUsers(realm, userQuery(ctx.url)).map(userView)));

  route('GET', `${base}/count`, async (ctx, realm) => {
    const query = { ...userQuery(ctx.url), first: 0, max: Number.MAX_SAFE_INTEGER };
    return json(200, searchUsers(realm, query).length);
  });

  route('POST', base, async (ctx, realm) => {
    const rep = await parseBody(ctx, userSchema);
    const user = await buildUser(realm, rep, 'admin');
    // Checked after the (async) password hashing so a concurrent create of the same user cannot slip through.
    assertUnique(realm, user.username, user.email);
    realm.users.push(user);
    deps.store.changed();
    return created(adminUrl(deps, realm.realm, 'users', user.id));
  });

  route('GET', `${base}/:id`, async (ctx, realm) => json(200, userView(userFor(realm, ctx))));

  route('PUT', `${base}/:id`, async (ctx, realm) => {
    const user = userFor(realm, ctx);
    const rep = await parseBody(ctx, userSchema);
    const change = await updateUser(realm, user, rep);
    if (change.disabled) endUserSessions(realm, user.id);
    deps.store.changed();
    return noContent();
  });

  route('DELETE', `${base}/:id`, async (ctx, realm) => {
    const user = userFor(realm, ctx);
    realm.users = realm.users.filter((u) => u !== user);
    endUserSessions(realm, user.id);
    deps.store.changed();
    return noContent();
  });

  route('GET', `${base}/:id/role-mappings`, async (ctx, realm) => {
    const user = userFor(realm, ctx);
    const roles = user.realmRoles.flatMap((name) => findRole(realm, name) ?? []);
    return json(200, { realmMappings: roles.map((r) => roleView(realm, r)) });
  });

  route('GET', `${base}/:id/role-mappings/realm`, async (ctx, realm) => {
    const user = userFor(realm, ctx);
    const roles = user.realmRoles.flatMap((name) => findRole(realm, name) ?? []);
    return json(
      200,
      roles.map((r) => roleView(realm, r)),
    );
  });

  route('GET', `${base}/:id/role-mappings/realm/composite`, async (ctx, realm) => {
    const user = userFor(realm, ctx);
    const roles = effectiveRealmRoles(realm, user).flatMap((name) => findRole(realm, name) ?? []);
    return json(
      200,
      roles.map((r) => roleView(realm, r)),
    );
  });

  route('POST', `${base}/:id/role-mappings/realm`, async (ctx, realm) => {
    const user = userFor(realm, ctx);
    const roles = mappedRoles(realm, await parseBody(ctx, roleList));
    for (const role of roles) if (!user.realmRoles.includes(role.name)) user.realmRoles.push(role.name);
    deps.store.changed();
    return noContent();
  });

  route('DELETE', `${base}/:id/role-mappings/realm`, async (ctx, realm) => {
    const user = userFor(realm, ctx);
    const body = (await ctx.body()).length === 0 ? [] : await parseBody(ctx, roleList);
    // As in Keycloak, an empty body removes every realm-role mapping.
    const removed = body.length === 0 ? [...user.realmRoles] : mappedRoles(realm, body).map((r) => r.name);
    user.realmRoles = user.realmRoles.filter((name) => !removed.includes(name));
    deps.store.changed();
    return noContent();
  });

  route('PUT', `${base}/:id/reset-password`, async (ctx, realm) => {
    const user = userFor(realm, ctx);
    const credential = await parseBody(ctx, credentialSchema);
    if ((credential.type ?? 'password') !== 'password')
      throw adminErrorMessage(400, 'Only password credentials can be reset');
    if (!credential.value) throw adminErrorMessage(400, 'Missing password value');
    await setPassword(user, credential.value, credential.temporary ?? false);
    deps.store.changed();
    return noContent();
  });

  route('POST', `${base}/:id/logout`, async (ctx, realm) => {
    const user = userFor(realm, ctx);
    endUserSessions(realm, user.id);
    // Keycloak also moves the user's not-before, so access tokens already out stop working at its endpoints.
    user.notBefore = nowSeconds();
    deps.store.changed();
    return noContent();
  });

  route('GET', `${base}/:id/sessions`, async (ctx: RequestContext, realm) =>
    json(200, sessionViews(realm, userFor(realm, ctx).id)),
  );
}
