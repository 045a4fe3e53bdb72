/**
 * The part of a `POST /v1/chat/completions` body the stand-in reads, checked with OpenAI's 400
 * shape. Only structured outputs are answered: every product feature asks for one.
 */
import { z } from 'zod';
import { invalidRequest } from './errors.ts';
import type { JsonSchemaFormat } from './responders/index.ts';
import type { ChatMessage } from './responders/responder.ts';

const TextPart = z.object({ type: z.literal('text'), text: z.string() });

const ChatRequestBody = z.looseObject({
  model: z.string(),
  messages: z
    .array(
      z.looseObject({
        role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
        content: z.union([z.string(), z.array(TextPart), z.null()]).optional(),
      }),
    )
    .min(1),
  stream: z.literal(false).nullish(),
  response_format: z.object({
    type: z.literal('json_schema'),
    json_schema: z.looseObject({
      name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/),
      strict: z.boolean().nullish(),
      schema: z.record(z.string(), z.unknown()),
    }),
  }),
});

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  format: JsonSchemaFormat;
}

export function parseChatRequest(body: unknown): ChatRequest {
  const parsed = ChatRequestBody.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const param = issue.path.join('.');
    const hint = param.startsWith('response_format')
      ? ' This stand-in answers structured outputs only: response_format {type: "json_schema"}.'
      : '';
    throw invalidRequest(`Invalid '${param}': ${issue.message}.${hint}`, param || null, 'invalid_value');
  }
  const { model, messages, response_format } = parsed.data;
  const text = (c: string | z.infer<typeof TextPart>[] | null | undefined) =>
    typeof c === 'string' ? c : (c ?? []).map((p) => p.text).join('\n');
  return {
    model,
    messages: messages.map((m) => ({ role: m.role, content: text(m.content) })),
    format: {
      name: response_format.json_schema.name,
      strict: response_format.json_schema.strict === true,
      schema: response_format.json_schema.schema,
    },
  };
}
