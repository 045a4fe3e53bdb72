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
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
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
      userinfo_endpoint: `${issuer}/protocol/openid-connect/userinfo`,
      authorization_endpoint: `${issuer}/protocol/openid-connect/auth`,
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
    });
    expect([...(doc['grant_types_supported'] as string[])].sort()).toEqual([
      'authorization_code',
      'client_credentials',
      'password',
      'refresh_token',
    ]);
    // Only what works is advertised: there is no revocation or introspection endpoint.
    expect(doc).not.toHaveProperty('revocation_endpoint');
    expect(doc).not.toHaveProperty('introspection_endpoint');

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

    // The same user name does not exist in another tenant's realm (Keycloak answers an unknown user 400).
    expect(await login('qa-globex', 'admin@acme.test')).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Invalid user credentials' },
    });
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

  it('rejects a tampered or foreign refresh token', async () => {
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
    expect((await refresh(tokens.refresh_token ?? '')).status).toBe(200);
  });
});

describe('admin REST API', () => {
  it('refuses callers without a master admin token', async () => {
    expect((await fetch(`${kc.url}/admin/realms/qa-acme/roles/manager`)).status).toBe(401);
    const tenantAdmin = (await login('qa-acme', 'admin@acme.test')).body.access_token;
    expect((await admin('GET', '/qa-acme/roles/manager', undefined, tenantAdmin)).status).toBe(401);
    const bad = await admin('GET', '/qa-acme/roles/manager', undefined, 'not-a-token');
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
    expect(await admin('GET', '/no-such-realm/roles/manager', undefined, token)).toMatchObject({
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
    expect((payload['realm_access'] as { roles: string[] }).roles).toEqual([
      'manager',
      'offline_access',
      'uma_authorization',
      `default-roles-${realm}`,
    ]);

    // Disabling the user takes effect at the next refresh.
    expect((await admin('PUT', `/${realm}/users/${id}`, { enabled: false }, token)).status).toBe(204);
    const disabled = await post(oidc(realm, 'token'), {
      grant_type: 'refresh_token',
      client_id: 'qa-api',
      client_secret: 'dev-secret',
      refresh_token: session.body.refresh_token ?? '',
    });
    expect(disabled.status).toBe(400);
    expect((await login(realm, 'new@tnew.test', 'secret-1')).body.error).toBe('invalid_grant');

    expect((await admin('DELETE', `/${realm}/users/${id}`, undefined, token)).status).toBe(204);
    expect(await admin('PUT', `/${realm}/users/${id}`, { enabled: true }, token)).toMatchObject({
      status: 404,
      json: { error: 'User not found' },
    });
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
        credentials: [{ type: 'password', value: 'temporary-pass-1', temporary: true }],
      },
      token,
    );
    expect(created.status).toBe(201);
    expect(await login('qa-globex', 'temp@globex.test', 'temporary-pass-1')).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Account is not fully set up' },
    });
    await admin('DELETE', `/qa-globex/users/${created.location?.split('/').pop() ?? ''}`, undefined, token);
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

describe('brute-force detection and password policy', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A user of qa-acme (brute-force protected, failureFactor 10) for one test. */
  async function freshUser(password = 'lockout-password-1') {
    const username = `lock-${randomBytes(4).toString('hex')}@acme.test`;
    const created = await admin('POST', '/qa-acme/users', {
      username,
      email: username,
      enabled: true,
      credentials: [{ type: 'password', value: password, temporary: false }],
    });
    expect(created.status).toBe(201);
    return { username, password, id: created.location?.split('/').pop() ?? '' };
  }
  const lockedOut = { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid user credentials' } };
  const wrongPassword = {
    status: 401,
    body: { error: 'invalid_grant', error_description: 'Invalid user credentials' },
  };

  it('brute-force lockout: the 10th failure locks the account for a minute, answered like bad credentials even with the right password', async () => {
    const user = await freshUser();
    const start = Date.now();
    vi.useFakeTimers({ toFake: ['Date'], now: start });
    for (let i = 1; i <= 10; i++) {
      vi.setSystemTime(start + i * 2_000); // slower than the quick-login check
      expect(await login('qa-acme', user.username, 'wrong-password'), `failure ${i}`).toEqual(wrongPassword);
    }
    expect(await login('qa-acme', user.username, user.password), 'locked: the right password is refused').toEqual(
      lockedOut,
    );
    vi.setSystemTime(start + 80_000);
    expect((await login('qa-acme', user.username, user.password)).status, 'unlocked after 60 s').toBe(200);
    // The success cleared the count: one failure does not lock again.
    vi.setSystemTime(start + 90_000);
    expect(await login('qa-acme', user.username, 'wrong-password')).toEqual(wrongPassword);
    vi.setSystemTime(start + 92_000);
    expect((await login('qa-acme', user.username, user.password)).status).toBe(200);
  });

  it('brute-force lockout: two failures within a second lock for a minute; enabling the user unlocks', async () => {
    const user = await freshUser();
    expect(await login('qa-acme', user.username, 'wrong-password')).toEqual(wrongPassword);
    expect(await login('qa-acme', user.username, 'wrong-password')).toEqual(wrongPassword);
    expect(await login('qa-acme', user.username, user.password)).toEqual(lockedOut);
    expect((await admin('PUT', `/qa-acme/users/${user.id}`, { enabled: true })).status).toBe(204);
    expect((await login('qa-acme', user.username, user.password)).status).toBe(200);
    // An unknown user is answered the same way as a locked one, and never locks anything.
    expect(await login('qa-acme', 'nobody-at-all@acme.test', 'x')).toEqual(lockedOut);
  });

  it("password policy: user creation and reset-password refuse what the realm policy forbids, in Keycloak's words", async () => {
    const username = `policy-${randomBytes(4).toString('hex')}@acme.test`;
    const create = (password: string) =>
      admin('POST', '/qa-acme/users', {
        username,
        email: username,
        enabled: true,
        credentials: [{ type: 'password', value: password, temporary: false }],
      });
    for (const password of ['too-short', username, 'x'.repeat(257)]) {
      expect(await create(password), password).toMatchObject({
        status: 400,
        json: { errorMessage: 'Password policy not met' },
      });
    }
    const created = await create('a-fine-password-1');
    expect(created.status).toBe(201);
    const id = created.location?.split('/').pop() ?? '';
    const reset = (value: string) =>
      admin('PUT', `/qa-acme/users/${id}/reset-password`, { type: 'password', value, temporary: false });
    expect(await reset('too-short')).toMatchObject({
      status: 400,
      json: { error: 'invalidPasswordMinLengthMessage', error_description: 'Invalid password: minimum length 12.' },
    });
    expect(await reset(username.toUpperCase())).toMatchObject({
      status: 400,
      json: { error: 'invalidPasswordNotUsernameMessage' },
    });
    expect((await reset('another-fine-password')).status).toBe(204);
    expect((await login('qa-acme', username, 'another-fine-password')).status).toBe(200);
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

describe('authorization code flow with PKCE', () => {
  const REDIRECT = 'http://localhost:5173/callback';
  const ORIGIN = 'http://localhost:5173';

  afterEach(() => {
    vi.useRealTimers();
  });

  function pkcePair() {
    const verifier = randomBytes(32).toString('base64url');
    return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
  }

  function authorizeUrl(params: Record<string, string | undefined>): string {
    const url = new URL(oidc('qa-acme', 'auth'));
    const defaults = { client_id: 'qa-web', redirect_uri: REDIRECT, response_type: 'code', scope: 'openid' };
    for (const [k, v] of Object.entries({ ...defaults, ...params })) if (v !== undefined) url.searchParams.set(k, v);
    return url.href;
  }

  /** Opens the login page and returns the form's absolute action URL. */
  async function openLogin(params: Record<string, string | undefined>): Promise<string> {
    const res = await fetch(authorizeUrl(params), { redirect: 'manual' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    const action = html.match(/<form id="kc-form-login" method="post" action="([^"]+)"/)?.[1];
    expect(action).toBeDefined();
    return new URL((action ?? '').replaceAll('&amp;', '&'), kc.url).href;
  }

  function submit(action: string, username: string, password: string) {
    return fetch(action, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username, password }),
    });
  }

  async function codeFor(pkce: { challenge: string }, extra: Record<string, string> = {}) {
    const action = await openLogin({ code_challenge: pkce.challenge, code_challenge_method: 'S256', ...extra });
    const res = await submit(action, 'manager@acme.test', 'dev-password');
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location') ?? '');
    return { location, code: location.searchParams.get('code') ?? '' };
  }

  function redeem(code: string, verifier: string | undefined, extra: Record<string, string> = {}) {
    return post(
      oidc('qa-acme', 'token'),
      {
        grant_type: 'authorization_code',
        client_id: 'qa-web',
        code,
        redirect_uri: REDIRECT,
        ...(verifier === undefined ? {} : { code_verifier: verifier }),
        ...extra,
      },
      { origin: ORIGIN },
    );
  }

  it('logs in through the form and redeems the code for the same tokens the password grant issues', async () => {
    const pkce = pkcePair();
    const { location, code } = await codeFor(pkce, { state: 'st-1', nonce: 'n-1' });
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
    expect(location.searchParams.get('state')).toBe('st-1');
    expect(location.searchParams.get('iss')).toBe(`${kc.url}/realms/qa-acme`);
    const sessionState = location.searchParams.get('session_state');
    expect(sessionState).toMatch(/^[0-9a-f-]{36}$/);
    expect(code.length).toBeGreaterThanOrEqual(32);

    const res = await fetch(oidc('qa-acme', 'token'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: 'qa-web',
        code,
        redirect_uri: REDIRECT,
        code_verifier: pkce.verifier,
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as TokenBody;
    expect(body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 300,
      refresh_expires_in: 1800,
      scope: 'openid email profile',
      session_state: sessionState,
    });
    const { payload } = await verifier('qa-acme')(body.access_token, 'qa-api');
    expect(payload).toMatchObject({
      sub: 'ac000000-0000-4000-8000-000000000002',
      typ: 'Bearer',
      azp: 'qa-web',
      aud: 'qa-api',
      tenant_id: 'acme',
      sid: sessionState,
      email: 'manager@acme.test',
      'allowed-origins': ['http://localhost:3000', 'http://localhost:5173', 'http://127.0.0.1'],
    });
    expect((payload['realm_access'] as { roles: string[] }).roles).toContain('manager');
    const id = await verifier('qa-acme')(body.id_token ?? '');
    expect(id.payload).toMatchObject({ typ: 'ID', aud: 'qa-web', nonce: 'n-1', sid: sessionState });
    expect(decodeJwt(body.refresh_token ?? '')['typ']).toBe('Refresh');
  });

  it('signs the browser out: ends the session and returns to a registered URI, never to another', async () => {
    const pkce = pkcePair();
    const { code } = await codeFor(pkce);
    const { body: tokens } = await redeem(code, pkce.verifier);
    const userinfo = () =>
      fetch(oidc('qa-acme', 'userinfo'), { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect((await userinfo()).status, 'the session is live before sign-out').toBe(200);

    const logoutUrl = (params: Record<string, string>) => {
      const url = new URL(oidc('qa-acme', 'logout'));
      for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
      return url.href;
    };
    const elsewhere = await fetch(
      logoutUrl({ id_token_hint: tokens.id_token ?? '', post_logout_redirect_uri: 'https://evil.example/' }),
      { redirect: 'manual' },
    );
    expect(elsewhere.status, 'an unregistered URI is an error page, not a redirect').toBe(400);
    expect(elsewhere.headers.get('location')).toBeNull();
    expect((await userinfo()).status, 'a refused sign-out ends nothing').toBe(200);

    const res = await fetch(
      logoutUrl({ id_token_hint: tokens.id_token ?? '', post_logout_redirect_uri: ORIGIN + '/', state: 'bye' }),
      { redirect: 'manual' },
    );
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`${ORIGIN}/?state=bye`);
    expect((await userinfo()).status, 'the access token dies with its session').toBe(401);
    const refreshed = await post(
      oidc('qa-acme', 'token'),
      { grant_type: 'refresh_token', client_id: 'qa-web', refresh_token: tokens.refresh_token ?? '' },
      { origin: ORIGIN },
    );
    expect(refreshed.status, 'and so does the refresh token').toBe(400);

    const forged = await fetch(logoutUrl({ id_token_hint: 'not-a-token' }), { redirect: 'manual' });
    expect(forged.status).toBe(400);
  });

  it('serves discovery, token and userinfo to the web origins of the realm clients only', async () => {
    const discovery = await fetch(`${kc.url}/realms/qa-acme/.well-known/openid-configuration`, {
      headers: { origin: ORIGIN },
    });
    expect(discovery.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const loopback = await fetch(`${kc.url}/realms/qa-acme/.well-known/openid-configuration`, {
      headers: { origin: 'http://127.0.0.1:41234' },
    });
    expect(loopback.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:41234');
    const stranger = await fetch(`${kc.url}/realms/qa-acme/.well-known/openid-configuration`, {
      headers: { origin: 'https://evil.example' },
    });
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();

    const preflight = await fetch(oidc('qa-acme', 'userinfo'), {
      method: 'OPTIONS',
      headers: {
        origin: ORIGIN,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(preflight.status).toBe(200);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/);

    const tokens = (await login('qa-acme', 'agent@acme.test')).body;
    const info = await fetch(oidc('qa-acme', 'userinfo'), {
      headers: { origin: ORIGIN, authorization: `Bearer ${tokens.access_token}` },
    });
    expect(info.status).toBe(200);
    expect(info.headers.get('access-control-allow-origin')).toBe(ORIGIN);

    // The confidential API client lists no browser origins, so its token responses carry no CORS grant.
    const apiClient = await fetch(oidc('qa-acme', 'token'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN },
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: 'qa-api',
        client_secret: 'dev-secret',
        username: 'agent@acme.test',
        password: 'dev-password',
      }),
    });
    expect(apiClient.status).toBe(200);
    expect(apiClient.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('re-renders the form on a wrong password, without redirecting', async () => {
    const action = await openLogin({ ...pkceParams() });
    const res = await submit(action, 'manager@acme.test', 'wrong');
    expect(res.status).toBe(200);
    expect(res.headers.get('location')).toBeNull();
    const html = await res.text();
    expect(html).toContain('Invalid username or password.');
    expect(html).toContain('value="manager@acme.test"');
    // The same attempt can still succeed.
    const retry = await submit(action, 'manager@acme.test', 'dev-password');
    expect(retry.status).toBe(302);
    expect(retry.headers.get('location')).toMatch(/^http:\/\/localhost:5173\/callback\?/);
  });

  function pkceParams() {
    return { code_challenge: pkcePair().challenge, code_challenge_method: 'S256' };
  }

  it('shows an error page and never redirects to an unregistered redirect_uri', async () => {
    for (const redirect of [
      'https://evil.example/callback',
      'http://localhost:5174/callback',
      'http://localhost:5173.evil.example/callback',
      'http://localhost:5173/callback#frag',
      'http://127.0.0.2:5173/callback',
    ]) {
      const res = await fetch(authorizeUrl({ redirect_uri: redirect, ...pkceParams() }), { redirect: 'manual' });
      expect(res.status, redirect).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(await res.text()).toContain('Invalid parameter: redirect_uri');
    }
    const missing = await fetch(authorizeUrl({ redirect_uri: undefined, ...pkceParams() }), { redirect: 'manual' });
    expect(missing.status).toBe(400);
    const unknownClient = await fetch(authorizeUrl({ client_id: 'nope', ...pkceParams() }), { redirect: 'manual' });
    expect(unknownClient.status).toBe(400);
    expect(await unknownClient.text()).toContain('Client not found.');
    // The API client has no redirect URIs at all.
    const apiClient = await fetch(authorizeUrl({ client_id: 'qa-api' }), { redirect: 'manual' });
    expect(apiClient.status).toBe(400);
    // Any port on a registered loopback address is the same redirect target (RFC 8252 §7.3).
    const loopback = await fetch(authorizeUrl({ redirect_uri: 'http://127.0.0.1:43210/cb', ...pkceParams() }));
    expect(loopback.status).toBe(200);
  });

  it('requires S256 PKCE from the public client, answering on its redirect URI', async () => {
    const cases: [Record<string, string>, string][] = [
      [{}, 'Missing parameter: code_challenge'],
      [
        { code_challenge: pkcePair().challenge, code_challenge_method: 'plain' },
        'Invalid parameter: code_challenge_method',
      ],
      [{ code_challenge: pkcePair().challenge }, 'Missing parameter: code_challenge_method'],
      [{ code_challenge: 'short', code_challenge_method: 'S256' }, 'Invalid parameter: code_challenge'],
    ];
    for (const [params, description] of cases) {
      const res = await fetch(authorizeUrl({ ...params, state: 'st-2' }), { redirect: 'manual' });
      expect(res.status, description).toBe(302);
      const location = new URL(res.headers.get('location') ?? '');
      expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
      expect(Object.fromEntries(location.searchParams)).toEqual({
        error: 'invalid_request',
        error_description: description,
        state: 'st-2',
        iss: `${kc.url}/realms/qa-acme`,
      });
    }
    const token = await fetch(authorizeUrl({ response_type: 'token', ...pkceParams() }), { redirect: 'manual' });
    expect(new URL(token.headers.get('location') ?? '').searchParams.get('error')).toBe('unsupported_response_type');
  });

  it('refuses a wrong, missing or malformed code_verifier', async () => {
    for (const [verifier, description] of [
      [pkcePair().verifier, 'PKCE verification failed'],
      [undefined, 'PKCE code verifier not specified'],
      ['too-short', 'PKCE invalid code verifier'],
    ] as const) {
      const pkce = pkcePair();
      const { code } = await codeFor(pkce);
      expect(await redeem(code, verifier)).toEqual({
        status: 400,
        body: { error: 'invalid_grant', error_description: description },
      });
    }
  });

  it('accepts a code once; a replay fails and ends the session it created', async () => {
    const pkce = pkcePair();
    const { code } = await codeFor(pkce);
    const first = await redeem(code, pkce.verifier);
    expect(first.status).toBe(200);
    expect(await redeem(code, pkce.verifier)).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Code not valid' },
    });
    const refresh = await post(oidc('qa-acme', 'token'), {
      grant_type: 'refresh_token',
      client_id: 'qa-web',
      refresh_token: first.body.refresh_token ?? '',
    });
    expect(refresh.status).toBe(400);
    expect(refresh.body.error).toBe('invalid_grant');
    expect(await redeem('never-issued', pkce.verifier)).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant' },
    });
  });

  it('refuses a code older than 60 seconds', async () => {
    const pkce = pkcePair();
    const { code } = await codeFor(pkce);
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 61_000 });
    expect(await redeem(code, pkce.verifier)).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Code is expired' },
    });
  });

  it('refuses a code redeemed with another redirect_uri or by another client', async () => {
    const pkce = pkcePair();
    const { code } = await codeFor(pkce);
    expect(await redeem(code, pkce.verifier, { redirect_uri: 'http://localhost:5173/other' })).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Incorrect redirect_uri' },
    });
    const other = pkcePair();
    const second = await codeFor(other);
    const byApi = await redeem(second.code, other.verifier, { client_id: 'qa-api', client_secret: 'dev-secret' });
    expect(byApi).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('answers an expired or unknown login attempt with an error page', async () => {
    const res = await submit(`${kc.url}/realms/qa-acme/login-actions/authenticate?tab_id=nope`, 'a', 'b');
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.text()).toContain('Your login attempt timed out.');
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
