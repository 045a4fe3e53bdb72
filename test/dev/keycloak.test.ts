import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  importJWK,
  jwtVerify,
  SignJWT,
  type JWTPayload,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKeycloak, type KeycloakStandIn } from '../../dev/keycloak/server.ts';

const REALMS_DIR = fileURLToPath(new URL('../../keycloak', import.meta.url));
const ACME_ADMIN_ID = 'ac000000-0000-4000-8000-000000000001';

let kc: KeycloakStandIn;

beforeAll(async () => {
  kc = await startKeycloak({ port: 0, realmsDir: REALMS_DIR });
});

afterAll(async () => {
  await kc?.close();
});

interface TokenBody {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  expires_in: number;
  refresh_expires_in: number;
  token_type: string;
  session_state?: string;
  scope: string;
  error?: string;
  error_description?: string;
}

const oidc = (realm: string, path: string) => `${kc.url}/realms/${realm}/protocol/openid-connect/${path}`;

async function post(url: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as TokenBody };
}

function login(realm: string, username: string, password = 'dev-password', extra: Record<string, string> = {}) {
  return post(oidc(realm, 'token'), {
    grant_type: 'password',
    client_id: 'qa-api',
    client_secret: 'dev-secret',
    username,
    password,
    scope: 'openid',
    ...extra,
  });
}

async function adminToken(): Promise<string> {
  const { status, body } = await post(oidc('master', 'token'), {
    grant_type: 'client_credentials',
    client_id: 'qa-admin',
    client_secret: 'dev-admin-secret',
  });
  expect(status).toBe(200);
  return body.access_token;
}

async function admin(method: string, path: string, body?: unknown, token?: string) {
  const res = await fetch(`${kc.url}/admin/realms${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token ?? (await adminToken())}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    location: res.headers.get('location'),
    json: text ? (JSON.parse(text) as unknown) : undefined,
  };
}

/** Verifies like the API does: remote JWKS (no cooldown, so a rotated kid is refetched), exact issuer, RS256. */
function verifier(realm: string) {
  const jwks = createRemoteJWKSet(new URL(oidc(realm, 'certs')), { cooldownDuration: 0 });
  return (token: string, audience?: string) =>
    jwtVerify(token, jwks, {
      issuer: `${kc.url}/realms/${realm}`,
      algorithms: ['RS256'],
      ...(audience ? { audience } : {}),
    });
}

async function certs(realm: string): Promise<{ keys: { kid: string; use: string; alg: string }[] }> {
  return (await fetch(oidc(realm, 'certs'))).json() as Promise<{ keys: { kid: string; use: string; alg: string }[] }>;
}

describe('discovery and keys', () => {
  it('serves the OpenID configuration of each realm and 404 for unknown realms', async () => {
    const res = await fetch(`${kc.url}/realms/qa-acme/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Record<string, unknown>;
    const issuer = `${kc.url}/realms/qa-acme`;
    expect(doc).toMatchObject({
      issuer,
      token_endpoint: `${issuer}/protocol/openid-connect/token`,
      jwks_uri: `${issuer}/protocol/openid-connect/certs`,
      end_session_endpoint: `${issuer}/protocol/openid-connect/logout`,
      revocation_endpoint: `${issuer}/protocol/openid-connect/revoke`,
      userinfo_endpoint: `${issuer}/protocol/openid-connect/userinfo`,
      introspection_endpoint: `${issuer}/protocol/openid-connect/token/introspect`,
      id_token_signing_alg_values_supported: ['RS256'],
    });
    expect(doc['grant_types_supported']).toEqual(
      expect.arrayContaining(['password', 'refresh_token', 'client_credentials']),
    );

    const missing = await fetch(`${kc.url}/realms/nope/.well-known/openid-configuration`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'Realm does not exist' });
    expect((await fetch(`${kc.url}/no/such/path`)).status).toBe(404);
  });

  it('publishes a signing and an encryption key, and counts JWKS fetches', async () => {
    const before = kc.jwksFetches('qa-platform');
    const { keys } = await certs('qa-platform');
    expect(keys.map((k) => [k.use, k.alg]).sort()).toEqual([
      ['enc', 'RSA-OAEP'],
      ['sig', 'RS256'],
    ]);
    expect(kc.jwksFetches('qa-platform')).toBe(before + 1);
    const stats = (await (await fetch(`${kc.url}/__stats`)).json()) as { jwks_fetches: Record<string, number> };
    expect(stats.jwks_fetches['qa-platform']).toBe(before + 1);
    expect(kc.jwksFetches()).toBeGreaterThanOrEqual(before + 1);
  });
});

