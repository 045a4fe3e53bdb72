/**
 * The browser login: `GET .../protocol/openid-connect/auth` validates the authorization request and shows
 * the login form; the form posts to `.../login-actions/authenticate`, which redirects back to the client
 * with a one-time code. Until the redirect URI is known to be the client's, errors are shown here and never
 * sent to it, so the endpoint cannot be used to bounce users to an arbitrary site.
 */
import type { Context, Hono } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { ServerDeps } from './deps.ts';
import { HttpError } from './errors.ts';
import { readText } from './forms.ts';
import { resolveScope } from './grants.ts';
import type { AuthorizationRequest } from './login-attempts.ts';
import { errorPage, loginForm } from './login-page.ts';
import type { StoredClient, StoredRealm } from './model.ts';
import { isWellFormed } from './pkce.ts';
import { isRegisteredRedirect } from './redirect-uris.ts';
import { createSession } from './sessions.ts';
import { nowSeconds } from './tokens.ts';
import { checkLogin, type LoginRefusal } from './users.ts';

const PAGE_HEADERS = {
  'cache-control': 'no-store, must-revalidate, max-age=0',
  'content-security-policy': "frame-ancestors 'self'; default-src 'self'",
  'x-frame-options': 'SAMEORIGIN',
};

/** Keycloak's login-page wording for each refusal. */
const FORM_ERRORS: Record<LoginRefusal, string> = {
  'Unknown user': 'Invalid username or password.',
  // Keycloak's form does not tell a locked-out user (or someone guessing) that the account is locked.
  'Temporarily disabled': 'Invalid username or password.',
  'Invalid user credentials': 'Invalid username or password.',
  'Account disabled': 'Account is disabled, contact your administrator.',
  'Account is not fully set up': 'Account is not fully set up.',
};

function page(c: Context, status: 200 | 400 | 404, html: string): Response {
  return c.html(html, status, PAGE_HEADERS);
}

/** An error the client can handle: sent to its (already verified) redirect URI, as RFC 6749 §4.1.2.1 says. */
class RedirectableError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

