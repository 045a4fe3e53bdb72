/**
 * Runs the Twilio stand-in on its own: `npx tsx dev/twilio/main.ts`.
 * Environment: PORT (8083), HOST (127.0.0.1), TWILIO_SAMPLES_DIR (./dev/samples),
 * TWILIO_REQUIRE_AUTH (`false` serves media without credentials).
 * Every `*.wav` in the samples folder becomes a recording of the demo account; a `<name>.mp3` beside it is
 * served for `.mp3`. The folder is read once at start; a missing folder just means no recordings.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN } from './demo.ts';
import { startTwilio } from './server.ts';

const env = process.env;
const samplesDir = env['TWILIO_SAMPLES_DIR'] ?? fileURLToPath(new URL('../samples', import.meta.url));
const requireAuth = env['TWILIO_REQUIRE_AUTH'] !== 'false';

/** SIDs derived from the file name, so a sample keeps its URL across restarts. */
const stableSid = (prefix: 'RE' | 'CA', name: string): string =>
  prefix + createHash('sha256').update(`${prefix}:${name}`).digest('hex').slice(0, 32);

async function listFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

const standIn = await startTwilio({ port: Number(env['PORT'] ?? 8083), host: env['HOST'] ?? '127.0.0.1', requireAuth });
console.log(`[twilio] listening on ${standIn.url} (media ${requireAuth ? 'behind Basic auth' : 'without auth'})`);
console.log(`[twilio] demo account ${DEMO_ACCOUNT_SID}, auth token ${DEMO_AUTH_TOKEN}`);

const files = await listFiles(samplesDir);
const wavs = files.filter((f) => f.toLowerCase().endsWith('.wav'));
for (const file of wavs) {
  const name = file.slice(0, -'.wav'.length);
  const mp3File = files.find((f) => f.toLowerCase() === `${name.toLowerCase()}.mp3`);
  const rec = standIn.addRecording({
    accountSid: DEMO_ACCOUNT_SID,
    authToken: DEMO_AUTH_TOKEN,
    recordingSid: stableSid('RE', name),
    callSid: stableSid('CA', name),
    audio: await readFile(join(samplesDir, file)),
    mp3: mp3File ? await readFile(join(samplesDir, mp3File)) : undefined,
  });
  const shape = `${rec.durationSeconds} s, ${rec.channels} ch${mp3File ? ', +mp3' : ''}`;
  console.log(`  ${file.padEnd(28)} ${shape.padEnd(16)} ${rec.recordingUrl}`);
}
if (wavs.length === 0) console.log(`[twilio] no *.wav in ${samplesDir}; nothing to serve yet`);
else console.log(`[twilio] fetch one: curl -u ${DEMO_ACCOUNT_SID}:${DEMO_AUTH_TOKEN} -o call.wav <url>.wav`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void standIn.close().then(() => process.exit(0)));
}
