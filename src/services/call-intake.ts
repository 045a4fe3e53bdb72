/**
 * The one way a call enters the platform, whatever brought it: a multipart upload, a direct
 * upload, a Twilio recording or a signed webhook. Who the agent is, the insert with its quota
 * charge and idempotency, and the hand-off to the pipeline each live here and nowhere else.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { ServiceContext } from '../context';
import { insertCall, lockTenantIntake, type NewCall } from '../db/statements/calls';
import type { QueryBuilder } from '../db/tenant-db';
import { calls, idempotencyKeys } from '../db/schema';
import { audioKey } from '../integrations/r2-presign';
import { Forbidden, IdempotencyKeyReused, PayloadTooLarge, StorageQuotaExceeded, TooManyRequests } from '../lib/errors';
import { estimatedCompletion } from '../pipeline/messages';
import { actorId } from '../service-context';
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

/** An Idempotency-Key as the request presented it, with the fingerprint of that request. */
export interface IdempotentRequest {
  key: string;
  fingerprint: string;
}

/**
 * The fingerprint of a request made with an Idempotency-Key: the operation and the fields that
 * define it, as one SHA-256. Objects are hashed with their keys sorted, so the same fields in
 * another order are the same request; arrays keep their order.
 */
export async function requestFingerprint(operation: string, fields: Record<string, unknown>): Promise<string> {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  const bytes = new TextEncoder().encode(JSON.stringify([operation, canonical(fields)]));
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Records the call in one statement: the size limit, the storage limit, the quota charge (for a
 * queued call) and the Idempotency-Key answer all go with the insert or not at all. Throws 413 or
 * 429 with the tier's figure; a duplicate key or provider id is a Conflict the caller resolves.
 */
export async function recordCall(
  ctx: ServiceContext,
  call: CallRecord,
  idempotency?: IdempotentRequest,
): Promise<AcceptedCall> {
  const tenantId = tenantOf(ctx);
  const answer: AcceptedCall = { call_id: call.id, status: 'queued', estimated_completion: estimatedCompletion() };
  const [, result] = await ctx.db.run((q) => [
    lockTenantIntake(q, tenantId),
    insertCall(
      q,
      { ...call, tenantId, uploadedBy: uploaderOf(ctx) },
      idempotency ? { actorId: actorId(ctx.actor), ...idempotency, answer } : undefined,
    ),
  ]);
  const flags = result.rows[0]!;
  if (!flags.within_size)
    throw new PayloadTooLarge(`Uploads are limited to ${flags.max_upload_mb ?? '?'} MB for this tenant.`);
  if (!flags.within_storage)
    throw new StorageQuotaExceeded(
      `This tenant's audio storage is limited to ${flags.max_storage_gb} GB (uploads not yet completed included); ` +
        'delete calls or ask for a higher tier.',
    );
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

/** The answer and request fingerprint stored for this caller's Idempotency-Key in the last 24 hours, if any. */
export function storedAnswer(q: QueryBuilder, ctx: ServiceContext, key: string | undefined) {
  return (
    key !== undefined &&
    q
      .select({ response: idempotencyKeys.response, fingerprint: idempotencyKeys.requestHash })
      .from(idempotencyKeys)
      .where(
        sql`${idempotencyKeys.actorId} = ${actorId(ctx.actor)} and ${idempotencyKeys.key} = ${key}
            and ${idempotencyKeys.createdAt} > now() - interval '24 hours'`,
      )
  );
}

/**
 * The first answer for a key, if the request is the same one (Stripe's rule): the same key with
 * another fingerprint is refused with 422 rather than answered with someone else's result.
 */
export function replayOf(
  stored: { response: unknown; fingerprint: string } | undefined,
  fingerprint: string,
): AcceptedCall | null {
  if (!stored) return null;
  if (stored.fingerprint !== fingerprint)
    throw new IdempotencyKeyReused(
      'This Idempotency-Key was already used for a different request; use a new key for a new request.',
    );
  return stored.response as AcceptedCall;
}

/** After a Conflict: the answer the request that won the same Idempotency-Key got, if that was it. */
export async function answerOfWinner(ctx: ServiceContext, request: IdempotentRequest): Promise<AcceptedCall | null> {
  const [rows] = await ctx.db.run((q) => [storedAnswer(q, ctx, request.key)]);
  return replayOf(rows?.[0], request.fingerprint);
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
