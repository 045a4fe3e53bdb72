import { and, asc, eq } from 'drizzle-orm';
import type { RequestContext } from '../context';
import { tenantIntegrations, tenants } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';
import type { Config } from '../env';
import { decryptSecret, encryptSecret } from '../lib/crypto';
import { NotFound } from '../lib/errors';
import { iso, tenantOf } from './scope';

export type Provider = 'twilio' | 'generic';

export interface TwilioConfig {
  account_sid: string;
  /** Caller-chosen identifiers (the `agent` query parameter of the callback URL) → agent user ids. */
  agent_mapping: Record<string, string>;
  default_agent_id?: string | null;
}

export interface GenericConfig {
  /** Origins recordings may be fetched from (https://media.example.com); nothing else is fetched. */
  media_origins: string[];
  agent_mapping: Record<string, string>;
  default_agent_id?: string | null;
}

/** Secrets are sealed with the platform key and bound to tenant and provider, so a row copied elsewhere does not decrypt. */
const secretContext = (tenantId: string, provider: Provider) => `${tenantId}:${provider}`;

function present(row: typeof tenantIntegrations.$inferSelect) {
  return {
    provider: row.provider,
    enabled: row.enabled,
    config: row.config as unknown as TwilioConfig | GenericConfig,
    has_secret: true,
    updated_at: iso(row.updatedAt),
  };
}

export async function listIntegrations(ctx: RequestContext) {
  tenantOf(ctx);
  const [rows] = await ctx.db.run([
    ctx.db.q.select().from(tenantIntegrations).orderBy(asc(tenantIntegrations.provider)),
  ]);
  return rows.map(present);
}

export async function putIntegration(
  ctx: RequestContext,
  provider: Provider,
  input: { secret: string; enabled: boolean; config: TwilioConfig | GenericConfig },
) {
  const tenantId = tenantOf(ctx);
  const secretCiphertext = await encryptSecret(ctx.config.secretsKey, input.secret, secretContext(tenantId, provider));
  const values = {
    tenantId,
    provider,
    config: input.config as unknown as Record<string, unknown>,
    secretCiphertext,
    enabled: input.enabled,
  };
  const [[row]] = await ctx.db.run([
    ctx.db.q
      .insert(tenantIntegrations)
      .values(values)
      .onConflictDoUpdate({
        target: [tenantIntegrations.tenantId, tenantIntegrations.provider],
        set: { config: values.config, secretCiphertext, enabled: input.enabled },
      })
      .returning(),
  ]);
  return present(row!);
}

export async function deleteIntegration(ctx: RequestContext, provider: Provider) {
  tenantOf(ctx);
  const [deleted] = await ctx.db.run([
    ctx.db.q
      .delete(tenantIntegrations)
      .where(eq(tenantIntegrations.provider, provider))
      .returning({ p: tenantIntegrations.provider }),
  ]);
  if (!deleted.length) throw new NotFound('Integration');
}

/**
 * The enabled integration with its secret in clear, for verifying a webhook, and the tenant's
 * upload limit; null when not configured (or the tenant is unknown).
 */
export async function loadIntegration<C>(
  db: TenantDb,
  config: Config,
  tenantId: string,
  provider: Provider,
): Promise<{ config: C; secret: string; maxUploadMb: number } | null> {
  const [[row], [tenant]] = await db.run([
    db.q
      .select()
      .from(tenantIntegrations)
      .where(and(eq(tenantIntegrations.provider, provider), eq(tenantIntegrations.enabled, true))),
    db.q.select({ limits: tenants.limits }).from(tenants).where(eq(tenants.id, tenantId)),
  ]);
  if (!row || !tenant) return null;
  return {
    config: row.config as C,
    secret: await decryptSecret(config.secretsKey, row.secretCiphertext, secretContext(tenantId, provider)),
    maxUploadMb: tenant.limits.max_upload_mb,
  };
}
