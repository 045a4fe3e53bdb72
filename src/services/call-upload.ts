import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { RequestContext } from '../context';
import type { TenantDb } from '../db/tenant-db';
import { calls, idempotencyKeys, tenants, tenantUsage } from '../db/schema';
import type { Bindings } from '../env';
import { audioKey } from '../integrations/r2-presign';
import { fieldErrors } from '../lib/create-app';
import { Conflict, Forbidden, Invalid, PayloadTooLarge, TooManyRequests, UnsupportedMediaType } from '../lib/errors';
import { estimatedCompletion, type PipelineMessage } from '../pipeline/messages';
import { storeAudio } from './audio-store';
import { chargeCall } from './quota';
import { decodeField, multipartParts } from '../lib/multipart-stream';
import { tenantOf } from './scope';

export const CallMetadata = z.strictObject({
  agent_id: z.uuid('must be a UUID').optional(),
  direction: z.enum(['inbound', 'outbound']).default('inbound'),
  started_at: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }).optional(),
  external_id: z.string().trim().min(1).max(200).optional(),
  customer_number: z
    .string()
    .trim()
    .regex(/^\+?[0-9 ()-]{3,32}$/, 'must be a phone number')
    .optional(),
  tags: z.array(z.string().trim().min(1).max(50)).max(20).default([]),
  criteria_set_id: z.uuid('must be a UUID').optional(),
});
export type CallMetadata = z.infer<typeof CallMetadata>;

const MB = 1024 * 1024;

export interface AcceptedCall {
  call_id: string;
  status: 'queued';
  estimated_completion: string;
}

/**
 * What a request that may create a call needs to know first, in one round trip: the tenant's
 * limits and today's count, and the stored answer if this Idempotency-Key was seen before.
 */
async function precheck(ctx: RequestContext, tenantId: string, idempotencyKey: string | undefined) {
  const [[tenant], [usage], stored] = await ctx.db.run([
    ctx.db.q.select({ limits: tenants.limits }).from(tenants).where(eq(tenants.id, tenantId)),
    ctx.db.q
      .select({ calls: tenantUsage.calls })
      .from(tenantUsage)
      .where(sql`${tenantUsage.tenantId} = ${tenantId} and ${tenantUsage.day} = current_date`),
    ctx.db.q
      .select()
      .from(idempotencyKeys)
      .where(
        sql`${idempotencyKeys.key} = ${idempotencyKey ?? ''} and ${idempotencyKeys.createdAt} > now() - interval '24 hours'`,
      ),
  ]);
  const limits = tenant!.limits;
  return { limits, callsToday: usage?.calls ?? 0, replay: stored[0] ?? null };
}

/**
 * Records the call, counts it against the day's quota and remembers the answer for the
 * Idempotency-Key, in one transaction. The call row is inserted only if the quota allows it, so
 * a tenant at its limit gets nothing written.
 */
export async function recordCall(
  db: TenantDb,
  call: typeof calls.$inferInsert,
  idempotencyKey: string | undefined,
  answer: AcceptedCall,
): Promise<boolean> {
  const tenantId = call.tenantId;
  const insertCall = db.q.execute(sql`
      with counted as (${chargeCall(tenantId, call.audioBytes ?? 0)})
      insert into ${calls} (id, tenant_id, agent_id, uploaded_by, source, direction, started_at, external_id, customer_number, tags, status, audio_key, audio_content_type, audio_bytes, audio_channels, criteria_set_id)
      select ${call.id}, ${tenantId}, ${call.agentId ?? null}::uuid, ${call.uploadedBy ?? null}, ${call.source}, ${call.direction ?? 'inbound'}, ${call.startedAt ?? null}::timestamptz,
             ${call.externalId ?? null}, ${call.customerNumber ?? null}, ${sql.param(call.tags ?? [])}::text[], ${call.status}, ${call.audioKey},
             ${call.audioContentType ?? null}, ${call.audioBytes ?? null}, ${call.audioChannels ?? 1}, ${call.criteriaSetId ?? null}::uuid
      from counted
      returning id`);
  const remember = idempotencyKey
    ? db.q.execute(sql`
        insert into ${idempotencyKeys} (tenant_id, key, request_hash, status, response)
        select ${tenantId}, ${idempotencyKey}, ${call.id}, 202, ${JSON.stringify(answer)}::jsonb
        where exists (select 1 from ${calls} where id = ${call.id})`)
    : null;
  const [inserted] = remember ? await db.run([insertCall, remember]) : await db.run([insertCall]);
  return inserted.rows.length > 0;
}

export async function enqueue(env: Bindings, message: PipelineMessage, delaySeconds?: number) {
  await env.PIPELINE.send(message, delaySeconds ? { delaySeconds } : undefined);
}

/**
 * `POST /api/calls`: a multipart body with `metadata` (JSON) and `audio_file`. The audio streams
 * into R2 as it arrives; it is never held whole in memory. Send `metadata` first to have it
 * checked before any audio is read; sent after, a bad one still leaves nothing stored.
 */
