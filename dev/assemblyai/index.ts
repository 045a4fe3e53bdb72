/**
 * A local stand-in for AssemblyAI's v2 REST API and its webhooks. The unmodified `assemblyai`
 * SDK talks to it with `new AssemblyAI({ apiKey, baseUrl: standIn.url })`.
 */
export {
  startAssemblyAI,
  type AssemblyAIBehaviour,
  type AssemblyAIStandIn,
  type StartAssemblyAIOptions,
} from './server.ts';
