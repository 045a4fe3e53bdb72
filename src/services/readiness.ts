import { sql } from 'drizzle-orm';
import { PLATFORM_REALM } from '../auth/verify-access-token';
import type { ServiceContext, SystemActor } from '../context';
import type { Config } from '../env';
import { DiscoveryFailed, realmDiscovery } from '../integrations/keycloak';

/** Each dependency gets this long before it counts as down. */
export const CHECK_TIMEOUT_MS = 2_000;
/** A result is reused this long per isolate, so frequent polls cost one check per interval. */
export const READINESS_TTL_MS = 5_000;

export type CheckName = 'database' | 'keycloak';
export interface CheckResult {
  status: 'ok' | 'fail';
  latency_ms: number;
  /** Why it failed, in words that name no host: `timeout`, `unreachable`, `HTTP 503`... */
  error?: string;
}
export interface Readiness {
  ready: boolean;
  checked_at: string;
  checks: Record<CheckName, CheckResult>;
}

type ReadinessContext = ServiceContext<SystemActor>;

class DeadlineExceeded extends Error {
  override name = 'DeadlineExceeded';
  override message = 'timeout';
}

/**
 * Fails with `timeout` if `work` has not settled within `ms`. The database driver takes no
 * signal through drizzle's batch; the abandoned request ends with the invocation.
 */
async function withDeadline<T>(ms: number, work: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded()), ms);
  });
  try {
    return await Promise.race([work(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function timed(ctx: ReadinessContext, name: CheckName, check: () => Promise<unknown>): Promise<CheckResult> {
  const started = Date.now();
  try {
    await check();
    return { status: 'ok', latency_ms: Date.now() - started };
  } catch (err) {
    const latency_ms = Date.now() - started;
    // The caller sees only the kind of failure; the log keeps the detail.
    const error = err instanceof DiscoveryFailed || err instanceof DeadlineExceeded ? err.message : 'unavailable';
    ctx.log.warn('readiness check failed', { check: name, latency_ms, error: err });
    return { status: 'fail', latency_ms, error };
  }
}

async function runChecks(ctx: ReadinessContext): Promise<Readiness> {
  const [database, keycloak] = await Promise.all([
    // Through the normal path: the tenant-context prelude and one statement, as every request does.
    timed(ctx, 'database', () => withDeadline(CHECK_TIMEOUT_MS, () => ctx.db.run((q) => [q.execute(sql`select 1`)]))),
    timed(ctx, 'keycloak', () => realmDiscovery(ctx.config, PLATFORM_REALM, CHECK_TIMEOUT_MS)),
  ]);
  return {
    ready: database.status === 'ok' && keycloak.status === 'ok',
    checked_at: new Date().toISOString(),
    checks: { database, keycloak },
  };
}

/** The last result per configuration, i.e. per isolate and deployment. */
const cache = new WeakMap<Config, Readiness & { at: number }>();

/**
 * Whether this deployment can serve: the database answers a query and Keycloak its discovery
 * document, each within CHECK_TIMEOUT_MS. A result is reused for READINESS_TTL_MS, so polling
 * cannot multiply load on the dependencies. Only settled results are shared (plain data): a
 * promise tied to one request's I/O must not be awaited by another request in Workers.
 */
export async function readiness(ctx: ReadinessContext): Promise<Readiness & { cached: boolean }> {
  const hit = cache.get(ctx.config);
  if (hit && Date.now() - hit.at < READINESS_TTL_MS) return { ...withoutAt(hit), cached: true };
  const at = Date.now();
  const result = await runChecks(ctx);
  cache.set(ctx.config, { ...result, at });
  return { ...result, cached: false };
}

function withoutAt({ at: _at, ...result }: Readiness & { at: number }): Readiness {
  return result;
}
