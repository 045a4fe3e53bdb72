import { database } from '../../db/client';
import { TenantDb } from '../../db/tenant-db';
import type { Config } from '../../env';
import { Invalid } from '../../lib/errors';

export const TENANT_PARAM = /^[a-z][a-z0-9-]{1,38}[a-z0-9]$/;

/**
 * Webhooks carry no user: they act as the platform ('system') inside the tenant they name, which
 * RLS still confines them to. The tenant is only trusted once the provider's signature, made with
 * that tenant's own secret, checks out.
 */
export function webhookDb(
  config: Config,
  tenantId: string | undefined,
  provider: string,
  requestId: string,
): { db: TenantDb; tenantId: string } {
  if (!tenantId || !TENANT_PARAM.test(tenantId))
    throw new Invalid('The webhook URL must name the tenant (?tenant=<id>).', [
      { field: 'tenant', message: 'is missing or malformed' },
    ]);
  return {
    db: new TenantDb(database(config), { tenantId, userId: `webhook:${provider}`, role: 'system', requestId }, null),
    tenantId,
  };
}

/** Maps a provider's agent identifier to an agent user id through the tenant's configured table. */
export function agentFrom(
  mapping: { agent_mapping?: Record<string, string>; default_agent_id?: string | null },
  identifier: string | null | undefined,
): string | null {
  return (identifier ? mapping.agent_mapping?.[identifier] : undefined) ?? mapping.default_agent_id ?? null;
}