export async function createCallFromUpload(
  ctx: RequestContext,
  env: Bindings,
  request: Request,
  idempotencyKey: string | undefined,
): Promise<{ status: number; body: AcceptedCall }> {
  const tenantId = tenantOf(ctx);
  if (!/^multipart\/form-data\s*;\s*boundary=/i.test(request.headers.get('content-type') ?? '')) {
    throw new UnsupportedMediaType('Send the call as multipart/form-data with the parts "metadata" and "audio_file".');
  }
  const { limits, callsToday, replay } = await precheck(ctx, tenantId, idempotencyKey);
  if (replay) return { status: replay.status, body: replay.response as unknown as AcceptedCall };

  const maxBytes = limits.max_upload_mb * MB;
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > maxBytes + 64 * 1024)
    throw new PayloadTooLarge(`Uploads are limited to ${limits.max_upload_mb} MB for this tenant.`);
  if (callsToday >= limits.max_calls_per_day)
    throw new TooManyRequests(`This tenant has reached its limit of ${limits.max_calls_per_day} calls today.`);

  const callId = crypto.randomUUID();
  const key = audioKey(tenantId, callId);
  let metadata: CallMetadata | undefined;
  let stored: { bytes: number; contentType: string } | undefined;
  try {
    if (!request.body) throw new Invalid('The request has no body.', [{ field: 'body', message: 'is required' }]);
    const parts = multipartParts(request.body, request.headers, {
      maxParts: 10,
      maxFieldSize: 64 * 1024,
      maxPartSize: maxBytes + 1,
      maxTotalSize: maxBytes + 256 * 1024,
    });
    for await (const part of parts) {
      if (part._tag === 'Field' && part.info.name === 'metadata') {
        metadata = parseMetadata(decodeField(part.info, part.value));
      } else if (part._tag === 'File' && part.info.name === 'audio_file' && !stored) {
        stored = await storeAudio(env.AUDIO, key, part.readable, maxBytes);
      } else if (part._tag === 'File') {
        await part.readable.cancel();
      }
    }
    if (!stored)
      throw new Invalid('The audio_file part is missing.', [{ field: 'audio_file', message: 'is required' }]);
    if (!metadata) throw new Invalid('The metadata part is missing.', [{ field: 'metadata', message: 'is required' }]);

    const agentId = agentFor(ctx, metadata.agent_id);
    const answer: AcceptedCall = { call_id: callId, status: 'queued', estimated_completion: estimatedCompletion() };
    const recorded = await recordCall(
      ctx.db,
      {
        id: callId,
        tenantId,
        agentId,
        uploadedBy: ctx.actor.userId,
        source: 'upload',
        direction: metadata.direction,
        startedAt: metadata.started_at ?? null,
        externalId: metadata.external_id ?? null,
        customerNumber: metadata.customer_number ?? null,
        tags: metadata.tags,
        status: 'queued',
        audioKey: key,
        audioContentType: stored.contentType,
        audioBytes: stored.bytes,
        criteriaSetId: metadata.criteria_set_id ?? null,
      },
      idempotencyKey,
      answer,
    );
    if (!recorded)
      throw new TooManyRequests(`This tenant has reached its limit of ${limits.max_calls_per_day} calls today.`);
    // If this send fails the call stays `queued` and the sweeper enqueues it again.
    await enqueue(env, { step: 'transcribe', tenant_id: tenantId, call_id: callId }).catch((e) =>
      console.error('enqueue failed; the sweeper will retry', e),
    );
    return { status: 202, body: answer };
  } catch (caught) {
    const err = (caught as { _tag?: string })?._tag ? multipartError(caught) : caught;
    if (stored) await env.AUDIO.delete(key).catch(() => undefined);
    if (err instanceof Conflict && idempotencyKey) {
      // The same key raced us: answer what the first request answered.
      const { replay: first } = await precheck(ctx, tenantId, idempotencyKey);
      if (first) return { status: first.status, body: first.response as unknown as AcceptedCall };
    }
    throw err;
  }
}

/** An agent uploads their own calls; managers may name any agent of the tenant. */
function agentFor(ctx: RequestContext, requested: string | undefined): string | null {
  if (ctx.actor.role === 'agent') {
    if (requested && requested !== ctx.actor.userId) throw new Forbidden('Agents may only upload their own calls.');
    return ctx.actor.userId;
  }
  return requested ?? null;
}

function parseMetadata(raw: string): CallMetadata {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Invalid('metadata is not valid JSON.', [{ field: 'metadata', message: 'must be a JSON object' }]);
  }
  const parsed = CallMetadata.safeParse(json);
  if (!parsed.success)
    throw new Invalid(
      'metadata is not valid.',
      fieldErrors(parsed.error).map((e) => ({ ...e, field: `metadata.${e.field}` })),
    );
  return parsed.data;
}

/** multipasta reports failures as `{ _tag }` objects, from the parser or the file stream it feeds. */
function multipartError(err: unknown): Error {
  const tag = (err as { _tag?: string })?._tag;
  if (tag === 'ReachedLimit') return new PayloadTooLarge('The upload is larger than this tenant allows.');
  return new Invalid('The multipart body is malformed.', [
    { field: 'body', message: `multipart error: ${tag ?? 'unreadable'}` },
  ]);
}
