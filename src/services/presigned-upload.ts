import { and, eq, sql } from 'drizzle-orm';
import type { RequestContext } from '../context';
import { calls, tenants } from '../db/schema';
import type { Bindings } from '../env';
import { audioKey, presignR2 } from '../integrations/r2-presign';
import { sniffAudio, SNIFF_BYTES } from '../lib/audio-format';
import { Conflict, Forbidden, NotFound, PayloadTooLarge, TooManyRequests, UnsupportedMediaType } from '../lib/errors';
import { estimatedCompletion } from '../pipeline/messages';
import { enqueue, type CallMetadata } from './call-upload';
import { chargeCall } from './quota';
import { tenantOf } from './scope';

export const ACCEPTED_AUDIO_TYPES = [
  'audio/wav',
  'audio/x-wav',
  'audio/mpeg',
  'audio/mp4',
  'audio/x-m4a',
  'audio/ogg',
  'audio/opus',
  'audio/flac',
  'audio/webm',
] as const;
export const UPLOAD_URL_TTL_SECONDS = 900;

/**
 * Step 1 of a direct-to-R2 upload for large files: the call is recorded as `uploaded` and the
 * client gets a presigned PUT for exactly this content type, valid 15 minutes.
 */
export async function createPresignedUpload(
  ctx: RequestContext,
  input: { content_type: string; content_length: number; metadata: CallMetadata },
) {
  const tenantId = tenantOf(ctx);
  if (ctx.actor.role === 'agent' && input.metadata.agent_id && input.metadata.agent_id !== ctx.actor.userId)
    throw new Forbidden('Agents may only upload their own calls.');
  const agentId = ctx.actor.role === 'agent' ? ctx.actor.userId : (input.metadata.agent_id ?? null);
  const callId = crypto.randomUUID();
  const key = audioKey(tenantId, callId);
  const m = input.metadata;
  const [[tenant], inserted] = await ctx.db.run([
    ctx.db.q.select({ limits: tenants.limits }).from(tenants).where(eq(tenants.id, tenantId)),
    ctx.db.q.execute(sql`
      insert into ${calls} (id, tenant_id, agent_id, uploaded_by, source, direction, started_at, external_id, customer_number, tags, status, audio_key, audio_content_type, audio_bytes, criteria_set_id)
      select ${callId}, ${tenantId}, ${agentId}::uuid, ${ctx.actor.userId}, 'presigned', ${m.direction}, ${m.started_at ?? null}::timestamptz, ${m.external_id ?? null},
             ${m.customer_number ?? null}, ${sql.param(m.tags)}::text[], 'uploaded', ${key}, ${input.content_type}, ${input.content_length}, ${m.criteria_set_id ?? null}::uuid
      from ${tenants} t
      where t.id = ${tenantId} and ${input.content_length} <= (t.limits ->> 'max_upload_mb')::bigint * 1048576
      returning id`),
  ]);
  if (!inserted.rows.length)
    throw new PayloadTooLarge(`Uploads are limited to ${tenant?.limits.max_upload_mb ?? '?'} MB for this tenant.`);
  const headers = { 'content-type': input.content_type };
  return {
    call_id: callId,
    status: 'uploaded' as const,
    upload_url: await presignR2(ctx.config, 'PUT', key, UPLOAD_URL_TTL_SECONDS, headers),
    method: 'PUT' as const,
    headers,
    expires_in: UPLOAD_URL_TTL_SECONDS,
  };
}

/**
 * Step 2: the object must be there, of the declared size, and audio by its first bytes. Then
 * the call is counted against the quota and queued. Anything wrong removes the object and the
 * call, so an abandoned or bad upload leaves nothing behind.
 */
export async function completePresignedUpload(ctx: RequestContext, env: Bindings, callId: string) {
  const tenantId = tenantOf(ctx);
  const [[call]] = await ctx.db.run([
    ctx.db.q
      .select({ key: calls.audioKey, status: calls.status, bytes: calls.audioBytes })
      .from(calls)
      .where(eq(calls.id, callId)),
  ]);
  if (!call) throw new NotFound('Call');
  if (call.status !== 'uploaded')
    return { call_id: callId, status: call.status, estimated_completion: estimatedCompletion() };

  const head = await env.AUDIO.get(call.key, { range: { offset: 0, length: SNIFF_BYTES } });
  if (!head) throw new Conflict('The audio has not been uploaded yet: PUT it to upload_url first.');
  const sniffed = sniffAudio(new Uint8Array(await head.arrayBuffer()));
  const discard = async () => {
    await env.AUDIO.delete(call.key);
    await ctx.db.run([ctx.db.q.delete(calls).where(and(eq(calls.id, callId), eq(calls.status, 'uploaded')))]);
  };
  if (head.size !== call.bytes) {
    await discard();
    throw new Conflict(`The uploaded object has ${head.size} bytes, not the ${call.bytes} declared; upload again.`);
  }
  if (!sniffed) {
    await discard();
    throw new UnsupportedMediaType(
      'The uploaded object is not a supported recording (wav, mp3, m4a/mp4, ogg/opus, flac, webm).',
    );
  }
  const [queued] = await ctx.db.run([
    ctx.db.q.execute(sql`
      with counted as (${chargeCall(tenantId, head.size, sql`exists (select 1 from ${calls} c where c.id = ${callId} and c.status = 'uploaded')`)})
      update ${calls} set status = 'queued', audio_content_type = ${sniffed}
      where id = ${callId} and status = 'uploaded' and exists (select 1 from counted)
      returning id`),
  ]);
  if (!queued.rows.length) throw new TooManyRequests('This tenant has reached its limit of calls for today.');
  await enqueue(env, { step: 'transcribe', tenant_id: tenantId, call_id: callId }).catch((e) =>
    console.error('enqueue failed; the sweeper will retry', e),
  );
  return { call_id: callId, status: 'queued' as const, estimated_completion: estimatedCompletion() };
}
