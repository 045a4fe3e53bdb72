import { and, eq, inArray, sql } from 'drizzle-orm';
import type { ServiceContext, SystemActor, UserContext } from '../context';
import { calls, tenants } from '../db/schema';
import { queueUploadedCall } from '../db/statements/calls';
import { audioKey, presignR2, STAGING_PREFIX, stagingKey } from '../integrations/r2-presign';
import { sniffAudio, SNIFF_BYTES } from '../lib/audio-format';
import { Conflict, Invalid, NotFound, PayloadTooLarge, TooManyRequests, UnsupportedMediaType } from '../lib/errors';
import { estimatedCompletion } from '../pipeline/messages';
import { inTenant } from '../service-context';
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
/**
 * A presigned PUT is valid this long. It is signed for the declared length and type and writes
 * only to the upload's staging key, so what it can do after `/complete` is harmless; the expiry
 * bounds how long an abandoned upload holds its place in the tenant's storage.
 */
export const UPLOAD_URL_TTL_SECONDS = 900;
/** After its URL expired, an upload never completed is removed (object and call) by the cron sweeper. */
export const ABANDONED_UPLOAD_AFTER_SECONDS = UPLOAD_URL_TTL_SECONDS + 300;

/**
 * Step 1 of a direct-to-R2 upload for large files: the call is recorded as `uploaded`, its
 * declared size counted against the tenant's storage until it completes or is swept, and the
 * client gets a presigned PUT for exactly this content type and length, to a staging key.
 */
export async function createPresignedUpload(
  ctx: UserContext,
  input: { content_type: string; content_length: number; metadata: CallMetadata },
) {
  const { tenantId, callId } = newCallSlot(ctx);
  const staging = stagingKey(tenantId, callId);
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
    // Until it completes, the call points at its staging object; `/complete` moves it.
    audioKey: staging,
    audioContentType: input.content_type,
    audioBytes: input.content_length,
    audioChannels: 1,
  });
  // Both are signed: R2 refuses a PUT whose Content-Length or Content-Type differs.
  const headers = { 'content-type': input.content_type, 'content-length': String(input.content_length) };
  return {
    call_id: callId,
    status: 'uploaded' as const,
    upload_url: await presignR2(ctx.config, 'PUT', staging, UPLOAD_URL_TTL_SECONDS, headers),
    method: 'PUT' as const,
    headers,
    expires_in: UPLOAD_URL_TTL_SECONDS,
  };
}

const AUDIO_FORMATS = 'wav, mp3, m4a/mp4, ogg/opus, flac, webm';

/**
 * Step 2: the staging object must be there, of the declared size, and audio by its first bytes.
 * It is copied (streamed, never held whole) to a key of the call's own that no URL can write, the
 * copy is the one checked, and only then is the call charged and queued; later PUTs to the
 * staging key reach nothing that is played back or transcribed. A wrong object removes the
 * object and the call (413 too large, 422 too small, 415 not audio). A missing one is 409 while
 * the URL is valid (PUT it, then complete again) and, after that, removes the call too.
 */