describe('password grant', () => {
  it('issues Keycloak-shaped tokens that verify against the JWKS', async () => {
    const { status, body } = await login('qa-acme', 'admin@acme.test');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 300,
      refresh_expires_in: 1800,
      scope: 'openid email profile',
      'not-before-policy': 0,
    });

    const { payload, protectedHeader } = await verifier('qa-acme')(body.access_token, 'qa-api');
    expect(protectedHeader).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    expect(protectedHeader.kid).toBe((await kc.activeSigningKey('qa-acme')).kid);
    expect(payload).toMatchObject({
      sub: ACME_ADMIN_ID,
      typ: 'Bearer',
      azp: 'qa-api',
      aud: 'qa-api',
      tenant_id: 'acme',
      sid: body.session_state,
      acr: '1',
      email: 'admin@acme.test',
      preferred_username: 'admin@acme.test',
      email_verified: true,
    });
    expect(payload['jti']).toMatch(/^onrtro:/);
    expect(payload['session_state']).toBeUndefined(); // dropped from tokens in Keycloak 26
    expect((payload['realm_access'] as { roles: string[] }).roles).toEqual([
      'tenant_admin',
      'offline_access',
      'uma_authorization',
      'default-roles-qa-acme',
    ]);

    const id = await verifier('qa-acme')(body.id_token ?? '');
    expect(id.payload).toMatchObject({ typ: 'ID', aud: 'qa-api', azp: 'qa-api', sub: ACME_ADMIN_ID });
    expect(id.payload['tenant_id']).toBeUndefined();

    const refreshHeader = decodeProtectedHeader(body.refresh_token ?? '');
    expect(refreshHeader.alg).toBe('HS512');
    expect(decodeJwt(body.refresh_token ?? '')['typ']).toBe('Refresh');
  });

  it('keeps tenants apart and gives platform tokens no tenant claim', async () => {
    const globex = decodeJwt((await login('qa-globex', 'manager@globex.test')).body.access_token);
    expect(globex).toMatchObject({ tenant_id: 'globex', iss: `${kc.url}/realms/qa-globex` });
    expect((globex['realm_access'] as { roles: string[] }).roles).toContain('manager');

    const root = decodeJwt((await login('qa-platform', 'root@platform.test')).body.access_token);
    expect(root['tenant_id']).toBeUndefined();
    expect((root['realm_access'] as { roles: string[] }).roles).toContain('super_admin');

    // The same user name does not exist in another tenant's realm.
    expect((await login('qa-globex', 'admin@acme.test')).status).toBe(401);
  });

  it('omits the ID token without the openid scope', async () => {
    const { status, body } = await login('qa-acme', 'agent@acme.test', 'dev-password', { scope: '' });
    expect(status).toBe(200);
    expect(body.id_token).toBeUndefined();
    expect(body.scope).toBe('email profile');
  });

  it('answers bad credentials, clients and grants like Keycloak', async () => {
    expect(await login('qa-acme', 'admin@acme.test', 'wrong')).toEqual({
      status: 401,
      body: { error: 'invalid_grant', error_description: 'Invalid user credentials' },
    });
    expect((await login('qa-acme', 'nobody@acme.test')).body.error).toBe('invalid_grant');

    const badSecret = await post(oidc('qa-acme', 'token'), {
      grant_type: 'password',
      client_id: 'qa-api',
      client_secret: 'nope',
      username: 'admin@acme.test',
      password: 'dev-password',
    });
    expect(badSecret.status).toBe(401);
    expect(badSecret.body.error).toBe('unauthorized_client');

    const unknownClient = await post(oidc('qa-acme', 'token'), {
      grant_type: 'password',
      client_id: 'nope',
      client_secret: 'x',
      username: 'a',
      password: 'b',
    });
    expect(unknownClient).toMatchObject({ status: 401, body: { error: 'invalid_client' } });

    const basic = `Basic ${Buffer.from('qa-api:dev-secret').toString('base64')}`;
    const viaBasic = await post(
      oidc('qa-acme', 'token'),
      { grant_type: 'password', username: 'agent@acme.test', password: 'dev-password' },
      { authorization: basic },
    );
    expect(viaBasic.status).toBe(200);

    const unsupported = await post(oidc('qa-acme', 'token'), {
      grant_type: 'urn:nope',
      client_id: 'qa-api',
      client_secret: 'dev-secret',
    });
    expect(unsupported).toMatchObject({ status: 400, body: { error: 'unsupported_grant_type' } });

    const noServiceAccount = await post(oidc('qa-acme', 'token'), {
      grant_type: 'client_credentials',
      client_id: 'qa-api',
      client_secret: 'dev-secret',
    });
    expect(noServiceAccount).toMatchObject({ status: 400, body: { error: 'unauthorized_client' } });

    const json = await fetch(oidc('qa-acme', 'token'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"grant_type":"password"}',
    });
    expect(json.status).toBe(400);
  });
});

