import { buildApp } from './app';
import type { Bindings } from './env';
import { handlePipelineBatch, sweepStuckCalls } from './pipeline/consumer';
import type { PipelineMessage } from './pipeline/messages';
import { serviceContext, SWEEPER_ACTOR } from './service-context';
import { sweepAbandonedUploads } from './services/presigned-upload';

export { TenantHub } from '../durable-objects/tenant-hub';

const app = buildApp();

export default {
  fetch: app.fetch,
  queue: (batch, env) => handlePipelineBatch(batch, env),
  scheduled: async (_controller, env, ctx) => {
    ctx.waitUntil(sweepStuckCalls(env).then((r) => console.log('stuck-call sweep', r)));
    const sweeper = serviceContext(env, { actor: SWEEPER_ACTOR, tenantId: null, requestId: `uploads-${Date.now()}` });
    ctx.waitUntil(sweepAbandonedUploads(sweeper).then((r) => console.log('abandoned-upload sweep', r)));
  },
} satisfies ExportedHandler<Bindings, PipelineMessage>;
