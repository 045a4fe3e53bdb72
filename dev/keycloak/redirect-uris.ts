/**
 * A client's registered redirect URIs and web origins, matched the way Keycloak does: exact, or a prefix
 * when the registered URI ends in `*`. A registered loopback IP literal without a port matches any port
 * (RFC 8252 §7.3), because local apps and test pages listen on whatever port is free.
 */
import type { StoredClient } from './model.ts';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]']);

function parse(uri: string): URL | undefined {
  try {
    return new URL(uri);
  } catch {
    return undefined;
  }
}

function withoutLoopbackPort(requested: URL, registered: URL): string {
  if (registered.port !== '' || !LOOPBACK_HOSTS.has(requested.hostname) || requested.protocol !== 'http:') {
    return requested.href;
  }
  const copy = new URL(requested.href);
  copy.port = '';
  return copy.href;
}

function matches(requested: URL, pattern: string): boolean {
  const wildcard = pattern.endsWith('*');
  const registered = parse(wildcard ? pattern.slice(0, -1) : pattern);
  if (!registered) return false;
  const candidate = withoutLoopbackPort(requested, registered);
  return wildcard ? candidate.startsWith(registered.href) : candidate === registered.href;
}

/** Whether `redirectUri` may receive this client's authorization responses. */
export function isRegisteredRedirect(client: StoredClient, redirectUri: string): boolean {
  const requested = parse(redirectUri);
  // Fragments are forbidden in redirect URIs (RFC 6749 §3.1.2), and credentials in them would leak.
  if (!requested || requested.hash || requested.username || requested.password) return false;
  return client.redirectUris.some((pattern) => matches(requested, pattern));
}

/** `allowed-origins`: the client's web origins, with `+` standing for the origins of its redirect URIs. */
export function webOrigins(client: StoredClient): string[] {
  const origins = new Set<string>();
  for (const origin of client.webOrigins) {
    if (origin !== '+') {
      origins.add(origin);
      continue;
    }
    for (const uri of client.redirectUris) {
      const url = parse(uri.replace(/\*$/, ''));
      if (url) origins.add(url.origin);
    }
  }
  return [...origins];
}

/** Whether a browser on `origin` may read this client's responses (CORS). */
export function isWebOrigin(client: StoredClient, origin: string): boolean {
  const requested = parse(origin);
  if (!requested || requested.origin !== origin) return false;
  return webOrigins(client).some((allowed) => {
    if (allowed === '*') return true;
    const registered = parse(allowed);
    return registered !== undefined && withoutLoopbackPort(requested, registered) === `${registered.origin}/`;
  });
}
