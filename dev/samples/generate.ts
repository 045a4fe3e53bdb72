/**
 * Regenerates the sample recordings and their transcripts from the scripts:
 *   npx tsx dev/samples/generate.ts
 * The output is deterministic, so the sha256 values in index.ts stay valid unless a script or
 * the synthesis changes; the script reports any that no longer match.
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { CONVERSATIONS } from './conversations.ts';
import { SAMPLES, samplesDir } from './index.ts';
import { buildTranscript } from './transcript.ts';
import { synthesizeCall } from './wav.ts';

// 8 kHz 16-bit is 16 KB per second per channel; these keep every file under 64 KB.
const MONO_SECONDS = 3.5;
const STEREO_SECONDS = 1.8;

const dir = await samplesDir();
let stale = 0;
for (const conversation of CONVERSATIONS) {
  const wav = synthesizeCall(conversation, conversation.stereo ? STEREO_SECONDS : MONO_SECONDS);
  const transcript = buildTranscript(conversation);
  await writeFile(`${dir}/${conversation.name}.wav`, wav);
  await writeFile(`${dir}/${conversation.name}.json`, `${formatJson(transcript)}\n`);

  const sha256 = createHash('sha256').update(wav).digest('hex');
  const listed = SAMPLES.find((s) => s.name === conversation.name);
  const note = listed?.sha256 === sha256 ? '' : '  <- update index.ts';
  if (note) stale++;
  console.log(
    `${conversation.name}: ${wav.length} bytes, ${transcript.utterances.length} utterances, ${transcript.audio_duration} s, sha256 ${sha256}${note}`,
  );
}
if (stale) process.exitCode = 1;

/** Pretty JSON with every flat object (a word, a sentiment result) on one line, so diffs stay readable. */
function formatJson(value: unknown, indent = ''): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => inner + formatJson(v, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value);
  if (entries.every(([, v]) => v === null || typeof v !== 'object')) return JSON.stringify(value);
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatJson(v, inner)}`).join(',\n')}\n${indent}}`;
}
