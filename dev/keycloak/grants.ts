/**
 * The token endpoint's grants: authorization_code (with PKCE), password, refresh_token and
 * client_credentials, with Keycloak's error answers.
 */
import type { JWTPayload } from 'jose';
import { authenticateClient } from './client-auth.ts';
import type { ServerDeps } from './deps.ts';
import { oauthError } from './errors.ts';
import type { StoredClient, StoredRealm } from './model.ts';
import { isWellFormed, s256 } from './pkce.ts';
import { createSession, endSession, liveSession } from './sessions.ts';
import { nowSeconds, type TokenResponse } from './tokens.ts';
import { checkLogin, findUserById, type LoginRefusal } from './users.ts';

const DEFAULT_SCOPES = ['email', 'profile'];
const OPTIONAL_SCOPES = ['address', 'phone', 'offline_access', 'microprofile-jwt', 'organization'];
// Default client scopes Keycloak 26 applies without listing them in the `scope` claim.
const UNLISTED_SCOPES = ['basic', 'acr', 'roles', 'web-origins'];
export const KNOWN_SCOPES = ['openid', ...DEFAULT_SCOPES, ...OPTIONAL_SCOPES, ...UNLISTED_SCOPES];

/** The `scope` claim for a request: `openid` if asked, the default scopes, then any optional ones asked. */
export function resolveScope(requested: string | undefined): string {
  const parts = (requested ?? '').split(' ').filter(Boolean);
  if (parts.some((p) => !KNOWN_SCOPES.includes(p))) {
    throw oauthError(400, 'invalid_scope', `Invalid scopes: ${requested ?? ''}`);
  }
  const optional = OPTIONAL_SCOPES.filter((s) => parts.includes(s));
  return [...(parts.includes('openid') ? ['openid'] : []), ...DEFAULT_SCOPES, ...optional].join(' ');
}

interface GrantInput {
  deps: ServerDeps;
  realm: StoredRealm;
  client: StoredClient;
  form: Map<string, string>;
  clientAddress: string;
}

async function authorizationCodeGrant({ deps, realm, client, form, clientAddress }: GrantInput) {
  const value = form.get('code');
  if (!value) throw oauthError(400, 'invalid_request', 'Missing parameter: code');
  const redemption = deps.codes.redeem(value);
  if (redemption.kind === 'reused') {
    // A replayed code means it leaked: Keycloak ends the session it created, tokens and all.
    endSession(realm, redemption.code.sessionId);
    deps.store.changed();
    throw oauthError(400, 'invalid_grant', 'Code not valid');
  }
  if (redemption.kind === 'expired') throw oauthError(400, 'invalid_grant', 'Code is expired');
  if (redemption.kind === 'unknown') throw oauthError(400, 'invalid_grant', 'Code not valid');
  const { code } = redemption;
  if (code.realm !== realm.realm || code.clientId !== client.clientId) {
    throw oauthError(400, 'invalid_grant', 'Auth error');
  }
  if (form.get('redirect_uri') !== code.redirectUri) throw oauthError(400, 'invalid_grant', 'Incorrect redirect_uri');
  if (code.codeChallenge !== undefined) {
    const verifier = form.get('code_verifier');
    if (!verifier) throw oauthError(400, 'invalid_grant', 'PKCE code verifier not specified');
    if (!isWellFormed(verifier)) throw oauthError(400, 'invalid_grant', 'PKCE invalid code verifier');
    if (s256(verifier) !== code.codeChallenge) throw oauthError(400, 'invalid_grant', 'PKCE verification failed');
  }
  const session = liveSession(realm, code.sessionId, nowSeconds());
  const user = session && findUserById(realm, code.userId);
  if (!session || !user?.enabled) throw oauthError(400, 'invalid_grant', 'Session not active');
  return deps.tokens.issue({
    realm,
    client,
    user,
    session,
    scope: code.scope,
    nonce: code.nonce,
    jtiPrefix: 'onrtac:',
    clientAddress,
  });
}

