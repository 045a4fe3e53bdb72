import { buildApp } from './app';
import type { Bindings } from './env';
import { handlePipelineBatch, sweepStuckCalls } from './pipeline/consumer';
import type { PipelineMessage } from './pipeline/messages';

export { TenantHub } from '../durable-objects/tenant-hub';

const app = buildApp();

export default {
  fetch: app.fetch,
  queue: (batch, env) => handlePipelineBatch(batch, env),
  scheduled: async (_controller, env, ctx) => {
    ctx.waitUntil(sweepStuckCalls(env).then((r) => console.log('stuck-call sweep', r)));
  },
} satisfies ExportedHandler<Bindings, PipelineMessage>;
