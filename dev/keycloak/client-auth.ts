/**
 * Client authentication at the protocol endpoints (`client_secret_basic` and `client_secret_post`), with
 * the status codes and error names Keycloak's ClientIdAndSecretAuthenticator answers.
 */
import { timingSafeEqual } from 'node:crypto';
import { HttpError, oauthError } from './errors.ts';
import type { StoredClient, StoredRealm } from './model.ts';

const INVALID = 'Invalid client or Invalid client credentials';

/** RFC 6749 §2.3.1: both halves of the Basic credentials are form-encoded before base64. */
function parseBasic(header: string | undefined): { id: string; secret: string } | undefined {
  const match = header?.match(/^Basic\s+(\S+)$/i);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const unform = (s: string): string => decodeURIComponent(s.replaceAll('+', ' '));
  try {
    return { id: unform(decoded.slice(0, colon)), secret: unform(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export function authenticateClient(
  realm: StoredRealm,
  form: Map<string, string>,
  authorization: string | undefined,
): StoredClient {
  const basic = parseBasic(authorization);
  if (authorization && !basic && !form.has('client_id')) {
    throw new HttpError(401, undefined, { 'www-authenticate': `Basic realm="${realm.realm}"` });
  }
  // Form parameters win over the header, as in Keycloak.
  const clientId = form.get('client_id') ?? basic?.id;
  const secret = form.get('client_secret') ?? basic?.secret;
  if (!clientId) throw oauthError(400, 'invalid_client', 'Missing client_id parameter');

  const client = realm.clients.find((c) => c.clientId === clientId);
  if (!client || !client.enabled) throw oauthError(401, 'invalid_client', INVALID);
  if (client.publicClient) return client;
  if (secret === undefined || !client.secret || !sameSecret(secret, client.secret)) {
    throw oauthError(401, 'unauthorized_client', INVALID);
  }
  return client;
}
