import { inArray, sql } from 'drizzle-orm';
import type { Bindings } from '../env';
import { loadConfig } from '../env';
import { calls, idempotencyKeys, tenants, webhookEvents } from '../db/schema';
import { TenantSuspended } from '../lib/errors';
import { inTenant, PIPELINE_ACTOR, serviceContext, SWEEPER_ACTOR } from '../service-context';
import { IN_FLIGHT, type PipelineMessage } from './messages';
import { markReportFailed } from '../services/reports/generate';
import { markFailed, PermanentFailure, runStep } from './steps';

export const DEAD_LETTER_QUEUE = 'qa-pipeline-dlq';

/** Exponential backoff with a cap: base, 2×base, 4×base ... 5 min (base 10 s by default). */
export function backoffSeconds(attempts: number, baseSeconds = 10): number {
  return Math.min(300, baseSeconds * 2 ** Math.max(0, attempts - 1));
}

/**
 * How many messages of one batch run at once. A Worker invocation keeps at most six connections
 * open at a time (further fetches wait for one to close); a step holds one at a time (a database
 * round trip, or the vendor call between two), so six steps in flight use the invocation fully
 * without stepping on each other, and bound the transcripts and model answers held in memory.
 * The batch itself is larger (wrangler.toml `max_batch_size`), so the slots stay busy.
 */
export const BATCH_CONCURRENCY = 6;

/**
 * A batch at a time, its messages concurrently (at most BATCH_CONCURRENCY), each acked or retried
 * on its own: one failing message never retries the others. Messages about the same call (or the
 * same report) run one after another in arrival order, so a duplicate in the same batch finds the work done (steps
 * claim their work by conditional update, so duplicates across batches are harmless too).
 * A permanent failure marks the call failed with its reason; anything else is retried with
 * backoff until the queue's max_retries sends it to the dead-letter queue, whose consumer marks
 * the call failed.
 */
export async function handlePipelineBatch(batch: MessageBatch<PipelineMessage>, env: Bindings): Promise<void> {
  const config = loadConfig(env);
  const deadLetter = batch.queue === DEAD_LETTER_QUEUE;
  const lanes = new Map<string, Message<PipelineMessage>[]>();
  for (const message of batch.messages) {
    const b = message.body;
    const key =
      'call_id' in b
        ? `${b.tenant_id}/${b.call_id}`
        : 'report_id' in b
          ? `${b.tenant_id}/report/${b.report_id}`
          : message.id;
    const lane = lanes.get(key);
    if (lane) lane.push(message);
    else lanes.set(key, [message]);
  }
  await eachBounded([...lanes.values()], BATCH_CONCURRENCY, async (lane) => {
    for (const message of lane) await handleMessage(message, env, config.pipeline.retryBaseSeconds, deadLetter);
  });
}

/** Runs `work` over `items`, at most `limit` at a time. */
async function eachBounded<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** One message, settled here whatever happens: acked, or retried with backoff. Never throws. */
async function handleMessage(
  message: Message<PipelineMessage>,
  env: Bindings,
  retryBaseSeconds: number,
  deadLetter: boolean,
): Promise<void> {
  const body = message.body;
  const started = Date.now();
  const ctx = serviceContext(env, { actor: PIPELINE_ACTOR, tenantId: body.tenant_id, requestId: message.id });
  const log = ctx.log.with({
    step: body.step,
    ...('call_id' in body ? { call_id: body.call_id } : {}),
    attempt: message.attempts,
  });
  const done = (outcome: string) => ({ outcome, duration_ms: Date.now() - started });
  try {
    if (deadLetter) {
      const reason = `pipeline gave up at step "${body.step}" after repeated errors`;
      if ('call_id' in body) await markFailed(ctx, body.tenant_id, body.call_id, reason);
      if (body.step === 'report') await markReportFailed(ctx, body.tenant_id, body.report_id, reason);
      message.ack();
      log.error(reason, done('dead-lettered'));
      return;
    }
    try {
      await runStep(ctx, body);
      message.ack();
      log.info('pipeline step done', done('ack'));
    } catch (err) {
      if (!(err instanceof PermanentFailure && 'call_id' in body)) throw err;
      await markFailed(ctx, body.tenant_id, body.call_id, err.message);
      message.ack();
      log.warn('pipeline step failed; the call is failed', { ...done('failed'), reason: err.message });
    }
  } catch (err) {
    if (err instanceof TenantSuspended) {
      // Nothing is spent for a suspended tenant; its call waits where it is and resumes when the
      // tenant is reactivated (services/tenants.ts).
      message.ack();
      log.info('pipeline step skipped: tenant suspended', done('suspended'));
      return;
    }
    const delaySeconds = backoffSeconds(message.attempts, retryBaseSeconds);
    message.retry({ delaySeconds });
    log.warn('pipeline step failed; retrying', { ...done('retry'), delay_seconds: delaySeconds, error: err });
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
      where ${inArray(calls.status, [...IN_FLIGHT])}
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
