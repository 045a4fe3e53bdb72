/**
 * Sample call recordings with the transcripts the AssemblyAI stand-in returns for them.
 *
 * In every transcript speaker "A" is the agent and "B" the customer (the agent speaks first).
 * `expected` records what a sensible evaluation against SAMPLE_CRITERIA should conclude, and is
 * what the OpenAI stand-in's heuristics produce for these calls.
 *
 * The list itself is plain data so it can be imported anywhere (also inside workerd); only the
 * loaders touch the disk, and they load node:fs lazily for that reason.
 */
import type { SampleTranscript } from './transcript.ts';

export type { SampleTranscript } from './transcript.ts';
export { SAMPLE_CRITERIA, type SampleCriterion } from './criteria.ts';

/** Absolute path of this folder, where the .wav and .json files live. */
export async function samplesDir(): Promise<string> {
  const { fileURLToPath } = await import('node:url');
  return fileURLToPath(new URL('.', import.meta.url)).replace(/\/$/, '');
}

async function readSampleFile(file: string): Promise<Buffer> {
  const { readFile } = await import('node:fs/promises');
  return readFile(`${await samplesDir()}/${file}`);
}

export type CriterionId = 'greeting' | 'recording_disclosure' | 'identity_verification' | 'empathy' | 'resolution' | 'closing';

export interface SampleInfo {
  name: string;
  /** File names inside samplesDir(). */
  audioFile: string;
  transcriptFile: string;
  /** Of the WAV bytes: how the AssemblyAI stand-in recognises an uploaded sample. */
  sha256: string;
  channels: 1 | 2;
  description: string;
  expected: { passes: Record<CriterionId, boolean>; customerSentiment: 'positive' | 'neutral' | 'negative' };
}

const sample = (info: Omit<SampleInfo, 'audioFile' | 'transcriptFile'>): SampleInfo => ({
  ...info,
  audioFile: `${info.name}.wav`,
  transcriptFile: `${info.name}.json`,
});

export const SAMPLES: readonly SampleInfo[] = [
  sample({
    name: 'billing-verified',
    sha256: '58e532383cf06ad0e2ed379441075dc92bb1776bdd48b5064aee21576a091ce8',
    channels: 1,
    description:
      'Double charge on a utility bill. Named greeting, recording disclosure, identity check (name, date of birth, last four), apology, refund with timeline and reference number, proper closing.',
    expected: {
      passes: { greeting: true, recording_disclosure: true, identity_verification: true, empathy: true, resolution: true, closing: true },
      customerSentiment: 'positive',
    },
  }),
  sample({
    name: 'rude-agent',
    sha256: 'ee0cb0a0e1e976c541a747ca425e16d65435790c1e50762a238a4b0691eda550',
    channels: 1,
    description:
      'Disputed late fee. The agent opens with "Northwind, go ahead.", never discloses recording or verifies the caller, is dismissive ("Calm down", "Not my problem", "Whatever"), refuses a supervisor; the customer threatens to cancel.',
    expected: {
      passes: { greeting: false, recording_disclosure: false, identity_verification: false, empathy: false, resolution: false, closing: false },
      customerSentiment: 'negative',
    },
  }),
  sample({
    name: 'tech-support',
    sha256: 'db138dd0d4cd3377b96abfaafadf762191c732ba9a3a936d3f40da0461370f68',
    channels: 1,
    description:
      'Internet dropping every twenty minutes. Named greeting, verification by service address and phone number, hold etiquette, remote firmware fix, ticket for follow-up, proper closing; no recording disclosure.',
    expected: {
      passes: { greeting: true, recording_disclosure: false, identity_verification: true, empathy: true, resolution: true, closing: true },
      customerSentiment: 'neutral',
    },
  }),
  sample({
    name: 'retention-dual',
    sha256: '1ff4dc8e6268345d27e447a73fee518a890f4a462c0ae910a34953d1f753d144',
    channels: 2,
    description:
      'Stereo (agent left, customer right) cancellation call saved with a cheaper plan. Friendly greeting, disclosure, empathy and closing, but the plan is changed without verifying the caller.',
    expected: {
      passes: { greeting: true, recording_disclosure: true, identity_verification: false, empathy: true, resolution: true, closing: true },
      customerSentiment: 'positive',
    },
  }),
];

export function findSample(name: string): SampleInfo {
  const found = SAMPLES.find((s) => s.name === name);
  if (!found) throw new Error(`unknown sample ${name}; known: ${SAMPLES.map((s) => s.name).join(', ')}`);
  return found;
}

export async function loadSampleAudio(name: string): Promise<Uint8Array> {
  return new Uint8Array(await readSampleFile(findSample(name).audioFile));
}

export async function loadSampleTranscript(name: string): Promise<SampleTranscript> {
  return JSON.parse((await readSampleFile(findSample(name).transcriptFile)).toString('utf8')) as SampleTranscript;
}

export async function loadSample(name: string): Promise<{ info: SampleInfo; audio: Uint8Array; transcript: SampleTranscript }> {
  const [audio, transcript] = await Promise.all([loadSampleAudio(name), loadSampleTranscript(name)]);
  return { info: findSample(name), audio, transcript };
}
