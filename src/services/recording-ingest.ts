import { log } from '../lib/log';
import type { ServiceContext, WebhookActor } from '../context';
import { Conflict, Forbidden, Unavailable } from '../lib/errors';
import { storeAudio } from './audio-store';
import { callFromProvider, newCallSlot, recordCall, startPipeline } from './call-intake';

const MAX_REDIRECTS = 3;

/**
 * Every failure after the first request looks the same to the caller: which host answered, with what
 * status, or that nothing listened on a port, would let a signed webhook map the network behind us.
 * The reason goes to the log only.
 */
function unfetchable(reason: string): Unavailable {
  log.warn('recording fetch failed', { reason });
  return new Unavailable('The recording could not be fetched.');
}

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
  if (target.origin !== allowedOrigin || target.username || target.password)
    throw new Forbidden("The recording URL is not on the integration's media origin.");
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    if (target.origin !== allowedOrigin || target.username || target.password)
      throw unfetchable(`redirected off the media origin to ${target.origin}`);
    const res = await fetch(target, { headers, redirect: 'manual', signal: AbortSignal.timeout(30_000) }).catch(
      (err: unknown) => {
        throw unfetchable(`${target.origin} unreachable: ${err instanceof Error ? err.message : String(err)}`);
      },
    );
    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.get('location');
      await res.body?.cancel();
      if (!location) throw unfetchable(`${target.origin} redirected without a location`);
      try {
        target = new URL(location, target);
      } catch {
        throw unfetchable(`${target.origin} redirected to an invalid location`);
      }
      continue;
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      throw unfetchable(`${target.origin} answered ${res.status}`);
    }
    return res;
  }
  throw unfetchable('too many redirects');
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

/**
 * Stores the recording and creates the call, exactly once per external id: a concurrent
 * duplicate loses on the unique key and its copy of the audio is removed.
 */
export async function ingestRecording(
  ctx: ServiceContext<WebhookActor>,
  maxUploadMb: number,
  input: IngestInput,
): Promise<{ callId: string; created: boolean }> {
  const { callId, key } = newCallSlot(ctx);
  const stored = await storeAudio(ctx.audio, key, input.media.body!, maxUploadMb * 1024 * 1024);
  try {
    await recordCall(ctx, {
      id: callId,
      agentId: input.agentId,
      source: input.source,
      direction: input.direction,
      startedAt: input.startedAt,
      externalId: input.externalId,
      customerNumber: input.customerNumber,
      tags: input.tags,
      criteriaSetId: null,
      status: 'queued',
      audioKey: key,
      audioContentType: stored.contentType,
      audioBytes: stored.bytes,
      audioChannels: input.channels,
    });
  } catch (err) {
    await ctx.audio.delete(key).catch(() => undefined);
    // A concurrent delivery of the same recording won the unique key: answer with its call.
    const winner = err instanceof Conflict ? await callFromProvider(ctx, input.source, input.externalId) : null;
    if (winner) return { callId: winner, created: false };
    throw err;
  }
  await startPipeline(ctx, callId);
  return { callId, created: true };
}
