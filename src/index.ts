import { buildApp } from './app';
import type { Bindings } from './env';
import { log } from './lib/log';
import { handlePipelineBatch, sweepStuckCalls } from './pipeline/consumer';
import type { PipelineMessage } from './pipeline/messages';
import { SCHEDULER_ACTOR, serviceContext, SWEEPER_ACTOR } from './service-context';
import { sweepAbandonedUploads } from './services/presigned-upload';
import { expireReports } from './services/reports/expiry';
import { recoverLostReports } from './services/reports/recovery';
import { claimDueSchedules } from './services/reports/schedule-claim';
import { expireDisputes } from './services/trust/disputes';

export { TenantHub } from '../durable-objects/tenant-hub';

const app = buildApp();

export default {
  fetch: app.fetch,
  queue: (batch, env) => handlePipelineBatch(batch, env),
  scheduled: async (_controller, env, ctx) => {
    const started = Date.now();
    const sweepLog = log.with({ actor: 'system:sweeper' });
    // Each job runs on its own: one failing leaves the others to finish, and each logs its outcome.
    const job = (name: string, work: Promise<object>, jobLog = sweepLog) =>
      ctx.waitUntil(
        work.then(
          (r) => jobLog.info(name, { ...r, duration_ms: Date.now() - started }),
          (err) => {
            jobLog.error(`${name} failed`, { error: err, duration_ms: Date.now() - started });
            throw err;
          },
        ),
      );
    const sweeper = serviceContext(env, { actor: SWEEPER_ACTOR, tenantId: null, requestId: `sweep-${started}` });
    job('stuck-call sweep', sweepStuckCalls(env));
    job('abandoned-upload sweep', sweepAbandonedUploads(sweeper));
    job('report expiry sweep', expireReports(sweeper));
    job('lost report recovery', recoverLostReports(sweeper));
    job('dispute expiry sweep', expireDisputes(sweeper));
    const scheduler = serviceContext(env, {
      actor: SCHEDULER_ACTOR,
      tenantId: null,
      requestId: `schedules-${started}`,
    });
    job('report schedule claim', claimDueSchedules(scheduler), scheduler.log);
  },
} satisfies ExportedHandler<Bindings, PipelineMessage>;
