/**
 * Which conversation a recording "contains". A sample's own bytes give its own transcript;
 * any other audio maps to a sample by its hash, so every upload transcribes to a realistic call
 * and the same file always gives the same call.
 */
import { createHash } from 'node:crypto';
import { loadSampleTranscript, SAMPLES, type SampleTranscript } from '../samples/index.ts';

export interface CatalogueEntry {
  name: string;
  transcript: SampleTranscript;
}

export class SampleCatalogue {
  private constructor(
    private readonly entries: CatalogueEntry[],
    private readonly bySha256: Map<string, CatalogueEntry>,
  ) {}

  static async load(): Promise<SampleCatalogue> {
    const entries: CatalogueEntry[] = [];
    const bySha256 = new Map<string, CatalogueEntry>();
    for (const sample of SAMPLES) {
      const entry = { name: sample.name, transcript: await loadSampleTranscript(sample.name) };
      entries.push(entry);
      bySha256.set(sample.sha256, entry);
    }
    return new SampleCatalogue(entries, bySha256);
  }

  /** The first byte of the sha256 picks among the samples when the audio is not one of them. */
  match(audio: Uint8Array): CatalogueEntry & { exact: boolean } {
    const digest = createHash('sha256').update(audio).digest();
    const exact = this.bySha256.get(digest.toString('hex'));
    if (exact) return { ...exact, exact: true };
    const entry = this.entries[(digest[0] ?? 0) % this.entries.length];
    if (!entry) throw new Error('no samples loaded');
    return { ...entry, exact: false };
  }
}
