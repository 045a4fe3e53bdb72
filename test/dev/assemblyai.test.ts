/**
 * The AssemblyAI stand-in, driven by the real `assemblyai` SDK: upload, submit, status polling,
 * webhooks into a local receiver, and the failure knobs the product's tests rely on.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AssemblyAI, type Transcript } from 'assemblyai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AssemblyAIStandIn, startAssemblyAI } from '../../dev/assemblyai/index.ts';
import { loadSample, loadSampleAudio, SAMPLES } from '../../dev/samples/index.ts';

const API_KEY = 'aai-test-key';
const SECRET_HEADER = 'X-QA-Webhook-Secret';
const SECRET = 'webhook-shared-secret';
const LATENCY_MS = 150;

interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  body: { transcript_id: string; status: string };
}

let aai: AssemblyAIStandIn;
let client: AssemblyAI;
let receiver: Server;
let receiverUrl: string;
let received: ReceivedWebhook[] = [];
/** Status codes the receiver answers with, in order, per path; then 200. */
let scripted = new Map<string, number[]>();

beforeAll(async () => {
  aai = await startAssemblyAI({ port: 0, behaviour: { apiKey: API_KEY, latencyMs: LATENCY_MS } });
  client = new AssemblyAI({ apiKey: API_KEY, baseUrl: aai.url });
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      if (req.method === 'GET' && path === '/missing.wav') {
        res.writeHead(404).end('not here');
        return;
      }
      received.push({
        path,
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as ReceivedWebhook['body'],
      });
      const status = scripted.get(path)?.shift() ?? 200;
      res.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await aai?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

beforeEach(() => {
  aai.configure({ latencyMs: LATENCY_MS, failureRate: 0, httpErrorRate: 0, duplicateWebhookRate: 0, apiKey: API_KEY });
  aai.resetStats();
  received = [];
  scripted = new Map();
});

async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Polls like the product's fallback does, recording every status seen on the way. */
async function pollUntilDone(id: string): Promise<{ transcript: Transcript; seen: string[] }> {
  const seen: string[] = [];
  const transcript = await waitFor(async () => {
    const t = await client.transcripts.get(id);
    if (seen.at(-1) !== t.status) seen.push(t.status);
    return t.status === 'completed' || t.status === 'error' ? t : undefined;
  });
  return { transcript, seen };
}

const webhookFor = (path: string) => ({
  webhook_url: `${receiverUrl}${path}`,
  webhook_auth_header_name: SECRET_HEADER,
  webhook_auth_header_value: SECRET,
});

describe('samples', () => {
  it('lists the sha256 of each committed recording', async () => {
    for (const sample of SAMPLES) {
      const audio = await loadSampleAudio(sample.name);
      expect(createHash('sha256').update(audio).digest('hex'), sample.name).toBe(sample.sha256);
      expect(audio.length).toBeLessThan(64 * 1024);
      expect(Buffer.from(audio.subarray(0, 4)).toString('latin1')).toBe('RIFF');
      expect(new DataView(audio.buffer, audio.byteOffset).getUint16(22, true)).toBe(sample.channels);
    }
  });
});

describe('AssemblyAI stand-in', () => {
  it('turns an uploaded sample into its own transcript, with speakers, sentiment and an authenticated webhook', async () => {
    const { audio, transcript: expected } = await loadSample('billing-verified');
    const uploadUrl = await client.files.upload(audio);
    expect(uploadUrl).toMatch(new RegExp(`^${aai.url}/cdn/upload/[0-9a-f-]{36}$`));

    const submitted = await client.transcripts.submit({
      audio_url: uploadUrl,
      speaker_labels: true,
      sentiment_analysis: true,
      speech_models: ['universal-3-pro', 'universal-2'],
      ...webhookFor('/hooks/assemblyai'),
    });
    expect(submitted.status).toBe('queued');
    expect(submitted.text).toBeNull();
    expect(submitted.webhook_auth).toBe(true);
    expect(submitted.webhook_auth_header_name).toBe(SECRET_HEADER);
    expect(JSON.stringify(submitted)).not.toContain(SECRET);

    const { transcript, seen } = await pollUntilDone(submitted.id);
    expect(seen[0]).toMatch(/queued|processing/);
    expect(seen).toContain('processing');
    expect(seen.at(-1)).toBe('completed');

    expect(transcript.text).toBe(expected.text);
    expect(transcript.audio_duration).toBe(expected.audio_duration);
    expect(transcript.language_code).toBe('en_us');
    expect(transcript.speech_model_used).toBe('universal-3-pro');
    expect(transcript.utterances?.map((u) => u.speaker)).toEqual(expected.utterances.map((u) => u.speaker));
    expect(new Set(transcript.utterances?.map((u) => u.speaker))).toEqual(new Set(['A', 'B']));
    expect(transcript.words?.[0]).toMatchObject({ speaker: 'A', channel: null });
    expect(transcript.words?.[0]?.start).toBeGreaterThan(0);
    expect(transcript.sentiment_analysis_results?.length).toBeGreaterThan(10);
    expect(
      transcript.sentiment_analysis_results?.every((s) => ['POSITIVE', 'NEUTRAL', 'NEGATIVE'].includes(s.sentiment)),
    ).toBe(true);

    const hook = await waitFor(() => received.find((r) => r.body.transcript_id === submitted.id));
    expect(hook.path).toBe('/hooks/assemblyai');
    expect(hook.body).toEqual({ transcript_id: submitted.id, status: 'completed' });
    expect(hook.headers[SECRET_HEADER.toLowerCase()]).toBe(SECRET);
    expect(hook.headers['content-type']).toBe('application/json');
    await waitFor(async () =>
      (await client.transcripts.get(submitted.id)).webhook_status_code === 200 ? true : undefined,
    );
    expect(aai.stats()).toMatchObject({ transcripts: 1, webhooksSent: 1, webhookFailures: 0 });
  });

  it('maps unknown audio to a sample by the first byte of its sha256', async () => {
    const audio = randomBytes(2048);
    const index = createHash('sha256').update(audio).digest()[0]! % SAMPLES.length;
    const { transcript: expected } = await loadSample(SAMPLES[index]!.name);
    const submitted = await client.transcripts.submit({ audio: audio, speaker_labels: true });
    const { transcript } = await pollUntilDone(submitted.id);
    expect(transcript.status).toBe('completed');
    expect(transcript.text).toBe(expected.text);
  });

  it('leaves out speakers, utterances and sentiment when they were not asked for', async () => {
    const submitted = await client.transcripts.submit({ audio: await loadSampleAudio('rude-agent') });
    const { transcript } = await pollUntilDone(submitted.id);
    expect(transcript.text).toContain('Northwind, go ahead.');
    expect(transcript.words?.every((w) => w.speaker === null)).toBe(true);
    expect(transcript.utterances).toBeNull();
    expect(transcript.sentiment_analysis_results).toBeNull();
    expect(transcript.webhook_url).toBeNull();
    expect(transcript.webhook_auth).toBe(false);
  });

  it('labels channels for multichannel (dual-channel) recordings', async () => {
    const submitted = await client.transcripts.submit({
      audio: await loadSampleAudio('retention-dual'),
      multichannel: true,
      sentiment_analysis: true,
    });
    const { transcript } = await pollUntilDone(submitted.id);
    expect(transcript.multichannel).toBe(true);
    expect(transcript.audio_channels).toBe(2);
    expect(transcript.utterances?.[0]).toMatchObject({ speaker: '1', channel: '1' });
    expect(transcript.utterances?.[1]).toMatchObject({ speaker: '2', channel: '2' });
    expect(new Set(transcript.words?.map((w) => w.channel))).toEqual(new Set(['1', '2']));
    expect(transcript.sentiment_analysis_results?.[0]?.channel).toBe('1');
  });

  it('ends as "error" with failureRate 1 and says so in the webhook', async () => {
    aai.configure({ failureRate: 1 });
    const submitted = await client.transcripts.submit({
      audio: await loadSampleAudio('tech-support'),
      ...webhookFor('/hooks/fail'),
    });
    const { transcript } = await pollUntilDone(submitted.id);
    expect(transcript.status).toBe('error');
    expect(transcript.error).toMatch(/^Transcoding failed/);
    expect(transcript.text).toBeNull();
    const hook = await waitFor(() => received.find((r) => r.body.transcript_id === submitted.id));
    expect(hook.body.status).toBe('error');
  });

  it('reports a download error for an audio_url it cannot fetch', async () => {
    const submitted = await client.transcripts.submit({
      audio_url: `${receiverUrl}/missing.wav`,
      ...webhookFor('/hooks/download'),
    });
    const { transcript } = await pollUntilDone(submitted.id);
    expect(transcript.status).toBe('error');
    expect(transcript.error).toContain(`Download error, unable to download ${receiverUrl}/missing.wav`);
    const hook = await waitFor(() => received.find((r) => r.path === '/hooks/download'));
    expect(hook.body).toEqual({ transcript_id: submitted.id, status: 'error' });
  });

  it('delivers every webhook twice with duplicateWebhookRate 1', async () => {
    aai.configure({ duplicateWebhookRate: 1, latencyMs: 50 });
    const submitted = await client.transcripts.submit({
      audio: await loadSampleAudio('billing-verified'),
      ...webhookFor('/hooks/dup'),
    });
    await waitFor(() =>
      received.filter((r) => r.body.transcript_id === submitted.id).length === 2 ? true : undefined,
    );
    expect(received.filter((r) => r.path === '/hooks/dup').map((r) => r.body)).toEqual([
      { transcript_id: submitted.id, status: 'completed' },
      { transcript_id: submitted.id, status: 'completed' },
    ]);
    expect(aai.stats().webhooksSent).toBe(2);
  });

  it('retries a webhook answered 5xx and stops after a 4xx', async () => {
    aai.configure({ latencyMs: 20 });
    scripted.set('/hooks/flaky', [503, 500]);
    scripted.set('/hooks/gone', [410, 410, 410]);
    const flaky = await client.transcripts.submit({ audio: randomBytes(64), ...webhookFor('/hooks/flaky') });
    const gone = await client.transcripts.submit({ audio: randomBytes(64), ...webhookFor('/hooks/gone') });

    await waitFor(() => (received.filter((r) => r.path === '/hooks/flaky').length === 3 ? true : undefined));
    await waitFor(async () =>
      (await client.transcripts.get(flaky.id)).webhook_status_code === 200 ? true : undefined,
    );
    await waitFor(async () => ((await client.transcripts.get(gone.id)).webhook_status_code === 410 ? true : undefined));
    await new Promise((r) => setTimeout(r, 400)); // longer than the first retry delays
    expect(received.filter((r) => r.path === '/hooks/gone')).toHaveLength(1);
    expect(aai.stats()).toMatchObject({ webhooksSent: 1, webhookFailures: 3 });
  });

  it('answers API calls 500 with httpErrorRate 1, but not the CDN or the control endpoints', async () => {
    const uploadUrl = await client.files.upload(await loadSampleAudio('rude-agent'));
    aai.configure({ httpErrorRate: 1 });
    await expect(client.transcripts.submit({ audio_url: uploadUrl })).rejects.toThrow('Internal server error');
    await expect(client.transcripts.get('anything')).rejects.toThrow('Internal server error');
    expect((await fetch(uploadUrl)).status).toBe(200);
    expect(await (await fetch(`${aai.url}/__stats`)).json()).toMatchObject({ httpErrors: 2 });
  });

  it('requires the raw API key, without "Bearer"', async () => {
    const wrong = new AssemblyAI({ apiKey: 'nope', baseUrl: aai.url });
    await expect(wrong.transcripts.get('x')).rejects.toThrow('Authentication error, API token missing/invalid');
    const res = await fetch(`${aai.url}/v2/transcript/x`, { headers: { authorization: `Bearer ${API_KEY}` } });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'Authentication error, API token missing/invalid' });
  });

  it('rejects invalid submissions and unknown ids like the API', async () => {
    await expect(client.transcripts.submit({} as never)).rejects.toThrow(/audio_url is required/);
    await expect(client.transcripts.submit({ audio_url: 'ftp://example.com/a.wav' })).rejects.toThrow(/audio_url/);
    await expect(
      client.transcripts.submit({ audio_url: 'https://example.com/a.wav', speaker_labels: 'yes' as never }),
    ).rejects.toThrow(/speaker_labels must be a boolean/);
    await expect(
      client.transcripts.submit({
        audio_url: 'https://example.com/a.wav',
        webhook_url: `${receiverUrl}/x`,
        webhook_auth_header_name: 'X-A',
      }),
    ).rejects.toThrow(/together/);
    await expect(client.transcripts.get('00000000-0000-4000-8000-000000000000')).rejects.toThrow(
      'Transcript not found',
    );
    expect(aai.stats().transcripts).toBe(0);
  });

  it('deletes a finished transcript', async () => {
    const submitted = await client.transcripts.submit({
      audio: await loadSampleAudio('tech-support'),
      speaker_labels: true,
    });
    await expect(client.transcripts.delete(submitted.id)).rejects.toThrow(/still processing/);
    await pollUntilDone(submitted.id);
    const deleted = await client.transcripts.delete(submitted.id);
    expect(deleted.text).toBe('Deleted by user.');
    expect((await client.transcripts.get(submitted.id)).words).toBeNull();
  });

  it('takes behaviour changes and reports counters over HTTP', async () => {
    const res = await fetch(`${aai.url}/__config`, {
      method: 'POST',
      body: JSON.stringify({ latencyMs: 10, failureRate: 0.5 }),
    });
    expect(await res.json()).toEqual({
      latencyMs: 10,
      failureRate: 0.5,
      httpErrorRate: 0,
      duplicateWebhookRate: 0,
      apiKeyRequired: true,
    });
    const bad = await fetch(`${aai.url}/__config`, { method: 'POST', body: JSON.stringify({ failureRate: 2 }) });
    expect(bad.status).toBe(400);
    expect(await (await fetch(`${aai.url}/__stats`)).json()).toEqual({
      transcripts: 0,
      webhooksSent: 0,
      webhookFailures: 0,
      httpErrors: 0,
    });
  });
});
