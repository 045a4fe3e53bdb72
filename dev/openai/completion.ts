/**
 * The `chat.completion` envelope around a feature's answer, and the two ways a model answer
 * goes wrong that the product must handle: a refusal (`message.refusal`, no content; the SDK's
 * `parse()` gives `parsed: null`) and a cut-off (`finish_reason: "length"`; `parse()` throws
 * LengthFinishReasonError), plus a content-filter stop (ContentFilterFinishReasonError).
 */
import { randomBytes } from 'node:crypto';

export type Outcome = 'answer' | 'refusal' | 'truncated' | 'content_filter';

const REFUSAL = "I'm sorry, I can't help with that request.";

/** OpenAI's rule of thumb: about four characters per token. */
const tokens = (text: string) => Math.ceil(text.length / 4);

export function chatCompletion(model: string, promptText: string, content: string, outcome: Outcome) {
  const message =
    outcome === 'refusal'
      ? { content: null, refusal: REFUSAL }
      : outcome === 'content_filter'
        ? { content: null, refusal: null }
        : {
            content: outcome === 'truncated' ? content.slice(0, Math.ceil(content.length / 2)) : content,
            refusal: null,
          };
  const finish = outcome === 'truncated' ? 'length' : outcome === 'content_filter' ? 'content_filter' : 'stop';
  const promptTokens = tokens(promptText);
  const completionTokens = tokens(message.content ?? message.refusal ?? '');
  return {
    id: `chatcmpl-${randomBytes(15).toString('base64url')}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      { index: 0, message: { role: 'assistant', ...message, annotations: [] }, logprobs: null, finish_reason: finish },
    ],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
    service_tier: 'default',
    system_fingerprint: 'fp_local',
  };
}
