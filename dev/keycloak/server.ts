/**
 * A local stand-in for Keycloak 26 speaking its HTTP contract (OIDC endpoints and the parts of the admin REST
 * API the platform uses), for development and tests. Not a product component.
 */
import { closeServer, listenOn, urlHost } from '../shared/http.ts';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { registerKeyAdmin } from './admin-keys.ts';
import { registerRealmAdmin } from './admin-realms.ts';
import { registerUserAdmin } from './admin-users.ts';
import { loadRealms } from './bootstrap.ts';
import type { ServerDeps } from './deps.ts';
import { HttpError } from './errors.ts';
import { json, readBody, Router, writeReply, type RequestContext } from './http.ts';
import { registerOidcRoutes } from './oidc-routes.ts';
import { StateFile } from './persistence.ts';
import { RealmStore } from './realm-store.ts';
import { JwksStats } from './stats.ts';
import { TokenMinter } from './tokens.ts';

export interface KeycloakStandIn {
  /** e.g. http://127.0.0.1:8080 (the actual port when started on port 0) */
  url: string;
  close(): Promise<void>;
  /** the active RS256 signing key of a realm (private JWK with kid), for tests that forge tokens */
  activeSigningKey(realm: string): Promise<{ kid: string; privateJwk: JsonWebKey & { kid: string } }>;
  /** how many `GET .../protocol/openid-connect/certs` requests a realm (or, without one, all realms) served */
  jwksFetches(realm?: string): number;
}

export interface StartKeycloakOptions {
  /** 0 picks a free port */
  port: number;
  /** default 127.0.0.1 */
  host?: string | undefined;
  /** base URL in `iss` and discovery; default http://<host>:<port> */
  publicUrl?: string | undefined;
  /** folder of Keycloak realm exports (*.json) */
  realmsDir: string;
  /** when set, runtime state persists in this folder; otherwise everything lives in memory */
  dataDir?: string | undefined;
}

function buildRouter(deps: ServerDeps): Router {
  const router = new Router();
  registerOidcRoutes(router, deps);
  registerRealmAdmin(router, deps);
  registerUserAdmin(router, deps);
  registerKeyAdmin(router, deps);
  router.add('GET', '/__stats', async () => json(200, deps.stats.toJSON()));
  return router;
}

async function handle(router: Router, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let bodyRead: Promise<Buffer> | undefined;
  try {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const match = router.match(method, url.pathname);
    if (match.kind === 'not-found')
      throw new HttpError(404, { error: 'Unable to find matching target resource method' });
    if (match.kind === 'method-not-allowed') throw new HttpError(405, { error: 'HTTP 405 Method Not Allowed' });
    const ctx: RequestContext = {
      method,
      url,
      params: match.params,
      headers: req.headers,
      remoteAddress: req.socket.remoteAddress ?? '',
      body: () => (bodyRead ??= readBody(req)),
    };
    writeReply(res, await match.handler(ctx));
  } catch (err) {
    if (res.headersSent) {
      res.destroy();
    } else if (err instanceof HttpError) {
      writeReply(res, { status: err.status, body: err.body, headers: err.headers });
    } else {
      console.error('[keycloak] request failed:', err);
      writeReply(res, json(500, { error: 'unknown_error' }));
    }
  } finally {
    // An unread request body would otherwise stall the keep-alive connection.
    if (!bodyRead) req.resume();
  }
}

export async function startKeycloak(opts: StartKeycloakOptions): Promise<KeycloakStandIn> {
  const host = opts.host ?? '127.0.0.1';
  let stateFile: StateFile | undefined;
  const store = new RealmStore(() => stateFile?.schedule());
  if (opts.dataDir) stateFile = new StateFile(opts.dataDir, () => store.snapshot());
  await loadRealms(store, opts.realmsDir, stateFile);

  let publicUrl = opts.publicUrl?.replace(/\/+$/, '') ?? '';
  const deps: ServerDeps = {
    store,
    stats: new JwksStats(),
    tokens: new TokenMinter(
      (realm) => `${publicUrl}/realms/${realm}`,
      () => store.changed(),
    ),
    publicUrl: () => publicUrl,
  };
  const router = buildRouter(deps);
  const server = createServer((req, res) => void handle(router, req, res));
  await listenOn(server, opts.port, host);
  const { port } = server.address() as AddressInfo;
  const url = `http://${urlHost(host)}:${port}`;
  publicUrl ||= url;

  let closing: Promise<void> | undefined;
  return {
    url,
    close() {
      closing ??= closeServer(server).then(() => stateFile?.flush());
      return closing;
    },
    async activeSigningKey(name) {
      const realm = store.get(name);
      if (!realm) throw new Error(`unknown realm: ${name}`);
      const key = await deps.tokens.signingKey(realm, 'RS256');
      if (!key.privateJwk) throw new Error(`key ${key.kid} has no private part`);
      // jose's JWK and WebCrypto's JsonWebKey describe the same JSON; only their TypeScript shapes differ.
      const privateJwk = { ...key.privateJwk, kid: key.kid, alg: 'RS256', use: 'sig' } as JsonWebKey & { kid: string };
      return { kid: key.kid, privateJwk };
    },
    jwksFetches: (realm) => deps.stats.count(realm),
  };
}
