import { sniffAudio, SNIFF_BYTES } from '../lib/audio-format';
import { Invalid, PayloadTooLarge, UnsupportedMediaType } from '../lib/errors';

/** R2 multipart parts must be at least 5 MiB (all but the last) and of equal size. */
export const PART_SIZE = 5 * 1024 * 1024;

/**
 * Streams audio of unknown length into R2 while holding at most one part in memory: small files
 * in one `put`, larger ones as a multipart upload. The format is checked on the first bytes and
 * the size on every chunk; either failing aborts the upload, so nothing is left behind.
 */
export async function storeAudio(
  bucket: R2Bucket,
  key: string,
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
): Promise<{ bytes: number; contentType: string }> {
  const reader = stream.getReader();
  let buffer = new Uint8Array(PART_SIZE);
  let filled = 0;
  let total = 0;
  let contentType: string | null = null;
  let upload: R2MultipartUpload | null = null;
  const parts: R2UploadedPart[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      let chunk = value;
      total += chunk.byteLength;
      if (total > maxBytes)
        throw new PayloadTooLarge(
          `audio_file is larger than this tenant's limit of ${Math.floor(maxBytes / 1024 / 1024)} MB.`,
        );
      while (chunk.byteLength > 0) {
        const n = Math.min(chunk.byteLength, PART_SIZE - filled);
        buffer.set(chunk.subarray(0, n), filled);
        filled += n;
        chunk = chunk.subarray(n);
        if (!contentType && total >= SNIFF_BYTES)
          contentType = requireAudio(buffer.subarray(0, Math.max(filled, SNIFF_BYTES)));
        if (filled === PART_SIZE) {
          upload ??= await bucket.createMultipartUpload(key, { httpMetadata: { contentType: contentType! } });
          parts.push(await upload.uploadPart(parts.length + 1, buffer));
          buffer = new Uint8Array(PART_SIZE);
          filled = 0;
        }
      }
    }
    if (total === 0) throw new Invalid('audio_file is empty.', [{ field: 'audio_file', message: 'is empty' }]);
    contentType ??= requireAudio(buffer.subarray(0, filled));
    if (upload) {
      if (filled > 0) parts.push(await upload.uploadPart(parts.length + 1, buffer.subarray(0, filled)));
      await upload.complete(parts);
    } else {
      await bucket.put(key, buffer.subarray(0, filled), { httpMetadata: { contentType } });
    }
    return { bytes: total, contentType };
  } catch (err) {
    await upload?.abort().catch(() => undefined);
    await reader.cancel().catch(() => undefined);
    throw err;
  }
}

function requireAudio(head: Uint8Array): string {
  const type = sniffAudio(head);
  if (!type)
    throw new UnsupportedMediaType(
      'audio_file is not a supported recording (wav, mp3, m4a/mp4, ogg/opus, flac, webm).',
    );
  return type;
}
