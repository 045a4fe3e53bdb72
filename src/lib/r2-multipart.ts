/** R2 multipart parts must be at least 5 MiB (all but the last) and of equal size. */
export const PART_SIZE = 5 * 1024 * 1024;

export interface PartUploadOptions {
  /** Sees each chunk as it is read, with the bytes read so far; throwing stops and aborts the upload. */
  onChunk?(chunk: Uint8Array, total: number): void;
  /**
   * The object's metadata, asked once right before the first write: when the first part is full,
   * or when the body ended inside it. Throwing stops before anything is written.
   */
  httpMetadata(total: number): R2HTTPMetadata;
}

/**
 * Streams a body of unknown length into R2 (whose `put()` needs a known length) while holding at
 * most one part in memory: a body that fits in one part is one `put`, a larger one a multipart
 * upload. Any failure (the body erroring, a hook throwing, a part or the completion failing)
 * aborts the multipart upload, so no object and no orphaned parts stay under the key, and is
 * rethrown.
 */
export async function uploadInParts(
  bucket: R2Bucket,
  key: string,
  body: ReadableStream<Uint8Array>,
  options: PartUploadOptions,
): Promise<{ bytes: number }> {
  const reader = body.getReader();
  let buffer = new Uint8Array(PART_SIZE);
  let filled = 0;
  let total = 0;
  let upload: R2MultipartUpload | null = null;
  const parts: R2UploadedPart[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      let chunk = value;
      total += chunk.byteLength;
      options.onChunk?.(chunk, total);
      while (chunk.byteLength > 0) {
        const n = Math.min(chunk.byteLength, PART_SIZE - filled);
        buffer.set(chunk.subarray(0, n), filled);
        filled += n;
        chunk = chunk.subarray(n);
        if (filled === PART_SIZE) {
          upload ??= await bucket.createMultipartUpload(key, { httpMetadata: options.httpMetadata(total) });
          parts.push(await upload.uploadPart(parts.length + 1, buffer));
          buffer = new Uint8Array(PART_SIZE);
          filled = 0;
        }
      }
    }
    if (upload) {
      if (filled > 0) parts.push(await upload.uploadPart(parts.length + 1, buffer.subarray(0, filled)));
      await upload.complete(parts);
    } else {
      await bucket.put(key, buffer.subarray(0, filled), { httpMetadata: options.httpMetadata(total) });
    }
    return { bytes: total };
  } catch (err) {
    await upload?.abort().catch(() => undefined);
    await reader.cancel(err).catch(() => undefined);
    throw err;
  }
}
