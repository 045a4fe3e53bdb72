/**
 * A local stand-in for Keycloak 26 speaking its HTTP contract (OIDC endpoints, the browser login and the
 * parts of the admin REST API the platform uses), for development and tests. Not a product component.
 */
import { serveStandIn } from '../shared/serve.ts';
import { buildApp } from './app.ts';
import { AuthCodes } from './auth-codes.ts';
import { loadRealms } from './bootstrap.ts';
import type { ServerDeps } from './deps.ts';
import { LoginAttempts } from './login-attempts.ts';
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

export async function startKeycloak(opts: StartKeycloakOptions): Promise<KeycloakStandIn> {
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
    codes: new AuthCodes(),
    logins: new LoginAttempts(),
    publicUrl: () => publicUrl,
  };
  const running = await serveStandIn(buildApp(deps), opts.port, opts.host ?? '127.0.0.1');
  publicUrl ||= running.origin;

  let closing: Promise<void> | undefined;
  return {
    url: running.origin,
    close() {
      closing ??= running.close().then(() => stateFile?.flush());
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