describe('sessions', () => {
  it('rotates refresh tokens, and refresh fails after logout', async () => {
    const first = (await login('qa-acme', 'manager@acme.test')).body;
    const refreshed = await post(oidc('qa-acme', 'token'), {
      grant_type: 'refresh_token',
      client_id: 'qa-api',
      client_secret: 'dev-secret',
      refresh_token: first.refresh_token ?? '',
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refresh_token).not.toBe(first.refresh_token);
    expect(refreshed.body.session_state).toBe(first.session_state);
    expect(decodeJwt(refreshed.body.access_token)['sid']).toBe(first.session_state);

    const other = await post(
      oidc('qa-acme', 'userinfo'),
      {},
      { authorization: `Bearer ${refreshed.body.access_token}` },
    );
    expect(other.status).toBe(200);
    expect(other.body).toMatchObject({
      sub: 'ac000000-0000-4000-8000-000000000002',
      preferred_username: 'manager@acme.test',
    });

    const out = await post(oidc('qa-acme', 'logout'), {
      client_id: 'qa-api',
      client_secret: 'dev-secret',
      refresh_token: refreshed.body.refresh_token ?? '',
    });
    expect(out.status).toBe(204);

    const after = await post(oidc('qa-acme', 'token'), {
      grant_type: 'refresh_token',
      client_id: 'qa-api',
      client_secret: 'dev-secret',
      refresh_token: refreshed.body.refresh_token ?? '',
    });
    expect(after.status).toBe(400);
    expect(after.body.error).toBe('invalid_grant');
    // Keycloak's own endpoints also stop accepting the session's access tokens.
    expect(
      (await post(oidc('qa-acme', 'userinfo'), {}, { authorization: `Bearer ${refreshed.body.access_token}` })).status,
    ).toBe(401);
  });

  it('rejects a tampered or foreign refresh token and ends the session on revoke', async () => {
    const tokens = (await login('qa-acme', 'agent2@acme.test')).body;
    const refresh = (token: string) =>
      post(oidc('qa-acme', 'token'), {
        grant_type: 'refresh_token',
        client_id: 'qa-api',
        client_secret: 'dev-secret',
        refresh_token: token,
      });
    const tampered = await refresh(`${tokens.refresh_token ?? ''}x`);
    expect(tampered).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Invalid refresh token' },
    });
    const globex = (await login('qa-globex', 'agent@globex.test')).body;
    expect((await refresh(globex.refresh_token ?? '')).status).toBe(400);

    const revoked = await post(oidc('qa-acme', 'revoke'), {
      client_id: 'qa-api',
      client_secret: 'dev-secret',
      token: tokens.refresh_token ?? '',
      token_type_hint: 'refresh_token',
    });
    expect(revoked.status).toBe(200);
    expect((await refresh(tokens.refresh_token ?? '')).status).toBe(400);
  });
});

