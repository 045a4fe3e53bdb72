import type { Bindings } from '../env';
import { TooManyRequests } from '../lib/errors';

/**
 * The windows of the rate-limit bindings in wrangler.toml (Workers Rate Limiting allows 10 or 60
 * seconds). The binding does not say when its window ends, so Retry-After is the whole window: a
 * client that waits that long is sure to be let through again.
 */
const WINDOW_SECONDS = 60;

/**
 * Where a request comes from. Cloudflare sets CF-Connecting-IP on every request that reaches the
 * Worker and overwrites one a client sends; only local runs (wrangler dev, the tests) lack it, and
 * they then share one address.
 */
export function clientAddress(header: string | undefined): string {
  return header?.trim() || 'unknown';
}

async function allowed(limiter: RateLimit, key: string): Promise<boolean> {
  return (await limiter.limit({ key })).success;
}

function refuse(): never {
  throw new TooManyRequests('Too many login attempts; try again later.', WINDOW_SECONDS);
}

/**
 * Counts a login attempt against the account from this address, the account from every address,
 * and the address; any exhausted limit refuses it before Keycloak is asked. Every attempt counts,
 * so the answer is the same whether the account exists and whether the password was right.
 * Usernames are compared the way Keycloak stores them (lower case).
 */
export async function limitLogin(
  env: Bindings,
  attempt: { address: string; tenantId: string; username: string },
): Promise<void> {
  const account = `${attempt.tenantId}\n${attempt.username.trim().toLowerCase()}`;
  const results = await Promise.all([
    allowed(env.LOGIN_ACCOUNT_LIMITER, `${account}\n${attempt.address}`),
    allowed(env.LOGIN_USERNAME_LIMITER, account),
    allowed(env.AUTH_ADDRESS_LIMITER, attempt.address),
  ]);
  if (results.includes(false)) refuse();
}

/** A refresh counts against its address only: a refresh token names no account worth guessing. */
export async function limitRefresh(env: Bindings, address: string): Promise<void> {
  if (!(await allowed(env.AUTH_ADDRESS_LIMITER, address))) refuse();
}
