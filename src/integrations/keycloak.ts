import type { Config } from '../env';
import { Conflict, Invalid, NotFound, Unauthenticated, Unavailable } from '../lib/errors';
import { log } from '../lib/log';

export interface TokenSet {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  expires_in: number;
  refresh_expires_in?: number;
  token_type: string;
  scope?: string;
}

export interface KeycloakUser {
  id?: string;
  username: string;
  email: string;
  firstName?: string | null;
  lastName?: string | null;
  enabled: boolean;
  emailVerified?: boolean;
  credentials?: { type: 'password'; value: string; temporary: boolean }[];
  realmRoles?: string[];
}

/** Service-account token for the admin API, shared by the isolate until shortly before expiry. */
let adminToken: { key: string; token: string; expiresAt: number } | undefined;

/** Why a readiness probe of Keycloak failed, in words safe to show an unauthenticated caller. */
export class DiscoveryFailed extends Error {
  override name = 'DiscoveryFailed';
}

/**
 * The realm's OpenID discovery document, or DiscoveryFailed within `timeoutMs`. The readiness
 * route uses it: the document is what every token verification starts from (issuer, JWKS URL).
 */
export async function realmDiscovery(config: Config, realm: string, timeoutMs: number): Promise<{ issuer: string }> {
  const url = `${config.keycloak.url}/realms/${encodeURIComponent(realm)}/.well-known/openid-configuration`;
  const signal = AbortSignal.timeout(timeoutMs);
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'manual', signal, headers: { accept: 'application/json' } });
  } catch (err) {
    throw new DiscoveryFailed(signal.aborted ? 'timeout' : 'unreachable', { cause: err });
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new DiscoveryFailed(`HTTP ${res.status}`);
  }
  const doc = (await res.json().catch(() => null)) as { issuer?: unknown } | null;
  if (doc?.issuer !== `${config.keycloak.url}/realms/${realm}`) throw new DiscoveryFailed('unexpected issuer');
  return { issuer: doc.issuer };
}

/**
 * Keycloak's OIDC and admin REST endpoints, as the API uses them. The base URL comes from
 * configuration, so the local stand-in and a real Keycloak run the same code.
 */
export class Keycloak {
  private readonly kc: Config['keycloak'];
  constructor(config: Config) {
    this.kc = config.keycloak;
  }

  private oidc(realm: string, path: string) {
    return `${this.kc.url}/realms/${encodeURIComponent(realm)}/protocol/openid-connect/${path}`;
  }

