import { and, eq } from 'drizzle-orm';
import type { UserContext } from '../context';
import { calls } from '../db/schema';
import { queueUploadedCall } from '../db/statements/calls';
import { presignR2 } from '../integrations/r2-presign';
import { sniffAudio, SNIFF_BYTES } from '../lib/audio-format';
import { Conflict, NotFound, TooManyRequests, UnsupportedMediaType } from '../lib/errors';
import { estimatedCompletion } from '../pipeline/messages';
import { agentFor, newCallSlot, recordCall, startPipeline } from './call-intake';
import type { CallMetadata } from './call-upload';
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
  ctx: UserContext,
  input: { content_type: string; content_length: number; metadata: CallMetadata },
) {
  const { callId, key } = newCallSlot(ctx);
  const m = input.metadata;
  await recordCall(ctx, {
    id: callId,
    agentId: agentFor(ctx, m.agent_id),
    source: 'presigned',
    direction: m.direction,
    startedAt: m.started_at ?? null,
    externalId: m.external_id ?? null,
    customerNumber: m.customer_number ?? null,
    tags: m.tags,
    criteriaSetId: m.criteria_set_id ?? null,
    status: 'uploaded',
    audioKey: key,
    audioContentType: input.content_type,
    audioBytes: input.content_length,
    audioChannels: 1,
  });
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
export async function completePresignedUpload(ctx: UserContext, callId: string) {
  const tenantId = tenantOf(ctx);
  const [[call]] = await ctx.db.run((q) => [
    q
      .select({ key: calls.audioKey, status: calls.status, bytes: calls.audioBytes })
      .from(calls)
      .where(eq(calls.id, callId)),
  ]);
  if (!call) throw new NotFound('Call');
  if (call.status !== 'uploaded')
    return { call_id: callId, status: call.status, estimated_completion: estimatedCompletion() };

  const head = await ctx.audio.get(call.key, { range: { offset: 0, length: SNIFF_BYTES } });
  if (!head) throw new Conflict('The audio has not been uploaded yet: PUT it to upload_url first.');
  const sniffed = sniffAudio(new Uint8Array(await head.arrayBuffer()));
  const discard = async () => {
    await ctx.audio.delete(call.key);
    await ctx.db.run((q) => [q.delete(calls).where(and(eq(calls.id, callId), eq(calls.status, 'uploaded')))]);
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
  const [result] = await ctx.db.run((q) => [queueUploadedCall(q, tenantId, callId, head.size, sniffed)]);
  const { pending, queued } = result.rows[0]!;
  // Completed by a concurrent request in the meantime: answer like a repeated completion.
  if (!pending) return { call_id: callId, status: 'queued' as const, estimated_completion: estimatedCompletion() };
  if (!queued) throw new TooManyRequests('This tenant has reached its limit of calls for today.');
  await startPipeline(ctx, callId);
  return { call_id: callId, status: 'queued' as const, estimated_completion: estimatedCompletion() };
}
