/** Admin API for realms, realm roles and clients (`/admin/realms[/{realm}[/roles|/clients]]`). */
import { randomUUID } from 'node:crypto';
import {
  ADMIN_REALM,
  adminRoute,
  adminUrl,
  created,
  paging,
  parseBody,
  realmFor,
  realmRoutes,
} from './admin-common.ts';
import type { ServerDeps } from './deps.ts';
import { adminError, adminErrorMessage } from './errors.ts';
import { json, noContent, type Handler, type RequestContext, type Router } from './http.ts';
import type { StoredClient, StoredRealm, StoredRole } from './model.ts';
import { ensureServiceAccount, importRealm, toClient } from './realm-import.ts';
import { clientSchema, protocolMapperSchema, realmSchema, realmUpdateSchema, roleSchema } from './representations.ts';
import { findRole, OFFLINE_ACCESS, roleView, UMA_AUTHORIZATION } from './roles.ts';
import { endUserSessions } from './sessions.ts';
import { userView } from './users.ts';

function realmView(realm: StoredRealm): Record<string, unknown> {
  const defaultRole = findRole(realm, realm.defaultRole);
  return {
    id: realm.id,
    realm: realm.realm,
    ...(realm.displayName === undefined ? {} : { displayName: realm.displayName }),
    enabled: realm.enabled,
    accessTokenLifespan: realm.accessTokenLifespan,
    ssoSessionIdleTimeout: realm.ssoSessionIdleTimeout,
    ssoSessionMaxLifespan: realm.ssoSessionMaxLifespan,
    revokeRefreshToken: realm.revokeRefreshToken,
    duplicateEmailsAllowed: realm.duplicateEmailsAllowed,
    loginWithEmailAllowed: realm.loginWithEmailAllowed,
    notBefore: 0,
    ...(defaultRole ? { defaultRole: roleView(realm, defaultRole) } : {}),
  };
}

function clientView(client: StoredClient): Record<string, unknown> {
  return {
    id: client.id,
    clientId: client.clientId,
    enabled: client.enabled,
    clientAuthenticatorType: 'client-secret',
    ...(client.secret === undefined ? {} : { secret: client.secret }),
    redirectUris: client.redirectUris,
    webOrigins: client.webOrigins,
    bearerOnly: client.bearerOnly,
    standardFlowEnabled: client.standardFlowEnabled,
    implicitFlowEnabled: false,
    directAccessGrantsEnabled: client.directAccessGrantsEnabled,
    serviceAccountsEnabled: client.serviceAccountsEnabled,
    publicClient: client.publicClient,
    protocol: 'openid-connect',
    protocolMappers: client.protocolMappers.map((m) => ({ ...m, protocol: 'openid-connect' })),
  };
}

function clientFor(realm: StoredRealm, ctx: RequestContext): StoredClient {
  const client = realm.clients.find((c) => c.id === ctx.params['id']);
  if (!client) throw adminError(404, 'Could not find client');
  return client;
}

function roleFor(realm: StoredRealm, ctx: RequestContext): StoredRole {
  const role = findRole(realm, ctx.params['role'] ?? '');
  if (!role) throw adminError(404, 'Could not find role');
  return role;
}

function registerRealms(router: Router, deps: ServerDeps): void {
  const route = (method: string, path: string, handler: Handler): void =>
    router.add(method, path, adminRoute(deps, handler));

  route('GET', '/admin/realms', async () => json(200, deps.store.list().map(realmView)));

  route('POST', '/admin/realms', async (ctx) => {
    const rep = await parseBody(ctx, realmSchema);
    await deps.store.create(rep.realm, () => importRealm(rep));
    return created(adminUrl(deps, rep.realm));
  });

  route('GET', '/admin/realms/:realm', async (ctx) => json(200, realmView(realmFor(deps, ctx))));

  route('PUT', '/admin/realms/:realm', async (ctx) => {
    const realm = realmFor(deps, ctx);
    const rep = await parseBody(ctx, realmUpdateSchema);
    if (rep.realm !== undefined && rep.realm !== realm.realm) {
      throw adminErrorMessage(400, 'Renaming a realm is not supported by this server');
    }
    realm.displayName = rep.displayName ?? realm.displayName;
    realm.enabled = rep.enabled ?? realm.enabled;
    realm.accessTokenLifespan = rep.accessTokenLifespan ?? realm.accessTokenLifespan;
    realm.ssoSessionIdleTimeout = rep.ssoSessionIdleTimeout ?? realm.ssoSessionIdleTimeout;
    realm.ssoSessionMaxLifespan = rep.ssoSessionMaxLifespan ?? realm.ssoSessionMaxLifespan;
    realm.revokeRefreshToken = rep.revokeRefreshToken ?? realm.revokeRefreshToken;
    deps.store.changed();
    return noContent();
  });

  route('DELETE', '/admin/realms/:realm', async (ctx) => {
    const realm = realmFor(deps, ctx);
    // Deleting master would lock every admin client out of this server.
    if (realm.realm === ADMIN_REALM) throw adminErrorMessage(400, 'The master realm cannot be deleted');
    deps.store.delete(realm.realm);
    return noContent();
  });
}