describe('admin REST API', () => {
  it('refuses callers without a master admin token', async () => {
    expect((await fetch(`${kc.url}/admin/realms/qa-acme`)).status).toBe(401);
    const tenantAdmin = (await login('qa-acme', 'admin@acme.test')).body.access_token;
    expect((await admin('GET', '/qa-acme', undefined, tenantAdmin)).status).toBe(401);
    const bad = await admin('GET', '/qa-acme', undefined, 'not-a-token');
    expect(bad).toMatchObject({ status: 401, json: { error: 'HTTP 401 Unauthorized' } });
  });

  it('gives the provisioning client a service-account token', async () => {
    const token = decodeJwt(await adminToken());
    expect(token).toMatchObject({
      azp: 'qa-admin',
      typ: 'Bearer',
      preferred_username: 'service-account-qa-admin',
      iss: `${kc.url}/realms/master`,
    });
    expect(token['sid']).toBeUndefined();
    expect((token['realm_access'] as { roles: string[] }).roles).toContain('admin');
  });

  it('creates a tenant realm and a user who then logs in with the assigned role', async () => {
    const token = await adminToken();
    const realm = `qa-t${Date.now().toString(36)}`;
    const representation = {
      realm,
      enabled: true,
      accessTokenLifespan: 300,
      ssoSessionIdleTimeout: 1800,
      roles: { realm: [{ name: 'tenant_admin' }, { name: 'manager' }, { name: 'agent' }] },
      clients: [
        {
          clientId: 'qa-api',
          secret: 'dev-secret',
          publicClient: false,
          directAccessGrantsEnabled: true,
          protocolMappers: [
            {
              name: 'aud',
              protocol: 'openid-connect',
              protocolMapper: 'oidc-audience-mapper',
              config: { 'included.client.audience': 'qa-api', 'access.token.claim': 'true' },
            },
            {
              name: 'tenant',
              protocol: 'openid-connect',
              protocolMapper: 'oidc-hardcoded-claim-mapper',
              config: { 'claim.name': 'tenant_id', 'claim.value': 'tnew', 'access.token.claim': 'true' },
            },
          ],
        },
      ],
    };
    const made = await admin('POST', '', representation, token);
    expect(made.status).toBe(201);
    expect(made.location).toBe(`${kc.url}/admin/realms/${realm}`);
    expect(await admin('POST', '', representation, token)).toMatchObject({
      status: 409,
      json: { errorMessage: 'Conflict detected. See logs for details' },
    });
    expect((await admin('GET', `/${realm}`, undefined, token)).json).toMatchObject({ realm, enabled: true });
    expect(await admin('GET', '/no-such-realm', undefined, token)).toMatchObject({
      status: 404,
      json: { error: 'Realm not found.' },
    });
    expect((await fetch(`${kc.url}/realms/${realm}/.well-known/openid-configuration`)).status).toBe(200);

    const user = {
      username: 'new@tnew.test',
      email: 'new@tnew.test',
      firstName: 'New',
      lastName: 'User',
      enabled: true,
      emailVerified: true,
    };
    const created = await admin('POST', `/${realm}/users`, user, token);
    expect(created.status).toBe(201);
    const id = created.location?.split('/').pop() ?? '';
    expect(created.location).toBe(`${kc.url}/admin/realms/${realm}/users/${id}`);
    expect(await admin('POST', `/${realm}/users`, user, token)).toMatchObject({
      status: 409,
      json: { errorMessage: 'User exists with same username' },
    });
    expect(await admin('POST', `/${realm}/users`, { ...user, username: 'other' }, token)).toMatchObject({
      status: 409,
      json: { errorMessage: 'User exists with same email' },
    });

    const found = await admin(
      'GET',
      `/${realm}/users?email=${encodeURIComponent('new@tnew.test')}&exact=true`,
      undefined,
      token,
    );
    expect(found.json).toMatchObject([{ id, username: 'new@tnew.test', enabled: true }]);

    const role = await admin('GET', `/${realm}/roles/manager`, undefined, token);
    expect(role.json).toMatchObject({ name: 'manager', composite: false, clientRole: false });
    expect(await admin('GET', `/${realm}/roles/nope`, undefined, token)).toMatchObject({
      status: 404,
      json: { error: 'Could not find role' },
    });
    const { id: roleId } = role.json as { id: string };
    expect(
      (await admin('POST', `/${realm}/users/${id}/role-mappings/realm`, [{ name: 'manager' }], token)).status,
    ).toBe(404); // id is required
    expect(
      (await admin('POST', `/${realm}/users/${id}/role-mappings/realm`, [{ id: roleId, name: 'manager' }], token))
        .status,
    ).toBe(204);
    const mapped = (await admin('GET', `/${realm}/users/${id}/role-mappings/realm`, undefined, token)).json as {
      name: string;
    }[];
    expect(mapped.map((r) => r.name).sort()).toEqual([`default-roles-${realm}`, 'manager']);

    expect((await login(realm, 'new@tnew.test', 'secret-1')).status).toBe(401); // no password yet
    expect(
      (
        await admin(
          'PUT',
          `/${realm}/users/${id}/reset-password`,
          { type: 'password', value: 'secret-1', temporary: false },
          token,
        )
      ).status,
    ).toBe(204);
    const session = await login(realm, 'new@tnew.test', 'secret-1');
    expect(session.status).toBe(200);
    const { payload } = await verifier(realm)(session.body.access_token, 'qa-api');
    expect(payload).toMatchObject({ sub: id, tenant_id: 'tnew', azp: 'qa-api' });
    expect((payload['realm_access'] as { roles: string[] }).roles).toContain('manager');

    // Removing the role and disabling the user take effect at the next refresh.
    expect(
      (await admin('DELETE', `/${realm}/users/${id}/role-mappings/realm`, [{ id: roleId, name: 'manager' }], token))
        .status,
    ).toBe(204);
    const refreshed = await post(oidc(realm, 'token'), {
      grant_type: 'refresh_token',
      client_id: 'qa-api',
      client_secret: 'dev-secret',
      refresh_token: session.body.refresh_token ?? '',
    });
    expect((decodeJwt(refreshed.body.access_token)['realm_access'] as { roles: string[] }).roles).not.toContain(
      'manager',
    );
    expect((await admin('PUT', `/${realm}/users/${id}`, { enabled: false }, token)).status).toBe(204);
    const disabled = await post(oidc(realm, 'token'), {
      grant_type: 'refresh_token',
      client_id: 'qa-api',
      client_secret: 'dev-secret',
      refresh_token: refreshed.body.refresh_token ?? '',
    });
    expect(disabled.status).toBe(400);
    expect((await login(realm, 'new@tnew.test', 'secret-1')).body.error).toBe('invalid_grant');

    expect((await admin('DELETE', `/${realm}/users/${id}`, undefined, token)).status).toBe(204);
    expect((await admin('GET', `/${realm}/users/${id}`, undefined, token)).status).toBe(404);
    expect((await admin('DELETE', `/${realm}`, undefined, token)).status).toBe(204);
    expect((await fetch(`${kc.url}/realms/${realm}/.well-known/openid-configuration`)).status).toBe(404);
  });

  it('a temporary password blocks direct grants until it is changed', async () => {
    const token = await adminToken();
    const created = await admin(
      'POST',
      '/qa-globex/users',
      {
        username: 'temp@globex.test',
        email: 'temp@globex.test',
        enabled: true,
        credentials: [{ type: 'password', value: 'tmp', temporary: true }],
      },
      token,
    );
    expect(created.status).toBe(201);
    expect(await login('qa-globex', 'temp@globex.test', 'tmp')).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Account is not fully set up' },
    });
    await admin('DELETE', `/qa-globex/users/${created.location?.split('/').pop() ?? ''}`, undefined, token);
  });

  it('logs a user out of every session', async () => {
    const tokens = (await login('qa-platform', 'root@platform.test')).body;
    const id = 'f0000000-0000-4000-8000-000000000001';
    const sessions = (await admin('GET', `/qa-platform/users/${id}/sessions`)).json as { id: string }[];
    expect(sessions.map((s) => s.id)).toContain(tokens.session_state);
    const introspect = (token: string) =>
      post(oidc('qa-platform', 'token/introspect'), { client_id: 'qa-api', client_secret: 'dev-secret', token });
    expect((await introspect(tokens.access_token)).body).toMatchObject({ active: true, sub: id });

    expect((await admin('POST', `/qa-platform/users/${id}/logout`)).status).toBe(204);
    expect((await admin('GET', `/qa-platform/users/${id}/sessions`)).json).toEqual([]);
    expect((await introspect(tokens.access_token)).body).toEqual({ active: false });
    const refresh = await post(oidc('qa-platform', 'token'), {
      grant_type: 'refresh_token',
      client_id: 'qa-api',
      client_secret: 'dev-secret',
      refresh_token: tokens.refresh_token ?? '',
    });
    expect(refresh.status).toBe(400);
  });

  it('rejects malformed bodies with 400', async () => {
    const res = await fetch(`${kc.url}/admin/realms`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await adminToken()}`, 'content-type': 'application/json' },
      body: '{nope',
    });
    expect(res.status).toBe(400);
    expect((await admin('POST', '', { enabled: true })).status).toBe(400);
  });
});

describe('key rotation', () => {
  it('signs with the new key, keeps the old one verifying, and unpublishes deleted keys', async () => {
    const verify = verifier('qa-globex');
    const old = (await login('qa-globex', 'admin@globex.test')).body.access_token;
    await verify(old); // primes the verifier's cache with the current JWKS
    const oldKid = decodeProtectedHeader(old).kid;
    const oldComponent = (
      (await admin('GET', '/qa-globex/keys')).json as { keys: { kid: string; providerId: string }[] }
    ).keys.find((k) => k.kid === oldKid);
    expect(oldComponent).toBeDefined();

    const rotated = await admin('POST', '/qa-globex/components', {
      name: 'rotated',
      providerId: 'rsa-generated',
      providerType: 'org.keycloak.keys.KeyProvider',
      config: { priority: ['200'] },
    });
    expect(rotated.status).toBe(201);
    const componentId = rotated.location?.split('/').pop();
    expect(rotated.location).toBe(`${kc.url}/admin/realms/qa-globex/components/${componentId}`);

    const fresh = (await login('qa-globex', 'admin@globex.test')).body.access_token;
    const newKid = decodeProtectedHeader(fresh).kid;
    expect(newKid).not.toBe(oldKid);
    expect((await kc.activeSigningKey('qa-globex')).kid).toBe(newKid);
    const keys = (await admin('GET', '/qa-globex/keys')).json as {
      active: Record<string, string>;
      keys: { kid: string; providerId: string; providerPriority: number; status: string }[];
    };
    expect(keys.active['RS256']).toBe(newKid);
    expect(keys.keys.find((k) => k.kid === newKid)).toMatchObject({
      providerId: componentId,
      providerPriority: 200,
      status: 'ACTIVE',
    });

    const published = (await certs('qa-globex')).keys.filter((k) => k.use === 'sig').map((k) => k.kid);
    expect(published).toEqual(expect.arrayContaining([oldKid, newKid]));
    const fetchesBefore = kc.jwksFetches('qa-globex');
    await expect(verify(fresh)).resolves.toBeDefined(); // unknown kid → one refetch
    expect(kc.jwksFetches('qa-globex')).toBe(fetchesBefore + 1);
    await expect(verify(old)).resolves.toBeDefined();

    expect((await admin('DELETE', `/qa-globex/components/${oldComponent?.providerId ?? ''}`)).status).toBe(204);
    expect((await certs('qa-globex')).keys.map((k) => k.kid)).not.toContain(oldKid);
    await expect(verifier('qa-globex')(old)).rejects.toThrow();
  });

  it('hands out the active private key so tests can forge tokens the realm accepts', async () => {
    const { kid, privateJwk } = await kc.activeSigningKey('qa-acme');
    const key = await importJWK(privateJwk, 'RS256');
    const now = Math.floor(Date.now() / 1000);
    const claims: JWTPayload = {
      sub: ACME_ADMIN_ID,
      typ: 'Bearer',
      iss: `${kc.url}/realms/qa-acme`,
      iat: now,
      exp: now + 60,
    };
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid }).sign(key);
    await expect(verifier('qa-acme')(forged)).resolves.toBeDefined();
  });
});

describe('persistence', () => {
  it('keeps realms, users and signing keys created at runtime across a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'kc-stand-in-'));
    try {
      const first = await startKeycloak({ port: 0, realmsDir: REALMS_DIR, dataDir });
      const tokenRes = await fetch(`${first.url}/realms/master/protocol/openid-connect/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: 'qa-admin',
          client_secret: 'dev-admin-secret',
        }),
      });
      const { access_token: token } = (await tokenRes.json()) as TokenBody;
      const made = await fetch(`${first.url}/admin/realms`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          realm: 'qa-kept',
          enabled: true,
          clients: [{ clientId: 'qa-api', secret: 's', directAccessGrantsEnabled: true }],
          users: [{ username: 'u@kept.test', enabled: true, credentials: [{ type: 'password', value: 'pw' }] }],
        }),
      });
      expect(made.status).toBe(201);
      const kid = (await first.activeSigningKey('qa-kept')).kid;
      const acmeKid = (await first.activeSigningKey('qa-acme')).kid;
      await first.close();

      const second = await startKeycloak({ port: 0, realmsDir: REALMS_DIR, dataDir });
      try {
        expect((await second.activeSigningKey('qa-kept')).kid).toBe(kid);
        expect((await second.activeSigningKey('qa-acme')).kid).toBe(acmeKid);
        const res = await fetch(`${second.url}/realms/qa-kept/protocol/openid-connect/token`, {
          method: 'POST',
          body: new URLSearchParams({
            grant_type: 'password',
            client_id: 'qa-api',
            client_secret: 's',
            username: 'u@kept.test',
            password: 'pw',
          }),
        });
        expect(res.status).toBe(200);
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