  private async form(url: string, fields: Record<string, string>): Promise<Response> {
    return call(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
    });
  }

  private clientFields() {
    return { client_id: this.kc.clientId, client_secret: this.kc.clientSecret };
  }

  /** Resource-owner password grant; wrong credentials and unknown realms are both a plain 401. */
  async passwordGrant(realm: string, username: string, password: string): Promise<TokenSet> {
    const res = await this.form(this.oidc(realm, 'token'), {
      grant_type: 'password',
      username,
      password,
      scope: 'openid',
      ...this.clientFields(),
    });
    if (res.ok) return (await res.json()) as TokenSet;
    if (res.status === 400 || res.status === 401 || res.status === 404)
      throw new Unauthenticated('Invalid username, password or tenant.');
    throw new Unavailable('The identity provider is unavailable.');
  }

  async refresh(realm: string, refreshToken: string): Promise<TokenSet> {
    const res = await this.form(this.oidc(realm, 'token'), {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      ...this.clientFields(),
    });
    if (res.ok) return (await res.json()) as TokenSet;
    if (res.status === 400 || res.status === 401 || res.status === 404)
      throw new Unauthenticated('The refresh token is invalid or expired.');
    throw new Unavailable('The identity provider is unavailable.');
  }

  /** Ends the Keycloak session behind the refresh token, so it can no longer be refreshed. */
  async logout(realm: string, refreshToken: string): Promise<void> {
    const res = await this.form(this.oidc(realm, 'logout'), { refresh_token: refreshToken, ...this.clientFields() });
    if (res.ok) return;
    if (res.status === 400 || res.status === 401)
      throw new Invalid('The refresh token is invalid or belongs to another session.', [
        { field: 'refresh_token', message: 'is invalid' },
      ]);
    throw new Unavailable('The identity provider is unavailable.');
  }

  // ---- admin REST API -------------------------------------------------------------------

  private async adminAccessToken(): Promise<string> {
    const key = `${this.kc.url}|${this.kc.adminRealm}|${this.kc.adminClientId}`;
    if (adminToken && adminToken.key === key && adminToken.expiresAt > Date.now()) return adminToken.token;
    const res = await this.form(this.oidc(this.kc.adminRealm, 'token'), {
      grant_type: 'client_credentials',
      client_id: this.kc.adminClientId,
      client_secret: this.kc.adminClientSecret,
    });
    if (!res.ok) throw new Unavailable('The identity provider refused the API service account.');
    const body = (await res.json()) as TokenSet;
    adminToken = { key, token: body.access_token, expiresAt: Date.now() + Math.max(0, body.expires_in - 30) * 1000 };
    return body.access_token;
  }

  private async admin(method: string, path: string, body?: unknown): Promise<Response> {
    const token = await this.adminAccessToken();
    return call(`${this.kc.url}/admin/realms${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  async createRealm(representation: Record<string, unknown>): Promise<void> {
    const res = await this.admin('POST', '', representation);
    if (res.status === 409) throw new Conflict('An identity realm for this tenant already exists.');
    await expectOk(res, 'create the realm');
  }

  async deleteRealm(realm: string): Promise<void> {
    const res = await this.admin('DELETE', `/${encodeURIComponent(realm)}`);
    if (res.status !== 404) await expectOk(res, 'delete the realm');
  }

  /** Creates the user and returns its id (the future token `sub`). */
  async createUser(realm: string, user: KeycloakUser): Promise<string> {
    const res = await this.admin('POST', `/${encodeURIComponent(realm)}/users`, user);
    if (res.status === 409) throw new Conflict('A user with this email already exists.');
    if (res.status === 400 && (await errorMessageOf(res)) === 'Password policy not met')
      throw new Invalid('The identity provider rejected the password.', [
        { field: 'password', message: 'does not meet the password policy' },
      ]);
    await expectOk(res, 'create the user');
    const id = res.headers.get('location')?.split('/').pop();
    if (!id) throw new Unavailable('The identity provider did not return the new user id.');
    return id;
  }

  async deleteUser(realm: string, userId: string): Promise<void> {
    const res = await this.admin('DELETE', `/${encodeURIComponent(realm)}/users/${encodeURIComponent(userId)}`);
    if (res.status !== 404) await expectOk(res, 'delete the user');
  }

  async setEnabled(realm: string, userId: string, enabled: boolean): Promise<void> {
    const res = await this.admin('PUT', `/${encodeURIComponent(realm)}/users/${encodeURIComponent(userId)}`, {
      enabled,
    });
    if (res.status === 404) throw new NotFound('User');
    await expectOk(res, 'update the user');
  }

  async assignRealmRole(realm: string, userId: string, roleName: string): Promise<void> {
    const roleRes = await this.admin('GET', `/${encodeURIComponent(realm)}/roles/${encodeURIComponent(roleName)}`);
    await expectOk(roleRes, 'read the role');
    const role = (await roleRes.json()) as { id: string; name: string };
    const res = await this.admin(
      'POST',
      `/${encodeURIComponent(realm)}/users/${encodeURIComponent(userId)}/role-mappings/realm`,
      [{ id: role.id, name: role.name }],
    );
    await expectOk(res, 'assign the role');
  }

  async resetPassword(realm: string, userId: string, password: string, temporary: boolean): Promise<void> {
    const res = await this.admin(
      'PUT',
      `/${encodeURIComponent(realm)}/users/${encodeURIComponent(userId)}/reset-password`,
      {
        type: 'password',
        value: password,
        temporary,
      },
    );
    if (res.status === 400)
      throw new Invalid('The identity provider rejected the new password.', [
        { field: 'new_password', message: 'does not meet the password policy' },
      ]);
    await expectOk(res, 'set the password');
  }
}

async function call(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  } catch {
    throw new Unavailable('The identity provider is unreachable.');
  }
}

/** Keycloak's admin validation errors are `{"errorMessage": …}`. */
async function errorMessageOf(res: Response): Promise<string | undefined> {
  const body = (await res
    .clone()
    .json()
    .catch(() => undefined)) as { errorMessage?: unknown } | undefined;
  return typeof body?.errorMessage === 'string' ? body.errorMessage : undefined;
}

async function expectOk(res: Response, what: string): Promise<void> {
  if (res.ok) return;
  const text = await res.text().catch(() => '');
  // Keycloak's error bodies name the error (`invalid_grant`...), never a credential.
  (res.status >= 500 ? log.error : log.warn)(`keycloak: could not ${what}`, {
    upstream_status: res.status,
    upstream_body: text.slice(0, 200),
  });
  throw new Unavailable(`The identity provider could not ${what}.`);
}
