/**
 * Builds the `chat.completion` answer. The content depends only on the messages and the
 * requested format (seeded by their hash), so retries and re-runs get the same evaluation.
 *
 * Markers anywhere in the messages exercise a client's error handling:
 *   [[refuse]]          message.refusal set, content null (the SDK's parse() gives parsed: null)
 *   [[truncate]]        finish_reason "length", content cut off (parse() throws LengthFinishReasonError)
 *   [[content_filter]]  finish_reason "content_filter" (parse() throws ContentFilterFinishReasonError)
 *   [[invalid]]         valid JSON that misses a required key (parse() throws a zod error)
 */
import { randomBytes } from 'node:crypto';
import { analyse, type CallAnalysis } from './analysis.ts';
import { breakRequired, generateFromSchema } from './generate.ts';
import { parsePrompt } from './prompt.ts';
import { hashSeed } from './random.ts';
import type { ChatRequest } from './request.ts';

const REFUSAL = "I can't help with that.";

type FinishReason = 'stop' | 'length' | 'content_filter';

interface Choice {
  index: number;
  message: { role: 'assistant'; content: string | null; refusal: string | null; annotations: unknown[] };
  logprobs: null;
  finish_reason: FinishReason;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Choice[];
  usage: {
    prompt_tokens: number;
    completion_tokens: number;
    total_tokens: number;
    prompt_tokens_details: { cached_tokens: number; audio_tokens: number };
    completion_tokens_details: {
      reasoning_tokens: number;
      audio_tokens: number;
      accepted_prediction_tokens: number;
      rejected_prediction_tokens: number;
    };
  };
  service_tier: 'default';
  system_fingerprint: string;
}

/** OpenAI's rule of thumb: about four characters per token. */
export const estimateTokens = (text: string) => Math.ceil(text.length / 4);

export function complete(req: ChatRequest): ChatCompletion {
  const all = req.messages.map((m) => m.text).join('\n');
  const seed = hashSeed(JSON.stringify(req.messages), JSON.stringify(req.responseFormat));
  const analysis = analyse(parsePrompt(req.messages), seed);

  const choices: Choice[] = [];
  for (let index = 0; index < req.n; index++) {
    choices.push(choose(req, all, analysis, index === 0 ? seed : hashSeed(String(seed), String(index)), index));
  }
  const completionTokens = choices.reduce(
    (n, c) => n + estimateTokens(c.message.content ?? c.message.refusal ?? ''),
    0,
  );
  const promptTokens = estimateTokens(all) + 3 * req.messages.length;
  return {
    id: `chatcmpl-${randomBytes(15).toString('base64url')}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: req.model,
    choices,
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    },
    service_tier: 'default',
    system_fingerprint: `fp_${hashSeed(req.model).toString(16).padStart(8, '0').slice(0, 10)}`,
  };
}

function choose(req: ChatRequest, all: string, analysis: CallAnalysis, seed: number, index: number): Choice {
  const choice = (content: string | null, finish: FinishReason, refusal: string | null = null): Choice => ({
    index,
    message: { role: 'assistant', content, refusal, annotations: [] },
    logprobs: null,
    finish_reason: finish,
  });
  if (all.includes('[[refuse]]')) return choice(null, 'stop', REFUSAL);
  if (all.includes('[[content_filter]]')) return choice(null, 'content_filter');

  const format = req.responseFormat;
  let content: string;
  if (format.type === 'json_schema') {
    let value = generateFromSchema(format.schema, analysis, seed);
    if (all.includes('[[invalid]]')) value = breakRequired(value, format.schema);
    content = JSON.stringify(value);
  } else if (format.type === 'json_object') {
    content = JSON.stringify(jsonObjectAnswer(analysis));
  } else {
    content = textAnswer(req, analysis);
  }

  if (all.includes('[[truncate]]'))
    return choice(content.slice(0, Math.max(1, Math.floor(content.length / 2))), 'length');
  // A real token limit cuts the answer off the same way.
  if (req.maxTokens !== undefined && estimateTokens(content) > req.maxTokens)
    return choice(content.slice(0, req.maxTokens * 4), 'length');
  return choice(content, 'stop');
}

/** `json_object` has no schema to follow: the evaluation in a plain, predictable shape. */
function jsonObjectAnswer(a: CallAnalysis) {
  return {
    summary: a.summary,
    sentiment: a.sentiment,
    overall_score: Math.round(a.overallRatio * 100),
    criteria: a.criteria.map((r) => ({
      id: r.criterion.id,
      score: r.score,
      max_points: r.criterion.maxPoints,
      passed: r.passed,
      evidence: r.evidence.map((e) => ({ quote: e.quote, start_seconds: e.utterance.startSeconds })),
    })),
  };
}

function textAnswer(req: ChatRequest, a: CallAnalysis): string {
  if (a.utterances.length) {
    const lines = a.criteria.map((r) => `- ${r.criterion.name}: ${r.score}/${r.criterion.maxPoints}. ${r.reasoning}`);
    return [a.summary, '', `Overall score: ${Math.round(a.overallRatio * 100)}/100.`, ...lines].join('\n');
  }
  const last =
    [...req.messages]
      .reverse()
      .find((m) => m.role === 'user')
      ?.text.trim() ?? '';
  const topic = last.split(/(?<=[.!?])\s+/)[0]?.slice(0, 160) ?? '';
  return topic
    ? `Here is a short answer regarding "${topic}": there is not enough call context to say more.`
    : 'How can I help?';
}
