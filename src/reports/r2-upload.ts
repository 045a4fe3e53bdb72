import { uploadInParts } from '../lib/r2-multipart';

/**
 * Writes a generated report into R2 as it is produced: one `put` when it fits in a single part,
 * a multipart upload otherwise. On failure nothing stays under the key and the error is rethrown,
 * so a retried generation starts clean.
 */
export async function uploadStream(
  bucket: R2Bucket,
  key: string,
  body: ReadableStream<Uint8Array>,
  opts: { contentType: string; contentDisposition?: string },
): Promise<{ bytes: number }> {
  const httpMetadata: R2HTTPMetadata = { contentType: opts.contentType };
  if (opts.contentDisposition) httpMetadata.contentDisposition = opts.contentDisposition;
  return uploadInParts(bucket, key, body, { httpMetadata: () => httpMetadata });
}
