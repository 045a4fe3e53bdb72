/** The public OpenID Connect endpoints of a realm, under `/realms/{realm}` as in Keycloak ≥ 17. */
import type { JWTPayload } from 'jose';
import { acceptAccessToken, bearerToken } from './bearer.ts';
import { authenticateClient } from './client-auth.ts';
import type { ServerDeps } from './deps.ts';
import { HttpError, oauthError } from './errors.ts';
import { checkRefreshToken, tokenEndpoint } from './grants.ts';
import { json, noContent, readForm, type Reply, type RequestContext, type Router } from './http.ts';
import { jwks } from './keys.ts';
import { applyClaimMappers } from './mappers.ts';
import type { StoredRealm } from './model.ts';
import { endSession } from './sessions.ts';
import { profileClaims, scopeIncludes } from './tokens.ts';

function realmOf(deps: ServerDeps, ctx: RequestContext): StoredRealm {
  const realm = deps.store.get(ctx.params['realm'] ?? '');
  if (!realm) throw new HttpError(404, { error: 'Realm does not exist' });
  return realm;
}

function discovery(issuer: string): Record<string, unknown> {
  const oidc = `${issuer}/protocol/openid-connect`;
  const clientAuth = ['client_secret_basic', 'client_secret_post'];
  return {
    issuer,
    authorization_endpoint: `${oidc}/auth`,
    token_endpoint: `${oidc}/token`,
    introspection_endpoint: `${oidc}/token/introspect`,
    userinfo_endpoint: `${oidc}/userinfo`,
    end_session_endpoint: `${oidc}/logout`,
    jwks_uri: `${oidc}/certs`,
    revocation_endpoint: `${oidc}/revoke`,
    // Only the grants this server implements, so clients that read discovery are not misled.
    grant_types_supported: ['password', 'refresh_token', 'client_credentials'],
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    userinfo_signing_alg_values_supported: ['RS256'],
    token_endpoint_auth_methods_supported: clientAuth,
    introspection_endpoint_auth_methods_supported: clientAuth,
    revocation_endpoint_auth_methods_supported: clientAuth,
    scopes_supported: [
      'openid',
      'email',
      'profile',
      'address',
      'phone',
      'offline_access',
      'roles',
      'web-origins',
      'acr',
      'basic',
    ],
    claims_supported: [
      'aud',
      'sub',
      'iss',
      'auth_time',
      'name',
      'given_name',
      'family_name',
      'preferred_username',
      'email',
      'acr',
    ],
    claim_types_supported: ['normal'],
    backchannel_logout_supported: true,
    authorization_response_iss_parameter_supported: true,
  };
}

function invalidToken(realm: StoredRealm, description: string): HttpError {
  return new HttpError(
    401,
    { error: 'invalid_token', error_description: description },
    { 'www-authenticate': `Bearer realm="${realm.realm}", error="invalid_token", error_description="${description}"` },
  );
}

async function userinfo(deps: ServerDeps, realm: StoredRealm, ctx: RequestContext): Promise<Reply> {
  const form = ctx.method === 'POST' ? await readForm(ctx) : new Map<string, string>();
  const token = bearerToken(ctx.headers) ?? form.get('access_token');
  if (!token) throw invalidToken(realm, 'Token not provided');
  const accepted = await acceptAccessToken(deps, realm, token);
  if (!accepted) throw invalidToken(realm, 'Token verification failed');
  const { payload, user } = accepted;
  // Keycloak serves userinfo only to OpenID Connect requests.
  if (!scopeIncludes(String(payload['scope'] ?? ''), 'openid')) {
    throw new HttpError(403, { error: 'insufficient_scope', error_description: 'Missing openid scope' });
  }
  const claims: Record<string, unknown> = { sub: user.id, ...profileClaims(user) };
  const client = realm.clients.find((c) => c.clientId === payload['azp']);
  if (client) applyClaimMappers(claims, client, user, 'userinfo');
  return json(200, claims);
}

async function logout(deps: ServerDeps, realm: StoredRealm, ctx: RequestContext): Promise<Reply> {
  const form = await readForm(ctx);
  const client = authenticateClient(realm, form, ctx.headers.authorization);
  const claims = await checkRefreshToken(deps, realm, form.get('refresh_token'));
  if (claims['azp'] !== client.clientId) throw oauthError(400, 'invalid_grant', 'Unmatching clients');
  // Logging out an already-ended session is not an error in Keycloak.
  if (typeof claims['sid'] === 'string') endSession(realm, claims['sid']);
  deps.store.changed();
  return noContent();
}

