/**
 * Checks a `POST /v2/transcript` body the way the API does before queueing anything: wrong types
 * and missing `audio_url` are a 400, so a product bug shows up at submit time, not as a transcript
 * that never finishes. AssemblyAI answers these with one generic sentence; the stand-in appends
 * which field was wrong.
 */
import { HttpError } from '../shared/http.ts';

export type TranscriptParams = Record<string, unknown> & { audio_url: string };

const SCHEMA_ERROR = 'Invalid endpoint schema, please refer to documentation for examples.';

const BOOLEAN_FIELDS = [
  'speaker_labels',
  'multichannel',
  'dual_channel',
  'sentiment_analysis',
  'entity_detection',
  'punctuate',
  'format_text',
  'disfluencies',
  'filter_profanity',
  'language_detection',
  'redact_pii',
  'redact_pii_audio',
  'redact_pii_return_unredacted',
  'auto_highlights',
  'auto_chapters',
  'summarization',
  'content_safety',
  'iab_categories',
  'custom_topics',
  'speed_boost',
];

const SPEECH_MODELS = new Set(['best', 'nano', 'slam-1', 'universal']);

export function parseTranscriptParams(body: unknown): TranscriptParams {
  const fail = (detail: string): never => {
    throw new HttpError(400, `${SCHEMA_ERROR} (${detail})`);
  };
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return fail('the body must be a JSON object');
  const params = body as Record<string, unknown>;

  const audioUrl = params['audio_url'];
  if (audioUrl === undefined || audioUrl === null || audioUrl === '') return fail('audio_url is required');
  if (typeof audioUrl !== 'string' || !isHttpUrl(audioUrl)) return fail('audio_url must be an http(s) URL');

  for (const field of BOOLEAN_FIELDS) {
    const value = params[field];
    if (value !== undefined && value !== null && typeof value !== 'boolean') fail(`${field} must be a boolean`);
  }
  for (const field of [
    'language_code',
    'webhook_url',
    'webhook_auth_header_name',
    'webhook_auth_header_value',
    'redact_pii_sub',
  ]) {
    const value = params[field];
    if (value !== undefined && value !== null && typeof value !== 'string') fail(`${field} must be a string`);
  }
  const speechModel = params['speech_model'];
  if (
    speechModel !== undefined &&
    speechModel !== null &&
    !(typeof speechModel === 'string' && SPEECH_MODELS.has(speechModel))
  ) {
    fail(`speech_model must be one of ${[...SPEECH_MODELS].join(', ')}`);
  }
  const speechModels = params['speech_models'];
  if (speechModels !== undefined && speechModels !== null && !isStringArray(speechModels))
    fail('speech_models must be an array of strings');
  const policies = params['redact_pii_policies'];
  if (policies !== undefined && policies !== null && !isStringArray(policies))
    fail('redact_pii_policies must be an array of strings');
  const expected = params['speakers_expected'];
  if (expected !== undefined && expected !== null && !Number.isInteger(expected))
    fail('speakers_expected must be an integer');

  const webhookUrl = params['webhook_url'];
  if (typeof webhookUrl === 'string' && !isHttpUrl(webhookUrl)) fail('webhook_url must be an http(s) URL');
  const hasName = typeof params['webhook_auth_header_name'] === 'string' && params['webhook_auth_header_name'] !== '';
  const hasValue =
    typeof params['webhook_auth_header_value'] === 'string' && params['webhook_auth_header_value'] !== '';
  if (hasName !== hasValue) fail('webhook_auth_header_name and webhook_auth_header_value must be set together');
  if (params['redact_pii'] === true && !(Array.isArray(policies) && policies.length > 0)) {
    fail('redact_pii_policies is required when redact_pii is true');
  }
  return params as TranscriptParams;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}
