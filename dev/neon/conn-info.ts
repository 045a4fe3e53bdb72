/**
 * Reads `Neon-Connection-String` the way the proxy's `get_conn_info` does, with
 * its error messages and in its order. The driver re-serializes the string and
 * appends `application_name`, so it is parsed as a URL, never compared.
 */
import { NeonHttpError } from './errors.ts';

export interface ConnInfo {
  user: string;
  password: string;
  database: string;
  /** First DNS label of the host: Neon's endpoint ID. Informational here. */
  endpoint: string;
}

const badRequest = (message: string) => new NeonHttpError(400, message);

export function parseConnInfo(connString: string | undefined, authorization: string | undefined): ConnInfo {
  if (!connString) {
    throw badRequest('invalid header: neon-connection-string');
  }

  let url: URL;
  try {
    url = new URL(connString);
  } catch {
    const reason = /^[a-z][a-z0-9+.-]*:/i.test(connString) ? 'invalid URL' : 'relative URL without a base';
    throw badRequest(`invalid connection string: ${reason}`);
  }

  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw badRequest('incorrect scheme');

  const database = decode(url.pathname.replace(/^\//, '').split('/')[0] ?? '');
  const user = decode(url.username);
  if (user === '') throw badRequest('missing username');

  // Neon's HTTP endpoint only takes passwords; a bearer token is rejected outright.
  if (authorization !== undefined) throw badRequest('missing authentication credentials: required password');
  if (url.password === '') throw badRequest('missing authentication credentials: required password');
  const password = decode(url.password);

  const host = url.hostname;
  if (host === '' || isIpLiteral(host)) throw badRequest('missing hostname');
  const endpoint = host.split('.')[0] ?? host;

  // Postgres falls back to the user name when the startup packet has no database.
  return { user, password, database: database === '' ? user : database, endpoint };
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw badRequest('invalid connection string: invalid percent-encoding');
  }
}

/** The proxy derives the endpoint ID from a DNS name, so IP hosts are refused. */
function isIpLiteral(host: string): boolean {
  return host.startsWith('[') || /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
}
