import type { Context } from 'hono';
import type { AppEnv, WebhookActor } from '../../context';
import { Invalid } from '../../lib/errors';
import { noteCaller } from '../../lib/request-log';
import { serviceContext } from '../../service-context';
import { TenantIdSchema } from '../shared/schemas';

/**
 * Webhooks carry no user: they act as the provider inside the tenant their URL names, which RLS
 * still confines them to. The tenant is only trusted once the provider's signature, made with
 * that tenant's own secret, checks out (in the service).
 */
export function webhookContext(c: Context<AppEnv>, provider: WebhookActor['provider'], tenantId: string | undefined) {
  if (!tenantId || !TenantIdSchema.safeParse(tenantId).success)
    throw new Invalid('The webhook URL must name the tenant (?tenant=<id>).', [
      { field: 'tenant', message: 'is missing or malformed' },
    ]);
  const ctx = serviceContext(c.env, { actor: { kind: 'webhook', provider }, tenantId, requestId: c.get('requestId') });
  noteCaller(c, ctx);
  return ctx;
}
