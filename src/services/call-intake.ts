/**
 * The one way a call enters the platform, whatever brought it: a multipart upload, a direct
 * upload, a Twilio recording or a signed webhook. Who the agent is, the insert with its quota
 * charge and idempotency, and the hand-off to the pipeline each live here and nowhere else.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { ServiceContext } from '../context';
import { insertCall, type NewCall } from '../db/statements/calls';
import type { QueryBuilder } from '../db/tenant-db';
import { calls, idempotencyKeys } from '../db/schema';
import { audioKey } from '../integrations/r2-presign';
import { Forbidden, PayloadTooLarge, TooManyRequests } from '../lib/errors';
import { estimatedCompletion } from '../pipeline/messages';
import { tenantOf } from './scope';

export interface AcceptedCall {
  call_id: string;
  status: 'queued';
  estimated_completion: string;
}

/** A new call's id and the storage key its audio goes to. */
export function newCallSlot(ctx: ServiceContext): { tenantId: string; callId: string; key: string } {
  const tenantId = tenantOf(ctx);
  const callId = crypto.randomUUID();
  return { tenantId, callId, key: audioKey(tenantId, callId) };
}

/**
 * An agent's calls are their own; managers may name any agent of the tenant; a provider's call
 * gets the agent its integration maps it to.
 */
export function agentFor(ctx: ServiceContext, requested: string | null | undefined): string | null {
  if (ctx.actor.kind === 'user' && ctx.actor.role === 'agent') {
    if (requested && requested !== ctx.actor.userId) throw new Forbidden('Agents may only upload their own calls.');
    return ctx.actor.userId;
  }
  return requested ?? null;
}

/** Who uploaded: the person, or nobody for a provider's delivery. */
function uploaderOf(ctx: ServiceContext): string | null {
  return ctx.actor.kind === 'user' ? ctx.actor.userId : null;
}

export type CallRecord = Omit<NewCall, 'tenantId' | 'uploadedBy'>;

/**
 * Records the call in one statement: the size limit, the quota charge (for a queued call) and
 * the Idempotency-Key answer all go with the insert or not at all. Throws 413 or 429 with the
 * tier's figure; a duplicate key or provider id is a Conflict the caller resolves.
 */
export async function recordCall(
  ctx: ServiceContext,
  call: CallRecord,
  idempotencyKey?: string,
): Promise<AcceptedCall> {
  const tenantId = tenantOf(ctx);
  const answer: AcceptedCall = { call_id: call.id, status: 'queued', estimated_completion: estimatedCompletion() };
  const [result] = await ctx.db.run((q) => [
    insertCall(
      q,
      { ...call, tenantId, uploadedBy: uploaderOf(ctx) },
      idempotencyKey ? { key: idempotencyKey, answer } : undefined,
    ),
  ]);
  const flags = result.rows[0]!;
  if (!flags.within_size)
    throw new PayloadTooLarge(`Uploads are limited to ${flags.max_upload_mb ?? '?'} MB for this tenant.`);
  if (!flags.within_quota)
    throw new TooManyRequests(`This tenant has reached its limit of ${flags.max_calls_per_day} calls today.`);
  return answer;
}

/**
 * Hands a queued call to the pipeline. A failed send is not the caller's problem: the call stays
 * `queued` and the sweeper enqueues it again, so this never throws.
 */
export async function startPipeline(ctx: ServiceContext, callId: string): Promise<void> {
  await ctx.pipeline
    .send({ step: 'transcribe', tenant_id: tenantOf(ctx), call_id: callId })
    .catch((e) => ctx.log.error('enqueue failed; the sweeper will retry', { call_id: callId, error: e }));
}

/** The answer stored for an Idempotency-Key seen in the last 24 hours, if any. */
export function storedAnswer(q: QueryBuilder, key: string | undefined) {
  return (
    key !== undefined &&
    q
      .select({ response: idempotencyKeys.response })
      .from(idempotencyKeys)
      .where(sql`${idempotencyKeys.key} = ${key} and ${idempotencyKeys.createdAt} > now() - interval '24 hours'`)
  );
}

/** After a Conflict: the answer the request that won the same Idempotency-Key got, if that was it. */
export async function answerOfWinner(ctx: ServiceContext, key: string): Promise<AcceptedCall | null> {
  const [rows] = await ctx.db.run((q) => [storedAnswer(q, key)]);
  return (rows?.[0]?.response as unknown as AcceptedCall | undefined) ?? null;
}

/** A provider event already turned into a call (the same RecordingSid or event id)? */
export async function callFromProvider(
  ctx: ServiceContext,
  source: 'twilio' | 'webhook',
  externalId: string,
): Promise<string | null> {
  const [[row]] = await ctx.db.run((q) => [
    q
      .select({ id: calls.id })
      .from(calls)
      .where(and(eq(calls.source, source), eq(calls.externalId, externalId))),
  ]);
  return row?.id ?? null;
}
