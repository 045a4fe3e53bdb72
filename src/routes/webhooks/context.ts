import type { Context } from 'hono';
import type { AppEnv, WebhookActor } from '../../context';
import { Invalid } from '../../lib/errors';
import { serviceContext } from '../../service-context';

export const TENANT_PARAM = /^[a-z][a-z0-9-]{1,38}[a-z0-9]$/;

/**
 * Webhooks carry no user: they act as the provider inside the tenant their URL names, which RLS
 * still confines them to. The tenant is only trusted once the provider's signature, made with
 * that tenant's own secret, checks out (in the service).
 */
export function webhookContext(c: Context<AppEnv>, provider: WebhookActor['provider'], tenantId: string | undefined) {
  if (!tenantId || !TENANT_PARAM.test(tenantId))
    throw new Invalid('The webhook URL must name the tenant (?tenant=<id>).', [
      { field: 'tenant', message: 'is missing or malformed' },
    ]);
  return serviceContext(c.env, { actor: { kind: 'webhook', provider }, tenantId, requestId: c.get('requestId') });
}
