import { sniffAudio, SNIFF_BYTES } from '../lib/audio-format';
import { Invalid, PayloadTooLarge, UnsupportedMediaType } from '../lib/errors';
import { uploadInParts } from '../lib/r2-multipart';

/**
 * Streams audio of unknown length into R2 while holding at most one part in memory. The format is
 * checked on the first bytes and the size on every chunk; either failing aborts the upload, so
 * nothing is left behind.
 */
export async function storeAudio(
  bucket: R2Bucket,
  key: string,
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
): Promise<{ bytes: number; contentType: string }> {
  const head = new Uint8Array(SNIFF_BYTES);
  let headFilled = 0;
  let contentType: string | null = null;
  const { bytes } = await uploadInParts(bucket, key, stream, {
    onChunk(chunk, total) {
      if (total > maxBytes)
        throw new PayloadTooLarge(
          `audio_file is larger than this tenant's limit of ${Math.floor(maxBytes / 1024 / 1024)} MB.`,
        );
      if (headFilled < SNIFF_BYTES) {
        const n = Math.min(chunk.byteLength, SNIFF_BYTES - headFilled);
        head.set(chunk.subarray(0, n), headFilled);
        headFilled += n;
        // Rejected on its first bytes, before any of it is stored.
        if (headFilled === SNIFF_BYTES) contentType = requireAudio(head);
      }
    },
    httpMetadata(total) {
      if (total === 0) throw new Invalid('audio_file is empty.', [{ field: 'audio_file', message: 'is empty' }]);
      contentType ??= requireAudio(head.subarray(0, headFilled));
      return { contentType };
    },
  });
  return { bytes, contentType: contentType! };
}

function requireAudio(head: Uint8Array): string {
  const type = sniffAudio(head);
  if (!type)
    throw new UnsupportedMediaType(
      'audio_file is not a supported recording (wav, mp3, m4a/mp4, ogg/opus, flac, webm).',
    );
  return type;
}
