/** The token endpoint's grants: password, refresh_token and client_credentials, with Keycloak's error answers. */
import type { JWTPayload } from 'jose';
import { authenticateClient } from './client-auth.ts';
import type { ServerDeps } from './deps.ts';
import { oauthError } from './errors.ts';
import { json, readForm, type Reply, type RequestContext } from './http.ts';
import type { StoredClient, StoredRealm } from './model.ts';
import { verifyPassword } from './passwords.ts';
import { createSession, endSession, liveSession } from './sessions.ts';
import { nowSeconds, type TokenResponse } from './tokens.ts';
import { findLoginUser, findUserById } from './users.ts';

const DEFAULT_SCOPES = ['email', 'profile'];
const OPTIONAL_SCOPES = ['address', 'phone', 'offline_access', 'microprofile-jwt', 'organization'];
// Default client scopes Keycloak 26 applies without listing them in the `scope` claim.
const UNLISTED_SCOPES = ['basic', 'acr', 'roles', 'web-origins'];

/** The `scope` claim for a request: `openid` if asked, the default scopes, then any optional ones asked. */
export function resolveScope(requested: string | undefined): string {
  const parts = (requested ?? '').split(' ').filter(Boolean);
  const known = new Set(['openid', ...DEFAULT_SCOPES, ...OPTIONAL_SCOPES, ...UNLISTED_SCOPES]);
  if (parts.some((p) => !known.has(p))) throw oauthError(400, 'invalid_scope', `Invalid scopes: ${requested ?? ''}`);
  const optional = OPTIONAL_SCOPES.filter((s) => parts.includes(s));
  return [...(parts.includes('openid') ? ['openid'] : []), ...DEFAULT_SCOPES, ...optional].join(' ');
}

function tokenReply(body: TokenResponse): Reply {
  return json(200, body, { 'cache-control': 'no-store', pragma: 'no-cache' });
}

interface GrantInput {
  deps: ServerDeps;
  realm: StoredRealm;
  client: StoredClient;
  form: Map<string, string>;
  ctx: RequestContext;
}

async function passwordGrant({ deps, realm, client, form, ctx }: GrantInput): Promise<Reply> {
  if (!client.directAccessGrantsEnabled) {
    throw oauthError(400, 'unauthorized_client', 'Client not allowed for direct access grants');
  }
  const username = form.get('username');
  if (!username) throw oauthError(400, 'invalid_request', 'Missing parameter: username');
  const scope = resolveScope(form.get('scope'));
  const user = findLoginUser(realm, username);
  if (!user) throw oauthError(401, 'invalid_grant', 'Invalid user credentials');
  // Keycloak's direct-grant flow checks the account before the password.
  if (!user.enabled) throw oauthError(400, 'invalid_grant', 'Account disabled');
  const password = form.get('password') ?? '';
  if (!user.passwordHash || !(await verifyPassword(password, user.passwordHash))) {
    throw oauthError(401, 'invalid_grant', 'Invalid user credentials');
  }
  if (user.requiredActions.length > 0) throw oauthError(400, 'invalid_grant', 'Account is not fully set up');
  const session = createSession(realm, user.id, client.clientId, scope, nowSeconds());
  const body = await deps.tokens.issue({
    realm,
    client,
    user,
    session,
    scope,
    jtiPrefix: 'onrtro:',
    clientAddress: ctx.remoteAddress,
  });
  deps.store.changed();
  return tokenReply(body);
}

/** Validates a refresh token the way Keycloak's TokenManager does, returning its claims. */
export async function checkRefreshToken(
  deps: ServerDeps,
  realm: StoredRealm,
  token: string | undefined,
): Promise<JWTPayload> {
  if (!token) throw oauthError(400, 'invalid_request', 'Missing parameter: refresh_token');
  try {
    return await deps.tokens.verify(realm, token, 'Refresh');
  } catch {
    throw oauthError(400, 'invalid_grant', 'Invalid refresh token');
  }
}

async function refreshGrant({ deps, realm, client, form, ctx }: GrantInput): Promise<Reply> {
  const claims = await checkRefreshToken(deps, realm, form.get('refresh_token'));
  if (claims['azp'] !== client.clientId) {
    throw oauthError(400, 'invalid_grant', "Invalid refresh token. Token client and authorized client don't match");
  }
  const now = nowSeconds();
  const session = liveSession(realm, claims['sid'], now);
  if (!session) throw oauthError(400, 'invalid_grant', 'Session not active');
  const user = findUserById(realm, session.userId);
  if (!user) throw oauthError(400, 'invalid_grant', 'Unknown user');
  if (!user.enabled) throw oauthError(400, 'invalid_grant', 'User disabled');
  if ((claims.iat ?? 0) < user.notBefore) throw oauthError(400, 'invalid_grant', 'Stale token');
  if (realm.revokeRefreshToken && claims.jti !== session.currentRefreshJti) {
    // Reuse of a rotated-out refresh token is treated as theft: the whole session ends.
    endSession(realm, session.id);
    deps.store.changed();
    throw oauthError(400, 'invalid_grant', 'Maximum allowed refresh token reuse exceeded');
  }
  session.lastRefresh = now;
  const body = await deps.tokens.issue({
    realm,
    client,
    user,
    session,
    scope: session.scope,
    jtiPrefix: 'onrtrt:',
    clientAddress: ctx.remoteAddress,
  });
  deps.store.changed();
  return tokenReply(body);
}

async function clientCredentialsGrant({ deps, realm, client, form, ctx }: GrantInput): Promise<Reply> {
  if (client.publicClient)
    throw oauthError(400, 'unauthorized_client', 'Public client not allowed to retrieve service account');
  if (!client.serviceAccountsEnabled) {
    throw oauthError(400, 'unauthorized_client', 'Client not enabled to retrieve service account');
  }
  const user = realm.users.find((u) => u.serviceAccountClientId === client.clientId);
  if (!user) throw oauthError(400, 'invalid_request', 'Service account user not found');
  if (!user.enabled) throw oauthError(400, 'invalid_request', 'User is disabled');
  const scope = resolveScope(form.get('scope'));
  const body = await deps.tokens.issue({
    realm,
    client,
    user,
    scope,
    jtiPrefix: 'trrtcc:',
    clientAddress: ctx.remoteAddress,
  });
  return tokenReply(body);
}

const GRANTS = new Map<string, (input: GrantInput) => Promise<Reply>>([
  ['password', passwordGrant],
  ['refresh_token', refreshGrant],
  ['client_credentials', clientCredentialsGrant],
]);

/** `POST /realms/{realm}/protocol/openid-connect/token` */
export async function tokenEndpoint(deps: ServerDeps, realm: StoredRealm, ctx: RequestContext): Promise<Reply> {
  if (!realm.enabled) throw oauthError(403, 'access_denied', 'Realm not enabled');
  const form = await readForm(ctx);
  const grantType = form.get('grant_type');
  if (!grantType) throw oauthError(400, 'invalid_request', 'Missing form parameter: grant_type');
  const grant = GRANTS.get(grantType);
  if (!grant) throw oauthError(400, 'unsupported_grant_type', 'Unsupported grant_type');
  const client = authenticateClient(realm, form, ctx.headers.authorization);
  return grant({ deps, realm, client, form, ctx });
}