function redirectTo(redirectUri: string, params: Record<string, string | undefined>): string {
  const url = new URL(redirectUri);
  for (const [key, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(key, value);
  return url.href;
}

function readRequest(realm: StoredRealm, client: StoredClient, query: URLSearchParams): AuthorizationRequest {
  const redirectUri = query.get('redirect_uri') ?? '';
  const request = {
    realm: realm.realm,
    clientId: client.clientId,
    redirectUri,
    state: query.get('state') ?? undefined,
    nonce: query.get('nonce') ?? undefined,
  };
  const responseType = query.get('response_type');
  if (!responseType) throw new RedirectableError('invalid_request', 'Missing parameter: response_type');
  if (responseType !== 'code') {
    throw new RedirectableError(
      'unsupported_response_type',
      'Client is not allowed to initiate browser login with given response_type.',
    );
  }
  if (!client.standardFlowEnabled) {
    throw new RedirectableError(
      'unauthorized_client',
      'Client is not allowed to initiate browser login with given response_type. Standard flow is disabled for the client.',
    );
  }
  const responseMode = query.get('response_mode');
  if (responseMode !== null && responseMode !== 'query') {
    throw new RedirectableError('invalid_request', 'Invalid parameter: response_mode');
  }
  // No SSO cookie is ever set here, so a silent login can never succeed.
  if (query.get('prompt')?.split(' ').includes('none')) throw new RedirectableError('login_required', 'Login required');
  let scope: string;
  try {
    scope = resolveScope(query.get('scope') ?? undefined);
  } catch {
    throw new RedirectableError('invalid_scope', 'Invalid scopes');
  }
  return { ...request, scope, codeChallenge: readCodeChallenge(client, query) };
}

function readCodeChallenge(client: StoredClient, query: URLSearchParams): string | undefined {
  const challenge = query.get('code_challenge');
  const method = query.get('code_challenge_method');
  if (challenge === null) {
    // A public client has no secret, so PKCE is the only thing tying the code to whoever asked for it.
    if (client.publicClient) throw new RedirectableError('invalid_request', 'Missing parameter: code_challenge');
    if (method !== null) throw new RedirectableError('invalid_request', 'Missing parameter: code_challenge');
    return undefined;
  }
  if (method === null) throw new RedirectableError('invalid_request', 'Missing parameter: code_challenge_method');
  if (method !== 'S256') throw new RedirectableError('invalid_request', 'Invalid parameter: code_challenge_method');
  if (!isWellFormed(challenge)) throw new RedirectableError('invalid_request', 'Invalid parameter: code_challenge');
  return challenge;
}

function formAction(realm: string, attemptId: string, clientId: string): string {
  const query = new URLSearchParams({ tab_id: attemptId, client_id: clientId });
  return `/realms/${encodeURIComponent(realm)}/login-actions/authenticate?${query}`;
}

function startLogin(deps: ServerDeps, c: Context): Response {
  const realm = deps.store.get(c.req.param('realm') ?? '');
  if (!realm) return page(c, 404, errorPage('Realm does not exist.'));
  const query = new URL(c.req.url).searchParams;
  const clientId = query.get('client_id');
  if (!clientId) return page(c, 400, errorPage('Missing parameter: client_id'));
  const client = realm.clients.find((cl) => cl.clientId === clientId);
  if (!client?.enabled) return page(c, 400, errorPage('Client not found.'));
  const redirectUri = query.get('redirect_uri');
  if (!redirectUri || !isRegisteredRedirect(client, redirectUri)) {
    return page(c, 400, errorPage('Invalid parameter: redirect_uri'));
  }
  let request: AuthorizationRequest;
  try {
    request = readRequest(realm, client, query);
  } catch (err) {
    if (!(err instanceof RedirectableError)) throw err;
    return c.redirect(
      redirectTo(redirectUri, {
        error: err.error,
        error_description: err.description,
        state: query.get('state') ?? undefined,
        iss: deps.tokens.issuer(realm),
      }),
      302,
    );
  }
  const attemptId = deps.logins.start(request);
  return page(c, 200, loginForm({ realm: realm.realm, action: formAction(realm.realm, attemptId, clientId) }));
}

async function submitLogin(deps: ServerDeps, c: Context): Promise<Response> {
  const realm = deps.store.get(c.req.param('realm') ?? '');
  if (!realm) return page(c, 404, errorPage('Realm does not exist.'));
  const attemptId = new URL(c.req.url).searchParams.get('tab_id') ?? '';
  const request = deps.logins.get(attemptId);
  const client = request && realm.clients.find((cl) => cl.clientId === request.clientId);
  if (!request || request.realm !== realm.realm || !client?.enabled) {
    return page(c, 400, errorPage('Your login attempt timed out. Login will start from the beginning.'));
  }
  const type = c.req.header('content-type') ?? '';
  if (!type.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    throw new HttpError(415, { error: 'Unsupported Media Type' });
  }
  const form = new URLSearchParams(await readText(c));
  const username = form.get('username') ?? '';
  const login = await checkLogin(realm, username, form.get('password') ?? '', getConnInfo(c).remote.address ?? '');
  deps.store.changed();
  if ('refused' in login) {
    const action = formAction(realm.realm, attemptId, request.clientId);
    return page(c, 200, loginForm({ realm: realm.realm, action, username, error: FORM_ERRORS[login.refused] }));
  }
  deps.logins.finish(attemptId);
  const session = createSession(realm, login.user.id, client.clientId, request.scope, nowSeconds());
  deps.store.changed();
  const code = deps.codes.issue({
    realm: realm.realm,
    clientId: client.clientId,
    redirectUri: request.redirectUri,
    sessionId: session.id,
    userId: login.user.id,
    scope: request.scope,
    nonce: request.nonce,
    codeChallenge: request.codeChallenge,
  });
  const params = { state: request.state, session_state: session.id, iss: deps.tokens.issuer(realm), code };
  return c.redirect(redirectTo(request.redirectUri, params), 302);
}

export function registerBrowserLogin(app: Hono, deps: ServerDeps): void {
  app.get('/realms/:realm/protocol/openid-connect/auth', (c) => startLogin(deps, c));
  app.post('/realms/:realm/login-actions/authenticate', (c) => submitLogin(deps, c));
}
