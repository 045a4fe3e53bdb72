import { buildApp } from './app';
import type { Bindings } from './env';
import { log } from './lib/log';
import { handlePipelineBatch, sweepStuckCalls } from './pipeline/consumer';
import type { PipelineMessage } from './pipeline/messages';
import { SCHEDULER_ACTOR, serviceContext, SWEEPER_ACTOR } from './service-context';
import { sweepAbandonedUploads } from './services/presigned-upload';
import { claimDueSchedules } from './services/reports/schedule-claim';

export { TenantHub } from '../durable-objects/tenant-hub';

const app = buildApp();

export default {
  fetch: app.fetch,
  queue: (batch, env) => handlePipelineBatch(batch, env),
  scheduled: async (_controller, env, ctx) => {
    const started = Date.now();
    const sweepLog = log.with({ actor: 'system:sweeper' });
    ctx.waitUntil(
      sweepStuckCalls(env).then(
        (r) => sweepLog.info('stuck-call sweep', { ...r, duration_ms: Date.now() - started }),
        (err) => {
          sweepLog.error('stuck-call sweep failed', { error: err, duration_ms: Date.now() - started });
          throw err;
        },
      ),
    );
    const sweeper = serviceContext(env, { actor: SWEEPER_ACTOR, tenantId: null, requestId: `uploads-${started}` });
    ctx.waitUntil(
      sweepAbandonedUploads(sweeper).then(
        (r) => sweepLog.info('abandoned-upload sweep', { ...r, duration_ms: Date.now() - started }),
        (err) => {
          sweepLog.error('abandoned-upload sweep failed', { error: err, duration_ms: Date.now() - started });
          throw err;
        },
      ),
    );
    const scheduler = serviceContext(env, {
      actor: SCHEDULER_ACTOR,
      tenantId: null,
      requestId: `schedules-${started}`,
    });
    ctx.waitUntil(
      claimDueSchedules(scheduler).then(
        (r) => scheduler.log.info('report schedule claim', { ...r, duration_ms: Date.now() - started }),
        (err) => {
          scheduler.log.error('report schedule claim failed', { error: err, duration_ms: Date.now() - started });
          throw err;
        },
      ),
    );
  },
} satisfies ExportedHandler<Bindings, PipelineMessage>;