export async function completePresignedUpload(ctx: UserContext, callId: string) {
  const tenantId = tenantOf(ctx);
  const [[call]] = await ctx.db.run((q) => [
    q
      .select({
        key: calls.audioKey,
        status: calls.status,
        bytes: calls.audioBytes,
        type: calls.audioContentType,
        expired: sql<boolean>`${calls.createdAt} < now() - make_interval(secs => ${UPLOAD_URL_TTL_SECONDS})`,
      })
      .from(calls)
      .where(eq(calls.id, callId)),
  ]);
  if (!call) throw new NotFound('Call');
  if (call.status !== 'uploaded')
    return { call_id: callId, status: call.status, estimated_completion: estimatedCompletion() };
  const staging = call.key;
  const discard = async (...keys: string[]) => {
    await ctx.audio.delete([staging, ...keys]);
    await ctx.db.run((q) => [q.delete(calls).where(and(eq(calls.id, callId), eq(calls.status, 'uploaded')))]);
  };

  const object = await ctx.audio.get(staging);
  if (!object) {
    if (call.expired) {
      await discard();
      throw new Conflict('The upload URL expired before the audio arrived; start a new upload.');
    }
    throw new Conflict('The audio has not been uploaded yet: PUT it to upload_url first.');
  }
  if (object.size !== call.bytes) {
    await object.body.cancel();
    await discard();
    const found = `The uploaded object has ${object.size} bytes, not the ${call.bytes} declared; start a new upload.`;
    if (object.size > call.bytes!) throw new PayloadTooLarge(found);
    throw new Invalid(found, [{ field: 'content_length', message: 'does not match the uploaded object' }]);
  }

  // A fresh key per completion: a concurrent completion that loses leaves the winner's copy alone.
  const key = `${audioKey(tenantId, callId)}-${crypto.randomUUID().slice(0, 8)}`;
  await ctx.audio.put(key, object.body, { httpMetadata: { contentType: call.type ?? 'application/octet-stream' } });
  const head = await ctx.audio.get(key, { range: { offset: 0, length: SNIFF_BYTES } });
  const sniffed = head && sniffAudio(new Uint8Array(await head.arrayBuffer()));
  if (!sniffed) {
    await discard(key);
    throw new UnsupportedMediaType(`The uploaded object is not a supported recording (${AUDIO_FORMATS}).`);
  }
  await ctx.audio.delete(staging);
  const [result] = await ctx.db.run((q) => [
    queueUploadedCall(q, tenantId, callId, { key, bytes: object.size, type: sniffed }),
  ]);
  const { pending, queued } = result.rows[0]!;
  if (!queued) await ctx.audio.delete(key);
  // Completed by a concurrent request in the meantime: answer like a repeated completion.
  if (!pending) return { call_id: callId, status: 'queued' as const, estimated_completion: estimatedCompletion() };
  if (!queued) throw new TooManyRequests('This tenant has reached its limit of calls for today.');
  await startPipeline(ctx, callId);
  return { call_id: callId, status: 'queued' as const, estimated_completion: estimatedCompletion() };
}

/**
 * Cron: direct uploads never completed, past their URL's expiry plus a margin, are removed with
 * their staging object, so they stop holding the tenant's storage; so are staging objects left
 * over after a completion (a PUT repeated before the URL expired). Runs as the platform, and
 * removes each tenant's rows in that tenant's context.
 */
export async function sweepAbandonedUploads(
  ctx: ServiceContext<SystemActor>,
): Promise<{ calls: number; objects: number }> {
  const [stale] = await ctx.db.run((q) => [
    q
      .select({ tenantId: calls.tenantId, id: calls.id, key: calls.audioKey })
      .from(calls)
      .where(
        sql`${calls.status} = 'uploaded'
            and ${calls.createdAt} < now() - make_interval(secs => ${ABANDONED_UPLOAD_AFTER_SECONDS})
            -- A suspended tenant's context is refused; its uploads wait for reactivation.
            and ${calls.tenantId} in (select ${tenants.id} from ${tenants} where ${tenants.status} = 'active')`,
      )
      .orderBy(calls.createdAt)
      .limit(500),
  ]);
  const byTenant = new Map<string, typeof stale>();
  for (const row of stale) byTenant.set(row.tenantId, [...(byTenant.get(row.tenantId) ?? []), row]);
  let removed = 0;
  for (const [tenantId, rows] of byTenant) {
    await ctx.audio.delete(rows.map((r) => r.key));
    const [deleted] = await inTenant(ctx, tenantId).db.run((q) => [
      q
        .delete(calls)
        .where(
          and(
            inArray(
              calls.id,
              rows.map((r) => r.id),
            ),
            eq(calls.status, 'uploaded'),
          ),
        )
        .returning({ id: calls.id }),
    ]);
    removed += deleted.length;
  }
  // Anything in the staging area older than a URL's lifetime (plus the margin) is dead: its
  // upload was completed (copied) or abandoned (its call removed above).
  // A pass looks at up to 10 pages; what is left waits for the next run.
  const cutoff = Date.now() - ABANDONED_UPLOAD_AFTER_SECONDS * 1000;
  let objects = 0;
  let cursor: string | undefined;
  for (let page = 0; page < 10; page++) {
    const listed = await ctx.audio.list({ prefix: STAGING_PREFIX, limit: 1000, cursor });
    const dead = listed.objects.filter((o) => o.uploaded.getTime() < cutoff).map((o) => o.key);
    if (dead.length) await ctx.audio.delete(dead);
    objects += dead.length;
    if (!listed.truncated) break;
    cursor = listed.cursor;
  }
  return { calls: removed, objects };
}
