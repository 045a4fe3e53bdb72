/**
 * Just enough RIFF/WAVE to read a recording's channel count and length (so callbacks can report them)
 * and to write small PCM files for tests that need real audio bytes.
 */

export interface WavInfo {
  channels: number;
  sampleRate: number;
  durationSeconds: number;
}

const ascii = (bytes: Uint8Array, at: number): string => String.fromCharCode(...bytes.subarray(at, at + 4));

/** `undefined` when the bytes are not a WAV file this can read. */
export function parseWav(bytes: Uint8Array): WavInfo | undefined {
  if (bytes.length < 12 || ascii(bytes, 0) !== 'RIFF' || ascii(bytes, 8) !== 'WAVE') return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let format: { channels: number; sampleRate: number; byteRate: number } | undefined;
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = ascii(bytes, offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'fmt ' && size >= 16 && body + 16 <= bytes.length) {
      format = {
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        byteRate: view.getUint32(body + 8, true),
      };
    } else if (id === 'data') {
      if (!format || format.byteRate === 0 || format.channels === 0) return undefined;
      // Streaming writers leave the size at 0xFFFFFFFF; the bytes actually present are what plays.
      const dataBytes = Math.min(size, bytes.length - body);
      return { channels: format.channels, sampleRate: format.sampleRate, durationSeconds: dataBytes / format.byteRate };
    }
    // Chunks are padded to an even length.
    offset = body + size + (size % 2);
  }
  return undefined;
}

/**
 * 16-bit PCM WAV holding a sine tone, 8 kHz by default like Twilio's recordings. In stereo each channel
 * gets its own pitch, so the two legs of a dual-channel recording are distinguishable.
 */
export function pcmWav(opts: { seconds: number; channels?: 1 | 2; sampleRate?: number }): Uint8Array {
  const channels = opts.channels ?? 1;
  const sampleRate = opts.sampleRate ?? 8000;
  const frames = Math.round(opts.seconds * sampleRate);
  const dataBytes = frames * channels * 2;
  const out = new Uint8Array(44 + dataBytes);
  const view = new DataView(out.buffer);
  const tag = (at: number, text: string) => {
    for (let i = 0; i < 4; i++) out[at + i] = text.charCodeAt(i);
  };
  tag(0, 'RIFF');
  view.setUint32(4, 36 + dataBytes, true);
  tag(8, 'WAVE');
  tag(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * channels * 2, true);
  view.setUint16(32, channels * 2, true);
  view.setUint16(34, 16, true);
  tag(36, 'data');
  view.setUint32(40, dataBytes, true);
  for (let frame = 0; frame < frames; frame++) {
    for (let ch = 0; ch < channels; ch++) {
      const hz = ch === 0 ? 440 : 660;
      const sample = Math.round(0.2 * 32767 * Math.sin((2 * Math.PI * hz * frame) / sampleRate));
      view.setInt16(44 + (frame * channels + ch) * 2, sample, true);
    }
  }
  return out;
}
