/**
 * `POST /api/calls`: the audio streams into R2 as the route reads it from the multipart body;
 * it is never held whole in memory. The route parses and validates the parts; this decides.
 */
import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { UserContext } from '../context';
import { tenants, tenantUsage } from '../db/schema';
import { Conflict, Invalid, PayloadTooLarge, TooManyRequests } from '../lib/errors';
import { storeAudio } from './audio-store';
import {
  agentFor,
  answerOfWinner,
  newCallSlot,
  recordCall,
  replayOf,
  requestFingerprint,
  startPipeline,
  storedAnswer,
  type AcceptedCall,
  type IdempotentRequest,
} from './call-intake';

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

/** One part of an upload, as the route hands it over: checked metadata, or the audio stream. */
export type UploadPart =
  | { kind: 'metadata'; metadata: CallMetadata }
  | { kind: 'audio'; stream: ReadableStream<Uint8Array> }
  | { kind: 'other'; discard: () => Promise<void> };

export interface UploadInput {
  idempotencyKey?: string;
  /** The body's declared length, if any: refused early when it cannot fit. */
  declaredBytes: number;
  /** Reads the body's parts, none larger than `maxBytes`; only called once the upload may proceed. */
  parts: (maxBytes: number) => AsyncIterable<UploadPart>;
}

const MB = 1024 * 1024;

/**
 * Before any audio is read, in one round trip: the tenant's limits, today's count, and what this
 * caller's Idempotency-Key was stored with, if it was seen before.
 */
async function precheck(ctx: UserContext, tenantId: string, idempotencyKey: string | undefined) {
  const [[tenant], [usage], stored] = await ctx.db.run((q) => [
    q.select({ limits: tenants.limits }).from(tenants).where(eq(tenants.id, tenantId)),
    q
      .select({ calls: tenantUsage.calls })
      .from(tenantUsage)
      .where(sql`${tenantUsage.tenantId} = ${tenantId} and ${tenantUsage.day} = current_date`),
    storedAnswer(q, ctx, idempotencyKey),
  ]);
  return { limits: tenant!.limits, callsToday: usage?.calls ?? 0, seen: stored ? stored[0] : undefined };
}

/**
 * What identifies an upload for its Idempotency-Key: the metadata as checked (defaults applied,
 * keys sorted) and the audio's size in bytes. The multipart framing (boundary, part order, file
 * name) is not part of it, so a client's retry of the same call is the same request.
 */
const uploadFingerprint = (metadata: CallMetadata, audioBytes: number) =>
  requestFingerprint('uploadCall', { metadata, audio_bytes: audioBytes });

/**
 * A retry of a key already used: the body is read to fingerprint it (the audio only counted,
 * never stored), then answered with the first answer, or refused if it is another request.
 */
async function replay(
  input: UploadInput,
  maxBytes: number,
  seen: { response: unknown; fingerprint: string },
): Promise<AcceptedCall> {
  let metadata: CallMetadata | undefined;
  let audioBytes: number | undefined;
  for await (const part of input.parts(maxBytes)) {
    if (part.kind === 'metadata') metadata = part.metadata;
    else if (part.kind === 'audio' && audioBytes === undefined) audioBytes = await byteCount(part.stream);
    else if (part.kind === 'audio') await part.stream.cancel();
    else await part.discard();
  }
  if (audioBytes === undefined)
    throw new Invalid('The audio_file part is missing.', [{ field: 'audio_file', message: 'is required' }]);
  if (!metadata) throw new Invalid('The metadata part is missing.', [{ field: 'metadata', message: 'is required' }]);
  return replayOf(seen, await uploadFingerprint(metadata, audioBytes))!;
}

async function byteCount(stream: ReadableStream<Uint8Array>): Promise<number> {
  let n = 0;
  for await (const chunk of stream) n += chunk.byteLength;
  return n;
}

/**
 * Send `metadata` first to have it checked before any audio is read; sent after, a bad one still
 * leaves nothing stored. A repeated Idempotency-Key answers what the first request answered if
 * it is the same request (same metadata, same audio size), and 422 if it is not.
 */
export async function uploadCall(ctx: UserContext, input: UploadInput): Promise<AcceptedCall> {
  const { tenantId, callId, key } = newCallSlot(ctx);
  const { limits, callsToday, seen } = await precheck(ctx, tenantId, input.idempotencyKey);
  const maxBytes = limits.max_upload_mb * MB;
  if (seen) return replay(input, maxBytes, seen);
  // Multipart framing adds a little to the audio; anything well past the limit cannot fit.
  if (input.declaredBytes > maxBytes + 64 * 1024)
    throw new PayloadTooLarge(`Uploads are limited to ${limits.max_upload_mb} MB for this tenant.`);
  if (callsToday >= limits.max_calls_per_day)
    throw new TooManyRequests(`This tenant has reached its limit of ${limits.max_calls_per_day} calls today.`);

  let metadata: CallMetadata | undefined;
  let stored: { bytes: number; contentType: string } | undefined;
  let idempotency: IdempotentRequest | undefined;
  try {
    for await (const part of input.parts(maxBytes)) {
      if (part.kind === 'metadata') metadata = part.metadata;
      else if (part.kind === 'audio' && !stored) stored = await storeAudio(ctx.audio, key, part.stream, maxBytes);
      else if (part.kind === 'audio') await part.stream.cancel();
      else await part.discard();
    }
    if (!stored)
      throw new Invalid('The audio_file part is missing.', [{ field: 'audio_file', message: 'is required' }]);
    if (!metadata) throw new Invalid('The metadata part is missing.', [{ field: 'metadata', message: 'is required' }]);
    if (input.idempotencyKey)
      idempotency = { key: input.idempotencyKey, fingerprint: await uploadFingerprint(metadata, stored.bytes) };
    const answer = await recordCall(
      ctx,
      {
        id: callId,
        agentId: agentFor(ctx, metadata.agent_id),
        source: 'upload',
        direction: metadata.direction,
        startedAt: metadata.started_at ?? null,
        externalId: metadata.external_id ?? null,
        customerNumber: metadata.customer_number ?? null,
        tags: metadata.tags,
        criteriaSetId: metadata.criteria_set_id ?? null,
        status: 'queued',
        audioKey: key,
        audioContentType: stored.contentType,
        audioBytes: stored.bytes,
        audioChannels: 1,
      },
      idempotency,
    );
    await startPipeline(ctx, callId);
    return answer;
  } catch (err) {
    if (stored) await ctx.audio.delete(key).catch(() => undefined);
    if (err instanceof Conflict && idempotency) {
      // The same key raced us: answer what the first request answered, if it was this request.
      const first = await answerOfWinner(ctx, idempotency);
      if (first) return first;
    }
    throw err;
  }
}
