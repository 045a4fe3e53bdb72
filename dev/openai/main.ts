/**
 * Runs the OpenAI stand-in on its own: `npx tsx dev/openai/main.ts`.
 * Environment: PORT (8082), HOST (127.0.0.1), OPENAI_LATENCY_MS, OPENAI_HTTP_ERROR_RATE,
 * OPENAI_REFUSAL_RATE, OPENAI_TRUNCATION_RATE, OPENAI_API_KEY (the Bearer key required when set).
 * Other processes change behaviour with `POST /__config` and read counters at `GET /__stats`.
 */
import { behaviourFromEnv } from './behaviour.ts';
import { startOpenAI } from './server.ts';

const env = process.env;
const standIn = await startOpenAI({
  port: Number(env['PORT'] ?? 8082),
  host: env['HOST'] ?? '127.0.0.1',
  behaviour: behaviourFromEnv(env),
});
const origin = standIn.url.replace(/\/v1$/, '');
const config = (await (await fetch(`${origin}/__config`)).json()) as Record<string, unknown>;
console.log(`[openai] listening on ${standIn.url} ${JSON.stringify(config)}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void standIn.close().then(() => process.exit(0)));
}