function registerRoles(router: Router, deps: ServerDeps): void {
  const base = '/admin/realms/:realm/roles';
  const route = realmRoutes(router, deps);

  route('GET', base, async (_ctx, realm) =>
    json(
      200,
      realm.roles.map((r) => roleView(realm, r)),
    ),
  );

  route('POST', base, async (ctx, realm) => {
    const rep = await parseBody(ctx, roleSchema);
    if (!rep.name) throw adminErrorMessage(400, 'Role name is missing');
    if (findRole(realm, rep.name)) throw adminErrorMessage(409, `Role with name ${rep.name} already exists`);
    realm.roles.push({
      id: randomUUID(),
      name: rep.name,
      description: rep.description,
      composites: rep.composites?.realm ?? [],
    });
    deps.store.changed();
    return created(adminUrl(deps, realm.realm, 'roles', rep.name));
  });

  route('GET', `${base}/:role`, async (ctx, realm) => json(200, roleView(realm, roleFor(realm, ctx))));

  route('DELETE', `${base}/:role`, async (ctx, realm) => {
    const role = roleFor(realm, ctx);
    if ([realm.defaultRole, OFFLINE_ACCESS, UMA_AUTHORIZATION].includes(role.name)) {
      throw adminErrorMessage(400, 'This role is built in and cannot be removed');
    }
    realm.roles = realm.roles.filter((r) => r !== role);
    for (const user of realm.users) user.realmRoles = user.realmRoles.filter((name) => name !== role.name);
    for (const other of realm.roles) other.composites = other.composites.filter((name) => name !== role.name);
    deps.store.changed();
    return noContent();
  });

  route('GET', `${base}/:role/users`, async (ctx, realm) => {
    const role = roleFor(realm, ctx);
    const { first, max } = paging(ctx.url);
    const users = realm.users.filter((u) => u.realmRoles.includes(role.name)).slice(first, first + max);
    return json(200, users.map(userView));
  });
}

function registerClients(router: Router, deps: ServerDeps): void {
  const base = '/admin/realms/:realm/clients';
  const route = realmRoutes(router, deps);

  route('GET', base, async (ctx, realm) => {
    const clientId = ctx.url.searchParams.get('clientId');
    const { first, max } = paging(ctx.url);
    const clients = realm.clients.filter((c) => clientId === null || c.clientId === clientId).slice(first, first + max);
    return json(200, clients.map(clientView));
  });

  route('POST', base, async (ctx, realm) => {
    const rep = await parseBody(ctx, clientSchema);
    if (realm.clients.some((c) => c.clientId === rep.clientId)) {
      throw adminErrorMessage(409, `Client ${rep.clientId} already exists`);
    }
    const client = toClient({ ...rep, id: undefined });
    realm.clients.push(client);
    await ensureServiceAccount(realm, client);
    deps.store.changed();
    return created(adminUrl(deps, realm.realm, 'clients', client.id));
  });

  route('GET', `${base}/:id`, async (ctx, realm) => json(200, clientView(clientFor(realm, ctx))));

  route('DELETE', `${base}/:id`, async (ctx, realm) => {
    const client = clientFor(realm, ctx);
    realm.clients = realm.clients.filter((c) => c !== client);
    const serviceAccount = realm.users.find((u) => u.serviceAccountClientId === client.clientId);
    if (serviceAccount) {
      realm.users = realm.users.filter((u) => u !== serviceAccount);
      endUserSessions(realm, serviceAccount.id);
    }
    realm.sessions = realm.sessions.filter((s) => s.clientId !== client.clientId);
    deps.store.changed();
    return noContent();
  });

  route('GET', `${base}/:id/client-secret`, async (ctx, realm) => {
    const client = clientFor(realm, ctx);
    return json(200, { type: 'secret', ...(client.secret === undefined ? {} : { value: client.secret }) });
  });

  route('GET', `${base}/:id/service-account-user`, async (ctx, realm) => {
    const client = clientFor(realm, ctx);
    const user = realm.users.find((u) => u.serviceAccountClientId === client.clientId);
    if (!user) throw adminErrorMessage(400, 'Service account not enabled for the client');
    return json(200, userView(user));
  });

  route('GET', `${base}/:id/protocol-mappers/models`, async (ctx, realm) => {
    const client = clientFor(realm, ctx);
    return json(
      200,
      client.protocolMappers.map((m) => ({ ...m, protocol: 'openid-connect' })),
    );
  });

  route('POST', `${base}/:id/protocol-mappers/models`, async (ctx, realm) => {
    const client = clientFor(realm, ctx);
    const rep = await parseBody(ctx, protocolMapperSchema);
    const name = rep.name ?? rep.protocolMapper;
    if (client.protocolMappers.some((m) => m.name === name)) {
      throw adminErrorMessage(409, 'Protocol mapper exists with same name');
    }
    const mapper = { id: randomUUID(), name, protocolMapper: rep.protocolMapper, config: rep.config ?? {} };
    client.protocolMappers.push(mapper);
    deps.store.changed();
    return created(adminUrl(deps, realm.realm, 'clients', client.id, 'protocol-mappers', 'models', mapper.id));
  });
}

export function registerRealmAdmin(router: Router, deps: ServerDeps): void {
  registerRealms(router, deps);
  registerRoles(router, deps);
  registerClients(router, deps);
}
