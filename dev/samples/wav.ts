/**
 * Small synthetic "recordings": speech-like tone bursts that follow the turn order of a script,
 * over a little line noise. They are valid PCM WAV files that any decoder (and R2, and an upload
 * form) accepts, while staying a few seconds long so the repository stays small.
 */
import type { Conversation } from './conversations.ts';
import { prng, seedFrom } from './random.ts';

export const SAMPLE_RATE = 8000;

/** Pitch of each party's "voice", so the two sides are audibly different. */
const VOICE_HZ = { A: 170, B: 235 } as const;

/** RIFF/WAVE, PCM 16-bit little-endian; `channels` holds one sample array per channel, all the same length. */
export function encodeWav(channels: Int16Array[], sampleRate = SAMPLE_RATE): Uint8Array {
  const frames = channels[0]?.length ?? 0;
  const blockAlign = channels.length * 2;
  const dataBytes = frames * blockAlign;
  const out = new Uint8Array(44 + dataBytes);
  const view = new DataView(out.buffer);
  const ascii = (offset: number, text: string) => {
    for (let i = 0; i < text.length; i++) out[offset + i] = text.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true); // fmt chunk size for plain PCM
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, channels.length, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, 16, true);
  ascii(36, 'data');
  view.setUint32(40, dataBytes, true);
  for (let frame = 0; frame < frames; frame++) {
    for (const [c, samples] of channels.entries()) {
      view.setInt16(44 + frame * blockAlign + c * 2, samples[frame] ?? 0, true);
    }
  }
  return out;
}

/**
 * Renders the conversation squeezed into `seconds`: each turn gets time in proportion to its
 * text, with short silences between turns. Stereo puts the agent left and the customer right,
 * like a dual-channel call recording; mono mixes both.
 */
export function synthesizeCall(conversation: Conversation, seconds: number): Uint8Array {
  const random = prng(seedFrom(`${conversation.name}.wav`));
  const frames = Math.round(seconds * SAMPLE_RATE);
  const agent = new Float64Array(frames);
  const customer = new Float64Array(frames);

  const gap = Math.round(0.06 * SAMPLE_RATE);
  const speechFrames = frames - gap * (conversation.lines.length + 1);
  const totalChars = conversation.lines.reduce((n, l) => n + l.text.length, 0);
  let at = gap;
  for (const line of conversation.lines) {
    const length = Math.max(1, Math.floor((speechFrames * line.text.length) / totalChars));
    const target = line.speaker === 'A' ? agent : customer;
    const f0 = VOICE_HZ[line.speaker] * (0.95 + random() * 0.1);
    const syllableHz = 3.5 + random() * 2;
    for (let i = 0; i < length && at + i < frames; i++) {
      const t = i / SAMPLE_RATE;
      // Slow pitch drift and a syllable-rate envelope make it read as speech in a waveform view.
      const pitch = f0 * (1 + 0.04 * Math.sin(2 * Math.PI * 0.7 * t));
      const envelope = 0.55 + 0.45 * Math.sin(2 * Math.PI * syllableHz * t);
      const fade = Math.min(1, i / 80, (length - i) / 80);
      const phase = 2 * Math.PI * pitch * t;
      target[at + i] = fade * envelope * (0.6 * Math.sin(phase) + 0.25 * Math.sin(2 * phase) + 0.12 * Math.sin(3 * phase));
    }
    at += length + gap;
  }

  const toPcm = (signal: Float64Array) => {
    const pcm = new Int16Array(frames);
    for (let i = 0; i < frames; i++) {
      const noise = (random() - 0.5) * 0.02;
      pcm[i] = Math.max(-32768, Math.min(32767, Math.round(((signal[i] ?? 0) * 0.3 + noise) * 32767)));
    }
    return pcm;
  };
  if (conversation.stereo) return encodeWav([toPcm(agent), toPcm(customer)]);
  const mixed = agent.map((v, i) => v + (customer[i] ?? 0));
  return encodeWav([toPcm(mixed)]);
}
