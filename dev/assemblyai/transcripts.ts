/**
 * Transcript lifecycle: queued at submit, processing once the audio is being fetched, then
 * completed (or error) `latencyMs` after submit, followed by the webhook. Like AssemblyAI, the
 * audio is fetched from `audio_url` by the service itself, so an unreachable or expired URL
 * ends as a transcript error, not as a failed submit.
 */
import { sleep } from '../shared/http.ts';
import { randomUUID } from 'node:crypto';
import type { AssemblyAIBehaviour } from './behaviour.ts';
import type { SampleCatalogue } from './catalogue.ts';
import type { TranscriptParams } from './params.ts';
import type { TranscriptRecord } from './view.ts';
import { deliverWebhook } from './webhooks.ts';

const DOWNLOAD_TIMEOUT_MS = 10_000;
const MAX_AUDIO_BYTES = 256 * 1024 * 1024;

/** AssemblyAI's wording for the two ways a file fails; product code may show these to users. */
const downloadError = (url: string) =>
  `Download error, unable to download ${url}. Please make sure the file exists and is accessible from the internet.`;
const TRANSCODING_ERROR =
  'Transcoding failed. File does not appear to contain audio. File type is application/octet-stream (data).';

export interface TranscriptCounters {
  transcripts: number;
  webhooksSent: number;
  webhookFailures: number;
}

export interface TranscriptServiceDeps {
  catalogue: SampleCatalogue;
  behaviour(): AssemblyAIBehaviour;
  counters: TranscriptCounters;
  /** Audio uploaded through /v2/upload, found without a network round trip. */
  localUpload(url: string): Uint8Array | undefined;
}

export class TranscriptService {
  private readonly records = new Map<string, TranscriptRecord>();
  private readonly closing = new AbortController();
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly deps: TranscriptServiceDeps) {}

  submit(params: TranscriptParams): TranscriptRecord {
    const record: TranscriptRecord = {
      id: randomUUID(),
      params,
      status: 'queued',
      createdAt: new Date(),
      webhookStatusCode: null,
      deleted: false,
    };
    this.records.set(record.id, record);
    this.deps.counters.transcripts++;
    this.track(this.process(record, this.deps.behaviour()));
    return record;
  }

  get(id: string): TranscriptRecord | undefined {
    return this.records.get(id);
  }

  list(): TranscriptRecord[] {
    return [...this.records.values()];
  }

  /** Stops timers, downloads and webhook retries; waits for them to wind down. */
  async close(): Promise<void> {
    this.closing.abort();
    await Promise.allSettled([...this.pending]);
  }

  private track(work: Promise<unknown>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  private async process(record: TranscriptRecord, behaviour: AssemblyAIBehaviour): Promise<void> {
    const signal = this.closing.signal;
    const doneAt = record.createdAt.getTime() + behaviour.latencyMs;
    // A short stay in "queued" so pollers can observe every state.
    await sleep(behaviour.latencyMs / 4, signal);
    if (signal.aborted) return;
    record.status = 'processing';

    const audio = await this.download(record.params.audio_url, signal);
    if (signal.aborted) return;
    await sleep(doneAt - Date.now(), signal);
    if (signal.aborted) return;

    if (audio === undefined) this.finish(record, { error: downloadError(record.params.audio_url) });
    else if (audio.length === 0 || Math.random() < behaviour.failureRate)
      this.finish(record, { error: TRANSCODING_ERROR });
    else this.finish(record, { content: this.deps.catalogue.match(audio).transcript });
  }

  private async download(url: string, signal: AbortSignal): Promise<Uint8Array | undefined> {
    const local = this.deps.localUpload(url);
    if (local) return local;
    try {
      const res = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS)]) });
      if (!res.ok) {
        await res.arrayBuffer().catch(() => undefined);
        return undefined;
      }
      const length = Number(res.headers.get('content-length') ?? 0);
      if (length > MAX_AUDIO_BYTES) return undefined;
      return new Uint8Array(await res.arrayBuffer());
    } catch {
      return undefined;
    }
  }

  private finish(record: TranscriptRecord, outcome: { content?: TranscriptRecord['content']; error?: string }): void {
    record.status = outcome.error === undefined ? 'completed' : 'error';
    record.content = outcome.content;
    record.error = outcome.error;
    record.completedAt = new Date();
    const url = record.params['webhook_url'];
    if (typeof url === 'string') this.track(this.notify(record, url));
  }

  private async notify(record: TranscriptRecord, url: string): Promise<void> {
    const name = record.params['webhook_auth_header_name'];
    const value = record.params['webhook_auth_header_value'];
    const send = () =>
      deliverWebhook({
        url,
        body: { transcript_id: record.id, status: record.status === 'completed' ? 'completed' : 'error' },
        authHeader: typeof name === 'string' && typeof value === 'string' ? { name, value } : undefined,
        signal: this.closing.signal,
        onAttempt: (ok) => void (ok ? this.deps.counters.webhooksSent++ : this.deps.counters.webhookFailures++),
      });
    record.webhookStatusCode = await send();
    // At-least-once delivery: receivers must tolerate the same notification twice.
    if (Math.random() < this.deps.behaviour().duplicateWebhookRate && !this.closing.signal.aborted) await send();
  }
}
