/**
 * Validates a `POST /v1/chat/completions` body with OpenAI's 400 wording for the mistakes a
 * client is likely to make, and reduces it to what the answer depends on.
 */
import { invalidRequest, invalidType, missingParameter, OpenAIError } from './errors.ts';
import { checkStrictSchema } from './strict.ts';

export interface ChatMessage {
  role: string;
  /** Text content; array content is reduced to its text parts. */
  text: string;
}

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; strict: boolean; schema: Record<string, unknown> };

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  responseFormat: ResponseFormat;
  /** max_completion_tokens, or the older max_tokens. */
  maxTokens: number | undefined;
  n: number;
}

const ROLES = ['system', 'assistant', 'user', 'function', 'tool', 'developer'];
const SCHEMA_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

export function parseChatRequest(raw: Buffer): ChatRequest {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw invalidRequest(
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
    );
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalidRequest('The request body must be a JSON object.');
  const b = body as Record<string, unknown>;

  if (b['model'] === undefined) throw invalidRequest('you must provide a model parameter');
  if (typeof b['model'] !== 'string') throw invalidType('model', 'a string');
  if (b['stream'] === true)
    throw invalidRequest('Streaming is not supported for this model endpoint.', 'stream', 'unsupported_value');

  const messages = parseMessages(b['messages']);
  const responseFormat = parseResponseFormat(b['response_format']);
  if (responseFormat.type === 'json_object' && !messages.some((m) => /json/i.test(m.text))) {
    throw invalidRequest(
      "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
      'messages',
    );
  }

  const maxTokens = optionalPositiveInt(b, 'max_completion_tokens') ?? optionalPositiveInt(b, 'max_tokens');
  const n = optionalPositiveInt(b, 'n') ?? 1;
  if (n > 128) throw invalidRequest(`${n} is greater than the maximum of 128 - 'n'`, 'n', 'integer_above_max_value');
  return { model: b['model'], messages, responseFormat, maxTokens, n };
}

function parseMessages(value: unknown): ChatMessage[] {
  if (value === undefined) throw missingParameter('messages');
  if (!Array.isArray(value)) throw invalidType('messages', 'an array');
  if (value.length === 0) {
    throw invalidRequest(
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      'messages',
      'empty_array',
    );
  }
  return value.map((m: unknown, i) => {
    if (typeof m !== 'object' || m === null) throw invalidType(`messages[${i}]`, 'an object');
    const { role, content } = m as Record<string, unknown>;
    if (role === undefined) throw missingParameter(`messages[${i}].role`);
    if (typeof role !== 'string' || !ROLES.includes(role)) {
      throw invalidRequest(
        `Invalid value: '${String(role)}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`,
        `messages[${i}].role`,
        'invalid_value',
      );
    }
    if (typeof content === 'string') return { role, text: content };
    if (Array.isArray(content)) {
      const text = content
        .map((part: unknown) => {
          const p = part as Record<string, unknown> | null;
          return p && p['type'] === 'text' && typeof p['text'] === 'string' ? p['text'] : '';
        })
        .join('\n');
      return { role, text };
    }
    if ((content === null || content === undefined) && role === 'assistant') return { role, text: '' };
    if (content === undefined) throw missingParameter(`messages[${i}].content`);
    throw invalidType(`messages[${i}].content`, 'a string or an array of content parts');
  });
}

function parseResponseFormat(value: unknown): ResponseFormat {
  if (value === undefined || value === null) return { type: 'text' };
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidType('response_format', 'an object');
  const rf = value as Record<string, unknown>;
  if (rf['type'] === 'text' || rf['type'] === 'json_object') return { type: rf['type'] };
  if (rf['type'] !== 'json_schema') {
    throw invalidRequest(
      `Invalid value: '${String(rf['type'])}'. Supported values are: 'json_object', 'json_schema', and 'text'.`,
      'response_format.type',
      'invalid_value',
    );
  }
  const js = rf['json_schema'];
  if (typeof js !== 'object' || js === null) throw missingParameter('response_format.json_schema');
  const { name, strict, schema } = js as Record<string, unknown>;
  if (name === undefined) throw missingParameter('response_format.json_schema.name');
  if (typeof name !== 'string' || !SCHEMA_NAME.test(name)) {
    throw invalidRequest(
      `Invalid 'response_format.json_schema.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`,
      'response_format.json_schema.name',
      'invalid_value',
    );
  }
  if (strict !== undefined && strict !== null && typeof strict !== 'boolean')
    invalidTypeThrow('response_format.json_schema.strict', 'a boolean');
  const s = schema ?? {};
  if (typeof s !== 'object' || Array.isArray(s)) throw invalidType('response_format.json_schema.schema', 'an object');
  const format = { type: 'json_schema' as const, name, strict: strict === true, schema: s as Record<string, unknown> };
  if (format.strict) checkStrictSchema(name, format.schema);
  return format;
}

function invalidTypeThrow(param: string, expected: string): never {
  throw invalidType(param, expected);
}

function optionalPositiveInt(b: Record<string, unknown>, key: string): number | undefined {
  const v = b[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw invalidType(key, 'an integer');
  if (v < 1) {
    const message = `Invalid '${key}': integer below minimum value. Expected a value >= 1, but got ${v} instead.`;
    throw new OpenAIError(400, message, 'invalid_request_error', key, 'integer_below_min_value');
  }
  return v;
}
