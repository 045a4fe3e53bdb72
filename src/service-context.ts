import type { Actor, ServiceContext } from './context';
import { TenantDb, type ProfileClaims } from './db/tenant-db';
import { loadConfig, type Bindings } from './env';
import { logger } from './lib/log';

/** The identity `set_tenant_context` and the audit trail record for an actor. */
export function actorId(actor: Actor): string {
  switch (actor.kind) {
    case 'user':
      return actor.userId;
    case 'system':
      return `system:${actor.job}`;
    case 'webhook':
      return `webhook:${actor.provider}`;
    case 'api_client':
      return `client:${actor.clientId}`;
  }
}

export const PIPELINE_ACTOR = { kind: 'system', job: 'pipeline' } as const;
export const SWEEPER_ACTOR = { kind: 'system', job: 'sweeper' } as const;
export const READINESS_ACTOR = { kind: 'system', job: 'readiness' } as const;
/** The cron trigger claiming due report schedules; scheduled reports are requested by `system:scheduler`. */
export const SCHEDULER_ACTOR = { kind: 'system', job: 'scheduler' } as const;

/**
 * The one factory of service contexts. Users and API clients act with their role; the platform
 * and webhooks act as 'system', which row-level security still confines to the tenant named.
 */
export function serviceContext<A extends Actor>(
  env: Bindings,
  init: { actor: A; tenantId: string | null; requestId: string; profile?: ProfileClaims | null },
): ServiceContext<A> {
  const config = loadConfig(env);
  const { actor, tenantId, requestId } = init;
  const role = actor.kind === 'user' || actor.kind === 'api_client' ? actor.role : 'system';
  const db = TenantDb.open(config, { tenantId, userId: actorId(actor), role, requestId }, init.profile ?? null);
  return {
    actor,
    tenantId,
    requestId,
    log: logger({ request_id: requestId, tenant: tenantId, actor: actorId(actor) }),
    config,
    db,
    audio: env.AUDIO,
    pipeline: {
      send: async (message, delaySeconds) => {
        await env.PIPELINE.send(message, delaySeconds ? { delaySeconds } : undefined);
      },
    },
    hub: (id) => hubStub(env, id),
  };
}

/** The tenant's hub: one Durable Object per tenant, by name. */
export function hubStub(env: Bindings, tenantId: string) {
  return env.TENANT_HUB.get(env.TENANT_HUB.idFromName(tenantId));
}

/** The same actor working on another tenant (the sweeper visiting each stuck call's tenant). */
export function inTenant<A extends Actor>(ctx: ServiceContext<A>, tenantId: string): ServiceContext<A> {
  return { ...ctx, tenantId, db: ctx.db.forTenant(tenantId), log: ctx.log.with({ tenant: tenantId }) };
}
