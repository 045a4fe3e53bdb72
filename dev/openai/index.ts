/**
 * A local stand-in for OpenAI's Chat Completions API with structured outputs. The unmodified
 * `openai` SDK talks to it with `new OpenAI({ apiKey, baseURL: standIn.url })`.
 */
export { startOpenAI, type OpenAIBehaviour, type OpenAIStandIn, type StartOpenAIOptions } from './server.ts';
