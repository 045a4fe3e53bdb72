import { sql } from 'drizzle-orm';
import type { Bindings } from '../env';
import { loadConfig } from '../env';
import { calls, idempotencyKeys, tenants, webhookEvents } from '../db/schema';
import { TenantSuspended } from '../lib/errors';
import { inTenant, PIPELINE_ACTOR, serviceContext, SWEEPER_ACTOR } from '../service-context';
import { IN_FLIGHT, type PipelineMessage } from './messages';
import { markFailed, PermanentFailure, runStep } from './steps';

const IN_FLIGHT_SQL = sql.raw(`(${IN_FLIGHT.map((s) => `'${s}'`).join(', ')})`);

export const DEAD_LETTER_QUEUE = 'qa-pipeline-dlq';

/** Exponential backoff with a cap: base, 2×base, 4×base ... 5 min (base 10 s by default). */
export function backoffSeconds(attempts: number, baseSeconds = 10): number {
  return Math.min(300, baseSeconds * 2 ** Math.max(0, attempts - 1));
}

/**
 * One message at a time, explicit ack or retry. A permanent failure marks the call failed with
 * its reason; anything else is retried with backoff until the queue's max_retries sends it to the
 * dead-letter queue, whose consumer marks the call failed.
 */
export async function handlePipelineBatch(batch: MessageBatch<PipelineMessage>, env: Bindings): Promise<void> {
  const config = loadConfig(env);
  for (const message of batch.messages) {
    const body = message.body;
    const ctx = serviceContext(env, { actor: PIPELINE_ACTOR, tenantId: body.tenant_id, requestId: message.id });
    if (batch.queue === DEAD_LETTER_QUEUE) {
      if ('call_id' in body)
        await markFailed(
          ctx,
          body.tenant_id,
          body.call_id,
          `pipeline gave up at step "${body.step}" after repeated errors`,
        ).catch((e) => console.error(e));
      message.ack();
      continue;
    }
    try {
      await runStep(ctx, body);
      message.ack();
    } catch (err) {
      if (err instanceof TenantSuspended) {
        // Nothing is spent for a suspended tenant; its call waits where it is and resumes when the
        // tenant is reactivated (services/tenants.ts).
        message.ack();
      } else if (err instanceof PermanentFailure && 'call_id' in body) {
        await markFailed(ctx, body.tenant_id, body.call_id, err.message);
        message.ack();
      } else {
        console.error(
          `pipeline step ${body.step} failed (attempt ${message.attempts})`,
          err instanceof Error ? err.message : err,
        );
        message.retry({ delaySeconds: backoffSeconds(message.attempts, config.pipeline.retryBaseSeconds) });
      }
    }
  }
}

/** Which step a call stuck in a state needs again. */
const NEXT_STEP: Partial<Record<string, (tenantId: string, callId: string) => PipelineMessage>> = {
  queued: (t, c) => ({ step: 'transcribe', tenant_id: t, call_id: c }),
  transcribing: (t, c) => ({ step: 'collect', tenant_id: t, call_id: c, via: 'poll', poll: 1 }),
  transcribed: (t, c) => ({ step: 'evaluate', tenant_id: t, call_id: c, run_key: 'pipeline' }),
  evaluating: (t, c) => ({ step: 'evaluate', tenant_id: t, call_id: c, run_key: 'pipeline' }),
};

/**
 * Cron: calls that have sat in one state past the timeout (a lost message, a crashed step) are
 * queued again at the step they need. Runs as the platform ('system', no tenant), which may read
 * every tenant's calls and nothing else. A call past three timeouts is failed instead. Expired
 * idempotency keys and webhook delivery records are purged in the same pass.
 */
export async function sweepStuckCalls(
  env: Bindings,
): Promise<{ requeued: number; failed: number; purgedIdempotencyKeys: number; purgedWebhookEvents: number }> {
  const config = loadConfig(env);
  const ctx = serviceContext(env, { actor: SWEEPER_ACTOR, tenantId: null, requestId: `sweep-${Date.now()}` });
  const minutes = config.pipeline.stuckAfterMinutes;
  const [stuck, purged, purgedEvents] = await ctx.db.run((q) => [
    q.execute(sql`
      select tenant_id, id, status, status_changed_at < now() - make_interval(mins => ${minutes * 3}) as expired
      from ${calls}
      where status in ${IN_FLIGHT_SQL}
        and status_changed_at < now() - make_interval(mins => ${minutes})
        -- A suspended tenant's calls wait until it is reactivated.
        and tenant_id in (select id from ${tenants} where status = 'active')
      order by status_changed_at
      limit 200`),
    // Idempotency keys answer retries for 24 hours; after that they are only clutter.
    q.execute(sql`delete from ${idempotencyKeys} where created_at < now() - interval '24 hours'`),
    // Webhook delivery records guard replay windows of minutes to an hour; after 24 hours they guard nothing.
    q.execute(sql`delete from ${webhookEvents} where received_at < now() - interval '24 hours'`),
    // Signed database contexts past their expiry can no longer be replayed; forget their nonces.
    q.execute(sql`select purge_expired_contexts()`),
  ]);
  let requeued = 0;
  let failed = 0;
  for (const row of stuck.rows as { tenant_id: string; id: string; status: string; expired: boolean }[]) {
    if (row.expired) {
      await markFailed(
        inTenant(ctx, row.tenant_id),
        row.tenant_id,
        row.id,
        `stuck in "${row.status}" for more than ${minutes * 3} minutes`,
      );
      failed++;
      continue;
    }
    const next = NEXT_STEP[row.status]?.(row.tenant_id, row.id);
    if (next) {
      await ctx.pipeline.send(next);
      requeued++;
    }
  }
  return {
    requeued,
    failed,
    purgedIdempotencyKeys: purged.rowCount ?? 0,
    purgedWebhookEvents: purgedEvents.rowCount ?? 0,
  };
}
