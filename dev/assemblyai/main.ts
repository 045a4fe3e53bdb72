/**
 * Runs the AssemblyAI stand-in on its own: `npx tsx dev/assemblyai/main.ts`.
 * Environment: PORT (8081), HOST (127.0.0.1), ASSEMBLYAI_PUBLIC_URL (origin put in upload_url),
 * ASSEMBLYAI_LATENCY_MS, ASSEMBLYAI_FAILURE_RATE, ASSEMBLYAI_HTTP_ERROR_RATE,
 * ASSEMBLYAI_DUPLICATE_WEBHOOK_RATE, ASSEMBLYAI_API_KEY (required `Authorization` value when set).
 * Other processes change behaviour with `POST /__config` and read counters at `GET /__stats`.
 */
import { behaviourFromEnv } from './behaviour.ts';
import { startAssemblyAI } from './server.ts';

const env = process.env;
const standIn = await startAssemblyAI({
  port: Number(env['PORT'] ?? 8081),
  host: env['HOST'] ?? '127.0.0.1',
  publicUrl: env['ASSEMBLYAI_PUBLIC_URL'] || undefined,
  behaviour: behaviourFromEnv(env),
});
const config = (await (await fetch(`${standIn.url}/__config`)).json()) as Record<string, unknown>;
console.log(`[assemblyai] listening on ${standIn.url} ${JSON.stringify(config)}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void standIn.close().then(() => process.exit(0)));
}
