import type { ServiceContext, WebhookActor } from '../context';
import { constantTimeEqual } from '../integrations/signatures/hmac';
import { Unauthenticated } from '../lib/errors';
import { tenantOf } from './scope';

/**
 * AssemblyAI calls back with the shared secret in a header (no HMAC). The webhook only says that
 * a transcript finished; the collect step fetches it and checks it belongs to the call.
 * Duplicates are harmless (the step is idempotent).
 */
export async function receiveTranscriptionWebhook(
  ctx: ServiceContext<WebhookActor>,
  input: { secret: string; callId: string; transcriptId?: string; status: string },
): Promise<void> {
  if (!constantTimeEqual(input.secret, ctx.config.assemblyai.webhookSecret))
    throw new Unauthenticated('Unknown webhook sender.');
  if (input.transcriptId && (input.status === 'completed' || input.status === 'error')) {
    await ctx.pipeline.send({ step: 'collect', tenant_id: tenantOf(ctx), call_id: input.callId, via: 'webhook' });
  }
}
