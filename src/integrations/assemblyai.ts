import { AssemblyAI, type Transcript } from 'assemblyai';
import type { Config } from '../env';

export type { Transcript };

function client(config: Config) {
  return new AssemblyAI({ apiKey: config.assemblyai.apiKey, baseUrl: config.assemblyai.baseUrl });
}

/**
 * Submits a recording for transcription and returns at once (no polling: completion comes by
 * webhook, with a delayed poll as the fallback). AssemblyAI fetches the audio itself from a
 * short-lived presigned URL and calls `webhookUrl` with the shared secret header.
 */
export async function submitTranscription(
  config: Config,
  input: { audioUrl: string; webhookUrl: string; dualChannel: boolean },
): Promise<string> {
  const transcript = await client(config).transcripts.submit({
    audio_url: input.audioUrl,
    speech_model: config.assemblyai.speechModel as never,
    speaker_labels: !input.dualChannel,
    multichannel: input.dualChannel,
    sentiment_analysis: true,
    webhook_url: input.webhookUrl,
    webhook_auth_header_name: WEBHOOK_AUTH_HEADER,
    webhook_auth_header_value: config.assemblyai.webhookSecret,
  });
  return transcript.id;
}

export async function fetchTranscript(config: Config, transcriptId: string): Promise<Transcript> {
  return client(config).transcripts.get(transcriptId);
}

export const WEBHOOK_AUTH_HEADER = 'X-QA-Webhook-Secret';
