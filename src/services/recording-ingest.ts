import { and, eq } from 'drizzle-orm';
import { calls } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';
import type { Bindings } from '../env';
import { audioKey } from '../integrations/r2-presign';
import { Conflict, Forbidden, TooManyRequests, Unavailable } from '../lib/errors';
import { enqueue, recordCall } from './call-upload';
import { storeAudio } from './audio-store';

const MAX_REDIRECTS = 3;

/**
 * Fetches a provider's recording from the one origin it may come from. Redirects are followed by
 * hand and only within that origin: a recording URL or redirect that points anywhere else (another
 * host, an internal address, a different scheme) is refused, so a webhook cannot make us fetch
 * arbitrary URLs.
 */
export async function fetchRecording(
  url: string,
  allowedOrigin: string,
  headers: Record<string, string>,
): Promise<Response> {
  let target = new URL(url);
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    if (target.origin !== allowedOrigin || target.username || target.password)
      throw new Forbidden(`Recordings are only fetched from ${allowedOrigin}.`);
    const res = await fetch(target, { headers, redirect: 'manual', signal: AbortSignal.timeout(30_000) }).catch(() => {
      throw new Unavailable('The recording host is unreachable.');
    });
    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.get('location');
      await res.body?.cancel();
      if (!location) throw new Unavailable('The recording host redirected without a location.');
      target = new URL(location, target);
      continue;
    }
    if (!res.ok || !res.body) throw new Unavailable(`The recording host answered ${res.status}.`);
    return res;
  }
  throw new Unavailable('The recording host redirected too many times.');
}

export interface IngestInput {
  source: 'twilio' | 'webhook';
  externalId: string;
  media: Response;
  agentId: string | null;
  direction: 'inbound' | 'outbound';
  startedAt: string | null;
  customerNumber: string | null;
  channels: number;
  tags: string[];
}

/** A provider event already turned into a call (same RecordingSid or event id)? */
export async function existingCall(
  db: TenantDb,
  source: 'twilio' | 'webhook',
  externalId: string,
): Promise<string | null> {
  const [[row]] = await db.run([
    db.q
      .select({ id: calls.id })
      .from(calls)
      .where(and(eq(calls.source, source), eq(calls.externalId, externalId))),
  ]);
  return row?.id ?? null;
}

/**
 * Stores the recording and creates the call, exactly once per external id: a concurrent
 * duplicate loses on the unique key and its copy of the audio is removed.
 */
export async function ingestRecording(
  db: TenantDb,
  env: Bindings,
  tenantId: string,
  maxUploadMb: number,
  input: IngestInput,
): Promise<{ callId: string; created: boolean }> {
  const callId = crypto.randomUUID();
  const key = audioKey(tenantId, callId);
  const stored = await storeAudio(env.AUDIO, key, input.media.body!, maxUploadMb * 1024 * 1024);
  try {
    const recorded = await recordCall(
      db,
      {
        id: callId,
        tenantId,
        agentId: input.agentId,
        uploadedBy: null,
        source: input.source,
        direction: input.direction,
        startedAt: input.startedAt,
        externalId: input.externalId,
        customerNumber: input.customerNumber,
        tags: input.tags,
        status: 'queued',
        audioKey: key,
        audioContentType: stored.contentType,
        audioBytes: stored.bytes,
        audioChannels: input.channels,
      },
      undefined,
      { call_id: callId, status: 'queued', estimated_completion: '' },
    );
    if (!recorded) throw new TooManyRequests('The tenant has reached its limit of calls for today.');
  } catch (err) {
    await env.AUDIO.delete(key).catch(() => undefined);
    // A concurrent delivery of the same recording won the unique key: answer with its call.
    const winner = err instanceof Conflict ? await existingCall(db, input.source, input.externalId) : null;
    if (winner) return { callId: winner, created: false };
    throw err;
  }
  await enqueue(env, { step: 'transcribe', tenant_id: tenantId, call_id: callId }).catch((e) =>
    console.error('enqueue failed; the sweeper will retry', e),
  );
  return { callId, created: true };
}