/**
 * Keycloak's direct-grant answers (ValidateUsername, ValidatePassword): an unknown user and a user locked
 * out by brute-force detection get the same words as a wrong password, so neither can be told apart.
 */
function passwordGrantRefusal(refusal: LoginRefusal) {
  switch (refusal) {
    case 'Invalid user credentials':
      return oauthError(401, 'invalid_grant', 'Invalid user credentials');
    case 'Unknown user':
    case 'Temporarily disabled':
      return oauthError(400, 'invalid_grant', 'Invalid user credentials');
    default:
      return oauthError(400, 'invalid_grant', refusal);
  }
}

async function passwordGrant({ deps, realm, client, form, clientAddress }: GrantInput) {
  if (!client.directAccessGrantsEnabled) {
    throw oauthError(400, 'unauthorized_client', 'Client not allowed for direct access grants');
  }
  const username = form.get('username');
  if (!username) throw oauthError(400, 'invalid_request', 'Missing parameter: username');
  const scope = resolveScope(form.get('scope'));
  const login = await checkLogin(realm, username, form.get('password') ?? '', clientAddress);
  deps.store.changed(); // failure counts persist like sessions
  if ('refused' in login) throw passwordGrantRefusal(login.refused);
  const session = createSession(realm, login.user.id, client.clientId, scope, nowSeconds());
  const body = await deps.tokens.issue({
    realm,
    client,
    user: login.user,
    session,
    scope,
    jtiPrefix: 'onrtro:',
    clientAddress,
  });
  deps.store.changed();
  return body;
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

async function refreshGrant({ deps, realm, client, form, clientAddress }: GrantInput) {
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
  session.lastRefresh = now;
  const body = await deps.tokens.issue({
    realm,
    client,
    user,
    session,
    scope: session.scope,
    jtiPrefix: 'onrtrt:',
    clientAddress,
  });
  deps.store.changed();
  return body;
}

async function clientCredentialsGrant({ deps, realm, client, form, clientAddress }: GrantInput) {
  if (client.publicClient) {
    throw oauthError(400, 'unauthorized_client', 'Public client not allowed to retrieve service account');
  }
  if (!client.serviceAccountsEnabled) {
    throw oauthError(400, 'unauthorized_client', 'Client not enabled to retrieve service account');
  }
  const user = realm.users.find((u) => u.serviceAccountClientId === client.clientId);
  if (!user) throw oauthError(400, 'invalid_request', 'Service account user not found');
  if (!user.enabled) throw oauthError(400, 'invalid_request', 'User is disabled');
  const scope = resolveScope(form.get('scope'));
  return deps.tokens.issue({ realm, client, user, scope, jtiPrefix: 'trrtcc:', clientAddress });
}

const GRANTS = new Map<string, (input: GrantInput) => Promise<TokenResponse>>([
  ['authorization_code', authorizationCodeGrant],
  ['password', passwordGrant],
  ['refresh_token', refreshGrant],
  ['client_credentials', clientCredentialsGrant],
]);

export const GRANT_TYPES = [...GRANTS.keys()];

/** `POST /realms/{realm}/protocol/openid-connect/token` */
export async function grantTokens(
  deps: ServerDeps,
  realm: StoredRealm,
  form: Map<string, string>,
  request: { authorization: string | undefined; clientAddress: string },
): Promise<TokenResponse> {
  if (!realm.enabled) throw oauthError(403, 'access_denied', 'Realm not enabled');
  const grantType = form.get('grant_type');
  if (!grantType) throw oauthError(400, 'invalid_request', 'Missing form parameter: grant_type');
  const grant = GRANTS.get(grantType);
  if (!grant) throw oauthError(400, 'unsupported_grant_type', 'Unsupported grant_type');
  const client = authenticateClient(realm, form, request.authorization);
  return grant({ deps, realm, client, form, clientAddress: request.clientAddress });
}
