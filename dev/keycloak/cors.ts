/**
 * CORS for the endpoints a browser calls cross-origin (discovery, certs, token, userinfo). Like Keycloak,
 * an origin is allowed when it is one of the client's web origins; where the client is not known yet
 * (discovery, preflights) any client of the realm vouching for the origin is enough.
 */
import type { Context } from 'hono';
import type { StoredClient, StoredRealm } from './model.ts';
import { isWebOrigin } from './redirect-uris.ts';

const ALLOWED_HEADERS = 'Origin, Accept, X-Requested-With, Content-Type, Authorization, DPoP';

export function realmAllowsOrigin(realm: StoredRealm, origin: string): boolean {
  return realm.clients.some((client) => client.enabled && isWebOrigin(client, origin));
}

/** Adds the CORS answer to `response` when the request's origin is allowed. */
export function withCors(c: Context, response: Response, allowed: (origin: string) => boolean): Response {
  const origin = c.req.header('origin');
  response.headers.append('vary', 'Origin');
  if (origin && allowed(origin)) {
    response.headers.set('access-control-allow-origin', origin);
    response.headers.set('access-control-allow-credentials', 'true');
  }
  return response;
}

export function clientAllowsOrigin(client: StoredClient | undefined): (origin: string) => boolean {
  return (origin) => client !== undefined && client.enabled && isWebOrigin(client, origin);
}

export function preflight(c: Context, realm: StoredRealm | undefined, methods: string): Response {
  const response = new Response(null, { status: 200 });
  withCors(c, response, (origin) => realm !== undefined && realmAllowsOrigin(realm, origin));
  if (response.headers.has('access-control-allow-origin')) {
    response.headers.set('access-control-allow-methods', methods);
    response.headers.set('access-control-allow-headers', ALLOWED_HEADERS);
    response.headers.set('access-control-max-age', '3600');
  }
  return response;
}
