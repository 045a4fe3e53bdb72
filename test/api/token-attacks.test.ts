import { decodeJwt, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { call, expectProblem, forgeToken, IDS, KEYCLOAK, passwordGrant, tokenOf } from './helpers';

const profileWith = (token: string) => call('/api/auth/profile', { headers: { authorization: `Bearer ${token}` } });
const b64url = (v: object | string) =>
  btoa(typeof v === 'string' ? v : JSON.stringify(v))
    .replace(/=+$/, '')
    .replace(/\+/g, '-')
    .replace(/\//g, '_');

async function jwksFetches(realm: string): Promise<number> {
  const stats = (await (await fetch(`${KEYCLOAK}/__stats`)).json()) as { jwks_fetches: Record<string, number> };
  return stats.jwks_fetches[realm] ?? 0;
}

async function adminToken(): Promise<string> {
  const res = await fetch(`${KEYCLOAK}/realms/master/protocol/openid-connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: 'qa-admin',
      client_secret: 'dev-admin-secret',
    }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

const manager = {
  sub: IDS['manager@acme.test'],
  realm_access: { roles: ['manager'] },
  email: 'manager@acme.test',
  tenant_id: 'acme',
};

/** Every one of these must be a 401 that does not say which check failed. */
async function expectRejected(token: string) {
  const body = await expectProblem(await profileWith(token), 401);
  expect(body.detail).toBe('A valid bearer token is required.');
}

describe('token attacks', () => {
  it('accepts a genuine token (control)', async () => {
    expect((await profileWith(await tokenOf('acme_manager'))).status).toBe(200);
    expect(
      (await profileWith(await forgeToken('qa-acme', manager))).status,
      'a token signed with the realm key and valid claims passes',
    ).toBe(200);
  });

  it.each([
    ['missing', undefined],
    ['empty bearer', 'Bearer '],
    ['wrong scheme', 'Basic dXNlcjpwYXNz'],
    ['not a JWT', 'Bearer not-a-jwt'],
    ['two segments', 'Bearer aaa.bbb'],
  ])('rejects a %s Authorization header', async (_case, header) => {
    const res = await call('/api/auth/profile', { headers: header ? { authorization: header } : {} });
    await expectProblem(res, 401);
  });

  it('rejects alg: none', async () => {
    const real = decodeJwt(await tokenOf('acme_manager'));
    await expectRejected(`${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(real)}.`);
  });

  it('rejects HS256 signed with the realm public key as the secret', async () => {
    const jwks = (await (await fetch(`${KEYCLOAK}/realms/qa-acme/protocol/openid-connect/certs`)).json()) as {
      keys: { kid: string; n: string; use: string }[];
    };
    const sig = jwks.keys.find((k) => k.use === 'sig')!;
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({
      ...manager,
      typ: 'Bearer',
      azp: 'qa-api',
      aud: 'qa-api',
      iss: `${KEYCLOAK}/realms/qa-acme`,
      iat: now,
      exp: now + 300,
    })
      .setProtectedHeader({ alg: 'HS256', kid: sig.kid })
      .sign(new TextEncoder().encode(JSON.stringify(sig)));
    await expectRejected(token);
  });

  it('rejects a tampered payload', async () => {
    const [h, , s] = (await tokenOf('acme_agent')).split('.');
    const claims = decodeJwt(await tokenOf('acme_agent'));
    const promoted = { ...claims, realm_access: { roles: ['tenant_admin'] } };
    await expectRejected(`${h}.${b64url(promoted)}.${s}`);
  });

  it('rejects an expired token and one not yet valid', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRejected(await forgeToken('qa-acme', { ...manager, iat: now - 700, exp: now - 60 }));
    await expectRejected(await forgeToken('qa-acme', { ...manager, nbf: now + 120 }));
  });

  it('rejects a wrong issuer, a realm that is not ours, and an issuer on another host', async () => {
    await expectRejected(await forgeToken('qa-acme', { ...manager, iss: `${KEYCLOAK}/realms/qa-globex` }));
    await expectRejected(await forgeToken('qa-acme', { ...manager, iss: `${KEYCLOAK}/realms/master` }));
    await expectRejected(await forgeToken('qa-acme', { ...manager, iss: 'https://evil.example/realms/qa-acme' }));
    await expectRejected(await forgeToken('qa-acme', { ...manager, iss: `${KEYCLOAK}/realms/qa-acme/../qa-globex` }));
  });

  it('rejects a token whose tenant claim disagrees with its realm', async () => {
    await expectRejected(await forgeToken('qa-acme', { ...manager, tenant_id: 'globex' }));
  });

  it('rejects a token for another client or audience', async () => {
    await expectRejected(await forgeToken('qa-acme', { ...manager, azp: 'some-other-client' }));
    await expectRejected(await forgeToken('qa-acme', { ...manager, aud: 'account' }));
    // A configured browser client's token needs the API's audience like any other.
    await expectRejected(await forgeToken('qa-acme', { ...manager, azp: 'qa-web', aud: 'account' }));
  });

  it('accepts a token issued to a configured browser client with the API audience', async () => {
    expect((await profileWith(await forgeToken('qa-acme', { ...manager, azp: 'qa-web' }))).status).toBe(200);
  });

  it('rejects an ID token and a refresh token used as an access token', async () => {
    const grant = await passwordGrant('manager@acme.test', 'acme');
    expect(decodeJwt(grant.id_token).typ).toBe('ID');
    await expectRejected(grant.id_token);
    await expectRejected(grant.refresh_token);
  });

  it('never honours super_admin from a tenant realm', async () => {
    const res = await call('/api/tenants', {
      headers: {
        authorization: `Bearer ${await forgeToken('qa-acme', { ...manager, realm_access: { roles: ['super_admin', 'manager'] } })}`,
      },
    });
    await expectProblem(res, 403);
  });

  it('answers 403, not 401, for a genuine token without any role of ours', async () => {
    await expectProblem(
      await profileWith(await forgeToken('qa-acme', { ...manager, realm_access: { roles: ['offline_access'] } })),
      403,
    );
  });

  it('refetches the JWKS once for an unknown kid, then rejects', async () => {
    const stranger = await generateKeyPair('RS256');
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({
      ...manager,
      typ: 'Bearer',
      azp: 'qa-api',
      aud: 'qa-api',
      iss: `${KEYCLOAK}/realms/qa-acme`,
      iat: now,
      exp: now + 300,
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'unknown-kid' })
      .sign(stranger.privateKey);
    await profileWith(await tokenOf('acme_manager')); // warm
    const before = await jwksFetches('qa-acme');
    await expectRejected(token);
    expect(await jwksFetches('qa-acme'), 'exactly one refetch for the unknown kid').toBe(before + 1);
  });

  it('picks up a rotated realm key without a restart', async () => {
    const old = await tokenOf('globex_manager');
    expect((await profileWith(old)).status).toBe(200);
    const res = await fetch(`${KEYCLOAK}/admin/realms/qa-globex/components`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await adminToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'rotated',
        providerId: 'rsa-generated',
        providerType: 'org.keycloak.keys.KeyProvider',
        config: { priority: ['500'] },
      }),
    });
    expect(res.status).toBe(201);
    const fresh = (await passwordGrant('manager@globex.test', 'globex')).access_token;
    expect(decodeJwt(old).iat).toBeDefined();
    expect(JSON.parse(atob(fresh.split('.')[0]!.replace(/-/g, '+').replace(/_/g, '/'))).kid).not.toBe(
      JSON.parse(atob(old.split('.')[0]!.replace(/-/g, '+').replace(/_/g, '/'))).kid,
    );
    expect((await profileWith(fresh)).status, 'a token signed with the new key passes').toBe(200);
    expect((await profileWith(old)).status, 'the old key stays valid while published').toBe(200);
  });
});

describe('JWKS cache', () => {
  /** A token that looks like ours but names a realm no tenant has. */
  const junkToken = (realm: string) => forgeToken('qa-acme', { ...manager, iss: `${KEYCLOAK}/realms/${realm}` });
  const junkRealm = () => `qa-junk${crypto.randomUUID().replace(/-/g, '').slice(0, 12)}`;

  it('JWKS cache: a token naming an unknown realm does not fetch', async () => {
    const realm = junkRealm();
    await expectRejected(await junkToken(realm));
    await expectRejected(await junkToken(realm));
    expect(await jwksFetches(realm), 'no tenant has this realm, so its keys are never asked for').toBe(0);
  });

  it('JWKS cache: junk realms do not evict real realms', async () => {
    // A tenant of this test's own, so no other test file touches its realm's fetch count.
    const id = `j${crypto.randomUUID().slice(0, 8)}`;
    const created = await call('/api/tenants', {
      method: 'POST',
      headers: { authorization: `Bearer ${await tokenOf('super_admin')}` },
      body: {
        tenant_id: id,
        display_name: 'Junk test',
        subdomain: id,
        admin: { email: `a@${id}.test`, first_name: 'A', last_name: 'B', password: 'long-enough-pass' },
      },
    });
    expect(created.status).toBe(201);
    const token = (await passwordGrant(`a@${id}.test`, id, 'long-enough-pass')).access_token;
    expect((await profileWith(token)).status).toBe(200);
    expect(await jwksFetches(`qa-${id}`), 'the first request fetched the key set').toBe(1);

    // More made-up realms than the cache holds key sets.
    const junk = Array.from({ length: 1_001 }, junkRealm);
    for (let i = 0; i < junk.length; i += 50) {
      const statuses = await Promise.all(
        junk.slice(i, i + 50).map(async (realm) => (await profileWith(await junkToken(realm))).status),
      );
      expect(new Set(statuses)).toEqual(new Set([401]));
    }

    expect((await profileWith(token)).status).toBe(200);
    expect(await jwksFetches(`qa-${id}`), 'the real realm kept its key set').toBe(1);
  }, 120_000);
});
