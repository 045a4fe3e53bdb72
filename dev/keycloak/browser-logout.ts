/**
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0), as a browser app's sign-out
 * button calls it: `GET .../protocol/openid-connect/logout?id_token_hint=…&post_logout_redirect_uri=…`.
 * Like Keycloak, a redirect needs the client to be known (from the ID token or `client_id`) and the
 * URI to be one of its registered redirect URIs (the `+` default of post-logout redirect URIs);
 * anything else is an error page, never a redirect.
 */
import type { Context } from 'hono';
import type { ServerDeps } from './deps.ts';
import { errorPage, loggedOutPage } from './login-page.ts';
import type { StoredRealm } from './model.ts';
import { isRegisteredRedirect } from './redirect-uris.ts';
import { endSession } from './sessions.ts';

function html(c: Context, status: 200 | 400, body: string): Response {
  return c.html(body, status, { 'cache-control': 'no-store' });
}

export async function browserLogout(deps: ServerDeps, realm: StoredRealm, c: Context): Promise<Response> {
  const hint = c.req.query('id_token_hint');
  const redirect = c.req.query('post_logout_redirect_uri');
  let idToken: Record<string, unknown> | undefined;
  if (hint) {
    try {
      idToken = await deps.tokens.verify(realm, hint, 'ID');
    } catch {
      return html(c, 400, errorPage('Invalid parameter: id_token_hint'));
    }
  }
  // An ID token names its client as `azp`, or as its single audience.
  const tokenClient = [idToken?.['azp'], idToken?.['aud']].find((v): v is string => typeof v === 'string');
  const clientId = c.req.query('client_id') ?? tokenClient;
  if (tokenClient && c.req.query('client_id') && tokenClient !== c.req.query('client_id'))
    return html(c, 400, errorPage('Parameter client_id different than the client in id_token_hint'));
  const client = clientId ? realm.clients.find((cl) => cl.clientId === clientId && cl.enabled) : undefined;
  if (redirect !== undefined) {
    if (!client) return html(c, 400, errorPage('Missing parameters: id_token_hint'));
    if (!isRegisteredRedirect(client, redirect)) return html(c, 400, errorPage('Invalid redirect uri'));
  }
  if (typeof idToken?.['sid'] === 'string') {
    endSession(realm, idToken['sid']);
    deps.store.changed();
  }
  if (redirect === undefined) return html(c, 200, loggedOutPage());
  const target = new URL(redirect);
  const state = c.req.query('state');
  if (state !== undefined) target.searchParams.set('state', state);
  return c.redirect(target.href, 302);
}
