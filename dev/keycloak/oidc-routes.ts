/** The public OpenID Connect endpoints of a realm, under `/realms/{realm}` as in Keycloak ≥ 17. */
import type { Context, Hono } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { acceptAccessToken, bearerToken } from './bearer.ts';
import { browserLogout } from './browser-logout.ts';
import { authenticateClient } from './client-auth.ts';
import { clientAllowsOrigin, preflight, realmAllowsOrigin, withCors } from './cors.ts';
import type { ServerDeps } from './deps.ts';
import { HttpError, oauthError } from './errors.ts';
import { readForm } from './forms.ts';
import { checkRefreshToken, GRANT_TYPES, grantTokens, KNOWN_SCOPES } from './grants.ts';
import { jwks } from './keys.ts';
import { applyClaimMappers } from './mappers.ts';
import type { StoredRealm } from './model.ts';
import { endSession } from './sessions.ts';
import { profileClaims, scopeIncludes } from './tokens.ts';

function realmOf(deps: ServerDeps, c: Context): StoredRealm {
  const realm = deps.store.get(c.req.param('realm') ?? '');
  if (!realm) throw new HttpError(404, { error: 'Realm does not exist' });
  return realm;
}

/** Advertises only what this server implements, so clients that read discovery are not misled. */
function discovery(issuer: string): Record<string, unknown> {
  const oidc = `${issuer}/protocol/openid-connect`;
  const clientAuth = ['client_secret_basic', 'client_secret_post'];
  return {
    issuer,
    authorization_endpoint: `${oidc}/auth`,
    token_endpoint: `${oidc}/token`,
    userinfo_endpoint: `${oidc}/userinfo`,
    end_session_endpoint: `${oidc}/logout`,
    jwks_uri: `${oidc}/certs`,
    grant_types_supported: GRANT_TYPES,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    code_challenge_methods_supported: ['S256'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    token_endpoint_auth_methods_supported: clientAuth,
    scopes_supported: KNOWN_SCOPES,
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

async function userinfo(deps: ServerDeps, realm: StoredRealm, c: Context): Promise<Response> {
  const form = c.req.method === 'POST' ? await readForm(c) : new Map<string, string>();
  const token = bearerToken(c.req.header('authorization')) ?? form.get('access_token');
  if (!token) throw invalidToken(realm, 'Token not provided');
  const accepted = await acceptAccessToken(deps, realm, token);
  if (!accepted) throw invalidToken(realm, 'Token verification failed');
  const { payload, user } = accepted;
  // Keycloak serves userinfo only to OpenID Connect requests.
  if (!scopeIncludes(String(payload['scope'] ?? ''), 'openid')) {
    throw new HttpError(403, { error: 'insufficient_scope', error_description: 'Missing openid scope' });
  }
  const claims: Record<string, unknown> = { sub: user.id, ...profileClaims(user) };
  const client = realm.clients.find((cl) => cl.clientId === payload['azp']);
  if (client) applyClaimMappers(claims, client, 'userinfo');
  return c.json(claims);
}

/** Back-channel logout by the client: ends the session behind a refresh token. */
async function logout(deps: ServerDeps, realm: StoredRealm, c: Context): Promise<Response> {
  const form = await readForm(c);
  const client = authenticateClient(realm, form, c.req.header('authorization'));
  const claims = await checkRefreshToken(deps, realm, form.get('refresh_token'));
  if (claims['azp'] !== client.clientId) throw oauthError(400, 'invalid_grant', 'Unmatching clients');
  // Logging out an already-ended session is not an error in Keycloak.
  if (typeof claims['sid'] === 'string') endSession(realm, claims['sid']);
  deps.store.changed();
  return c.body(null, 204);
}

async function token(deps: ServerDeps, realm: StoredRealm, c: Context): Promise<Response> {
  const form = await readForm(c);
  const clientId = form.get('client_id');
  const client = realm.clients.find((cl) => cl.clientId === clientId);
  // Errors get CORS headers too, or the browser could not read why its request failed.
  let response: Response;
  try {
    const body = await grantTokens(deps, realm, form, {
      authorization: c.req.header('authorization'),
      clientAddress: getConnInfo(c).remote.address ?? '',
    });
    response = c.json(body, 200, { 'cache-control': 'no-store', pragma: 'no-cache' });
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    response = err.toResponse();
  }
  return withCors(c, response, clientAllowsOrigin(client));
}

export function registerOidcRoutes(app: Hono, deps: ServerDeps): void {
  const base = '/realms/:realm';
  const oidc = `${base}/protocol/openid-connect`;
  const realmWide = (c: Context, response: Response) =>
    withCors(c, response, (origin) => realmAllowsOrigin(realmOf(deps, c), origin));
  const onRealm = (handler: (deps: ServerDeps, realm: StoredRealm, c: Context) => Promise<Response>) => (c: Context) =>
    handler(deps, realmOf(deps, c), c);

  app.get(`${base}/.well-known/openid-configuration`, (c) =>
    realmWide(c, c.json(discovery(deps.tokens.issuer(realmOf(deps, c))))),
  );
  app.get(`${oidc}/certs`, (c) => {
    // Counted before the realm is looked up: a fetch for a realm that does not exist is a fetch too.
    deps.stats.record(c.req.param('realm') ?? '');
    const realm = realmOf(deps, c);
    return realmWide(c, c.json(jwks(realm), 200, { 'cache-control': 'no-cache' }));
  });
  app.post(`${oidc}/token`, onRealm(token));
  app.post(`${oidc}/logout`, onRealm(logout));
  app.get(`${oidc}/logout`, onRealm(browserLogout));
  app.on(['GET', 'POST'], `${oidc}/userinfo`, async (c) => {
    const realm = realmOf(deps, c);
    let response: Response;
    try {
      response = await userinfo(deps, realm, c);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      response = err.toResponse();
    }
    return realmWide(c, response);
  });
  for (const [path, methods] of [
    [`${base}/.well-known/openid-configuration`, 'GET, OPTIONS'],
    [`${oidc}/certs`, 'GET, OPTIONS'],
    [`${oidc}/token`, 'POST, OPTIONS'],
    [`${oidc}/userinfo`, 'GET, POST, OPTIONS'],
  ] as const) {
    app.options(path, (c) => preflight(c, deps.store.get(c.req.param('realm') ?? ''), methods));
  }
}
