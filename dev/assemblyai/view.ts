/**
 * The Transcript object as `GET /v2/transcript/{id}` returns it: every request option echoed,
 * content only once completed, and speakers, channels and sentiment shaped by what was asked
 * for. The stored samples carry speakers "A"/"B" and no channels; this adapts them per request.
 */
import type {
  SentimentAnalysisResult,
  Transcript,
  TranscriptStatus,
  TranscriptUtterance,
  TranscriptWord,
} from 'assemblyai';
import type { SampleTranscript } from '../samples/index.ts';
import type { TranscriptParams } from './params.ts';

export interface TranscriptRecord {
  id: string;
  params: TranscriptParams;
  status: TranscriptStatus;
  createdAt: Date;
  completedAt?: Date | undefined;
  content?: SampleTranscript | undefined;
  error?: string | undefined;
  webhookStatusCode: number | null;
  deleted: boolean;
}

/** AssemblyAI blanks a deleted transcript's content but keeps the record. */
const DELETED_TEXT = 'Deleted by user.';
const DELETED_AUDIO_URL = 'http://deleted_by_user';

export function viewTranscript(record: TranscriptRecord): Transcript {
  const p = record.params;
  const bool = (key: string): boolean | null => (typeof p[key] === 'boolean' ? (p[key] as boolean) : null);
  const str = (key: string): string | null => (typeof p[key] === 'string' ? (p[key] as string) : null);
  const multichannel = p['multichannel'] === true;
  const content = record.status === 'completed' && !record.deleted ? record.content : undefined;
  const speechModels = Array.isArray(p['speech_models']) ? (p['speech_models'] as string[]) : null;
  const speechModel = str('speech_model');

  const transcript: Transcript = {
    id: record.id,
    status: record.status,
    audio_url: record.deleted ? DELETED_AUDIO_URL : p.audio_url,
    language_model: 'assemblyai_default',
    acoustic_model: 'assemblyai_default',
    language_code: str('language_code') ?? (p['language_detection'] === true ? 'en' : 'en_us'),
    language_detection: bool('language_detection'),
    language_confidence_threshold:
      typeof p['language_confidence_threshold'] === 'number' ? p['language_confidence_threshold'] : null,
    language_confidence: content && p['language_detection'] === true ? 0.98 : null,
    language_codes: null,
    speech_model: speechModel as Transcript['speech_model'],
    speech_models: speechModels,
    speech_model_used: content ? (speechModels?.[0] ?? speechModel ?? 'universal') : null,
    text: record.deleted ? DELETED_TEXT : (content?.text ?? null),
    words: content ? content.words.map((w) => adaptWord(w, p)) : null,
    utterances:
      content && (multichannel || p['speaker_labels'] === true)
        ? content.utterances.map((u) => adaptUtterance(u, p))
        : null,
    confidence: content?.confidence ?? null,
    audio_duration: content?.audio_duration ?? null,
    ...(multichannel && content ? { audio_channels: Math.max(2, content.audio_channels) } : {}),
    punctuate: bool('punctuate') ?? true,
    format_text: bool('format_text') ?? true,
    disfluencies: bool('disfluencies') ?? false,
    multichannel: bool('multichannel'),
    dual_channel: bool('dual_channel'),
    speaker_labels: bool('speaker_labels'),
    speakers_expected: typeof p['speakers_expected'] === 'number' ? p['speakers_expected'] : null,
    sentiment_analysis: bool('sentiment_analysis'),
    sentiment_analysis_results:
      content && p['sentiment_analysis'] === true
        ? content.sentiment_analysis_results.map((s) => adaptSentiment(s, p))
        : null,
    entity_detection: bool('entity_detection'),
    // No entity model here: an honest empty list rather than invented entities.
    entities: content && p['entity_detection'] === true ? [] : null,
    redact_pii: p['redact_pii'] === true,
    redact_pii_audio: bool('redact_pii_audio'),
    redact_pii_audio_quality: (str('redact_pii_audio_quality') as Transcript['redact_pii_audio_quality']) ?? null,
    redact_pii_policies: (p['redact_pii_policies'] as Transcript['redact_pii_policies']) ?? null,
    redact_pii_sub: (str('redact_pii_sub') as Transcript['redact_pii_sub']) ?? undefined,
    filter_profanity: bool('filter_profanity') ?? false,
    auto_highlights: p['auto_highlights'] === true,
    auto_highlights_result: null,
    auto_chapters: bool('auto_chapters') ?? false,
    chapters: null,
    summarization: p['summarization'] === true,
    summary: null,
    summary_type: null,
    summary_model: null,
    content_safety: bool('content_safety') ?? false,
    content_safety_labels: null,
    iab_categories: bool('iab_categories') ?? false,
    iab_categories_result: null,
    custom_topics: bool('custom_topics'),
    topics: [],
    custom_spelling: null,
    word_boost: [],
    boost_param: null,
    speech_threshold: typeof p['speech_threshold'] === 'number' ? p['speech_threshold'] : null,
    audio_start_from: typeof p['audio_start_from'] === 'number' ? p['audio_start_from'] : null,
    audio_end_at: typeof p['audio_end_at'] === 'number' ? p['audio_end_at'] : null,
    speed_boost: false,
    throttled: false,
    webhook_url: str('webhook_url'),
    // The header value is a secret: AssemblyAI echoes only that one was set, and its name.
    webhook_auth: str('webhook_auth_header_name') !== null,
    webhook_auth_header_name: str('webhook_auth_header_name'),
    webhook_status_code: record.webhookStatusCode,
  };
  if (record.status === 'error') transcript.error = record.error ?? 'Internal server error';
  return transcript;
}

/**
 * Multichannel labels speakers by channel number ("1", "2"); with speaker_labels as well, speakers
 * within a channel get a letter after it. Plain diarization keeps "A"/"B"; without either, null.
 */
function labels(speaker: string | null, p: TranscriptParams): { speaker: string | null; channel: string | null } {
  if (p['multichannel'] === true) {
    const channel = speaker === 'B' ? '2' : '1';
    return { speaker: p['speaker_labels'] === true ? `${channel}A` : channel, channel };
  }
  return { speaker: p['speaker_labels'] === true ? speaker : null, channel: null };
}

function adaptWord(word: TranscriptWord, p: TranscriptParams): TranscriptWord {
  return { ...word, ...labels(word.speaker, p) };
}

function adaptUtterance(utterance: TranscriptUtterance, p: TranscriptParams): TranscriptUtterance {
  const { speaker, channel } = labels(utterance.speaker, p);
  return {
    ...utterance,
    speaker: speaker ?? utterance.speaker,
    channel,
    words: utterance.words.map((w) => adaptWord(w, p)),
  };
}

function adaptSentiment(result: SentimentAnalysisResult, p: TranscriptParams): SentimentAnalysisResult {
  return { ...result, ...labels(result.speaker, p) };
}
