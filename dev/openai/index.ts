/**
 * A contract fake of OpenAI's Chat Completions API: it answers the product's own structured-output
 * requests, checked against the product's zod schemas. The unmodified `openai` SDK talks to it
 * with `new OpenAI({ apiKey, baseURL: standIn.url })`.
 */
export {
  startOpenAI,
  type OpenAIBehaviour,
  type OpenAIStandIn,
  type OpenAIStats,
  type StartOpenAIOptions,
} from './server.ts';
