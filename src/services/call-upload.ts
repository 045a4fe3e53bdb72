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
  startPipeline,
  storedAnswer,
  type AcceptedCall,
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
 * Before any audio is read, in one round trip: the tenant's limits, today's count, and the stored
 * answer if this Idempotency-Key was seen before.
 */
async function precheck(ctx: UserContext, tenantId: string, idempotencyKey: string | undefined) {
  const [[tenant], [usage], stored] = await ctx.db.run((q) => [
    q.select({ limits: tenants.limits }).from(tenants).where(eq(tenants.id, tenantId)),
    q
      .select({ calls: tenantUsage.calls })
      .from(tenantUsage)
      .where(sql`${tenantUsage.tenantId} = ${tenantId} and ${tenantUsage.day} = current_date`),
    storedAnswer(q, idempotencyKey),
  ]);
  return {
    limits: tenant!.limits,
    callsToday: usage?.calls ?? 0,
    replay: (stored?.[0]?.response as unknown as AcceptedCall | undefined) ?? null,
  };
}

/**
 * Send `metadata` first to have it checked before any audio is read; sent after, a bad one still
 * leaves nothing stored. A repeated Idempotency-Key answers what the first request answered.
 */
export async function uploadCall(ctx: UserContext, input: UploadInput): Promise<AcceptedCall> {
  const { tenantId, callId, key } = newCallSlot(ctx);
  const { limits, callsToday, replay } = await precheck(ctx, tenantId, input.idempotencyKey);
  if (replay) return replay;
  const maxBytes = limits.max_upload_mb * MB;
  // Multipart framing adds a little to the audio; anything well past the limit cannot fit.
  if (input.declaredBytes > maxBytes + 64 * 1024)
    throw new PayloadTooLarge(`Uploads are limited to ${limits.max_upload_mb} MB for this tenant.`);
  if (callsToday >= limits.max_calls_per_day)
    throw new TooManyRequests(`This tenant has reached its limit of ${limits.max_calls_per_day} calls today.`);

  let metadata: CallMetadata | undefined;
  let stored: { bytes: number; contentType: string } | undefined;
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
      input.idempotencyKey,
    );
    await startPipeline(ctx, callId);
    return answer;
  } catch (err) {
    if (stored) await ctx.audio.delete(key).catch(() => undefined);
    if (err instanceof Conflict && input.idempotencyKey) {
      // The same key raced us: answer what the first request answered.
      const first = await answerOfWinner(ctx, input.idempotencyKey);
      if (first) return first;
    }
    throw err;
  }
}