/** Decodes a token as either kind this realm issues; undefined if it is neither (or invalid). */
async function identify(
  deps: ServerDeps,
  realm: StoredRealm,
  token: string,
): Promise<{ kind: 'refresh' | 'access'; claims: JWTPayload } | undefined> {
  try {
    return { kind: 'refresh', claims: await deps.tokens.verify(realm, token, 'Refresh') };
  } catch {
    try {
      return { kind: 'access', claims: await deps.tokens.verify(realm, token, 'Bearer') };
    } catch {
      return undefined;
    }
  }
}

/** RFC 7009 revocation: refresh tokens end their session; access tokens are remembered until they expire. */
async function revoke(deps: ServerDeps, realm: StoredRealm, ctx: RequestContext): Promise<Reply> {
  const form = await readForm(ctx);
  const client = authenticateClient(realm, form, ctx.headers.authorization);
  const token = form.get('token');
  if (!token) throw oauthError(400, 'invalid_request', 'Token not provided');
  const hint = form.get('token_type_hint');
  if (hint !== undefined && hint !== 'refresh_token' && hint !== 'access_token') {
    throw oauthError(400, 'unsupported_token_type', 'Unsupported token type');
  }
  const found = await identify(deps, realm, token);
  if (!found) return { status: 200 }; // RFC 7009: an invalid token is not an error
  if (found.claims['azp'] !== client.clientId) throw oauthError(400, 'invalid_request', 'Unmatching clients');
  if (found.kind === 'refresh' && typeof found.claims['sid'] === 'string') endSession(realm, found.claims['sid']);
  if (found.kind === 'access' && found.claims.jti) realm.revokedAccessTokens[found.claims.jti] = found.claims.exp ?? 0;
  deps.store.changed();
  return { status: 200 };
}

async function introspect(deps: ServerDeps, realm: StoredRealm, ctx: RequestContext): Promise<Reply> {
  const form = await readForm(ctx);
  authenticateClient(realm, form, ctx.headers.authorization);
  const token = form.get('token');
  if (!token) throw oauthError(400, 'invalid_request', 'Token not provided');
  const found = await identify(deps, realm, token);
  if (found?.kind === 'access') {
    const accepted = await acceptAccessToken(deps, realm, token);
    if (!accepted) return json(200, { active: false });
    const claims = accepted.payload;
    return json(200, {
      ...claims,
      client_id: claims['azp'],
      username: accepted.user.username,
      token_type: 'Bearer',
      active: true,
    });
  }
  if (found?.kind === 'refresh') {
    return json(200, { ...found.claims, client_id: found.claims['azp'], token_type: 'Refresh', active: true });
  }
  return json(200, { active: false });
}

export function registerOidcRoutes(router: Router, deps: ServerDeps): void {
  const base = '/realms/:realm';
  const oidc = `${base}/protocol/openid-connect`;
  const withRealm =
    (handler: (deps: ServerDeps, realm: StoredRealm, ctx: RequestContext) => Promise<Reply>) =>
    (ctx: RequestContext): Promise<Reply> =>
      handler(deps, realmOf(deps, ctx), ctx);

  router.add('GET', `${base}/.well-known/openid-configuration`, async (ctx) => {
    const realm = realmOf(deps, ctx);
    return json(200, discovery(deps.tokens.issuer(realm)));
  });
  router.add('GET', `${oidc}/certs`, async (ctx) => {
    const realm = realmOf(deps, ctx);
    deps.stats.record(realm.realm);
    return json(200, jwks(realm), { 'cache-control': 'no-cache' });
  });
  router.add('POST', `${oidc}/token`, withRealm(tokenEndpoint));
  router.add('POST', `${oidc}/token/introspect`, withRealm(introspect));
  router.add('POST', `${oidc}/logout`, withRealm(logout));
  router.add('POST', `${oidc}/revoke`, withRealm(revoke));
  router.add('GET', `${oidc}/userinfo`, withRealm(userinfo));
  router.add('POST', `${oidc}/userinfo`, withRealm(userinfo));
}
