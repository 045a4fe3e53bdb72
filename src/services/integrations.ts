import { and, asc, eq } from 'drizzle-orm';
import type { ServiceContext, UserContext } from '../context';
import { tenantIntegrations, tenants } from '../db/schema';
import { decryptSecret, encryptSecret } from '../lib/crypto';
import { Invalid, NotFound } from '../lib/errors';
import { mediaOriginProblem } from '../lib/media-origin';
import { iso, tenantOf } from './scope';

export type Provider = 'twilio' | 'generic';

export interface TwilioConfig {
  account_sid: string;
  /** Caller-chosen identifiers (the `agent` query parameter of the callback URL) → agent user ids. */
  agent_mapping: Record<string, string>;
  default_agent_id?: string | null;
}

export interface GenericConfig {
  /**
   * Origins recordings may be fetched from (https://media.example.com); nothing else is fetched. Only
   * public https hosts on the default port (src/lib/media-origin.ts).
   */
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

export async function listIntegrations(ctx: UserContext) {
  tenantOf(ctx);
  const [rows] = await ctx.db.run((q) => [
    q.select().from(tenantIntegrations).orderBy(asc(tenantIntegrations.provider)),
  ]);
  return rows.map(present);
}

export async function putIntegration(
  ctx: UserContext,
  provider: Provider,
  input: { secret: string; enabled: boolean; config: TwilioConfig | GenericConfig },
) {
  const tenantId = tenantOf(ctx);
  if (provider === 'generic') {
    const errors = (input.config as GenericConfig).media_origins.flatMap((origin, i) => {
      const problem = mediaOriginProblem(origin, { allowLoopback: ctx.config.allowLoopbackMediaOrigins });
      return problem ? [{ field: `media_origins.${i}`, message: problem }] : [];
    });
    if (errors.length) throw new Invalid('A media origin is not a public https origin.', errors);
  }
  const secretCiphertext = await encryptSecret(ctx.config.secretsKey, input.secret, secretContext(tenantId, provider));
  const values = {
    tenantId,
    provider,
    config: input.config as unknown as Record<string, unknown>,
    secretCiphertext,
    enabled: input.enabled,
  };
  const [[row]] = await ctx.db.run((q) => [
    q
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

export async function deleteIntegration(ctx: UserContext, provider: Provider) {
  tenantOf(ctx);
  const [deleted] = await ctx.db.run((q) => [
    q
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
  ctx: ServiceContext,
  provider: Provider,
): Promise<{ config: C; secret: string; maxUploadMb: number } | null> {
  const tenantId = tenantOf(ctx);
  const [[row], [tenant]] = await ctx.db.run((q) => [
    q
      .select()
      .from(tenantIntegrations)
      .where(and(eq(tenantIntegrations.provider, provider), eq(tenantIntegrations.enabled, true))),
    q.select({ limits: tenants.limits }).from(tenants).where(eq(tenants.id, tenantId)),
  ]);
  if (!row || !tenant) return null;
  return {
    config: row.config as C,
    secret: await decryptSecret(ctx.config.secretsKey, row.secretCiphertext, secretContext(tenantId, provider)),
    maxUploadMb: tenant.limits.max_upload_mb,
  };
}

/** Maps a provider's agent identifier to an agent user id through the tenant's configured table. */
export function agentFrom(
  mapping: { agent_mapping?: Record<string, string>; default_agent_id?: string | null },
  identifier: string | null | undefined,
): string | null {
  return (identifier ? mapping.agent_mapping?.[identifier] : undefined) ?? mapping.default_agent_id ?? null;
}
