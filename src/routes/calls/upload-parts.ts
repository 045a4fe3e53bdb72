/**
 * The multipart body of `POST /api/calls`, read at the edge: the content type, the metadata
 * part's JSON and schema, and multipart framing errors become domain errors here, so the upload
 * service sees only checked metadata and an audio stream.
 */
import { fieldErrors } from '../../lib/field-errors';
import { Invalid, PayloadTooLarge, UnsupportedMediaType } from '../../lib/errors';
import { decodeField, multipartParts } from '../../lib/multipart-stream';
import { CallMetadata, type UploadPart } from '../../services/call-upload';

export function assertMultipart(contentType: string | undefined): void {
  if (!/^multipart\/form-data\s*;\s*boundary=/i.test(contentType ?? ''))
    throw new UnsupportedMediaType('Send the call as multipart/form-data with the parts "metadata" and "audio_file".');
}

/** The parts of the body, none larger than `maxBytes`, pulled only as fast as they are consumed. */
export async function* uploadParts(request: Request, maxBytes: number): AsyncGenerator<UploadPart> {
  if (!request.body) throw new Invalid('The request has no body.', [{ field: 'body', message: 'is required' }]);
  const parts = multipartParts(request.body, request.headers, {
    maxParts: 10,
    maxFieldSize: 64 * 1024,
    maxPartSize: maxBytes + 1,
    maxTotalSize: maxBytes + 256 * 1024,
  });
  try {
    for await (const part of parts) {
      if (part._tag === 'Field' && part.info.name === 'metadata') {
        yield { kind: 'metadata', metadata: parseMetadata(decodeField(part.info, part.value)) };
      } else if (part._tag === 'File' && part.info.name === 'audio_file') {
        yield { kind: 'audio', stream: withMultipartErrors(part.readable) };
      } else if (part._tag === 'File') {
        yield { kind: 'other', discard: () => part.readable.cancel() };
      }
    }
  } catch (err) {
    throw multipartError(err);
  }
}

function parseMetadata(raw: string): CallMetadata {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Invalid('metadata is not valid JSON.', [{ field: 'metadata', message: 'must be a JSON object' }]);
  }
  const parsed = CallMetadata.safeParse(json);
  if (!parsed.success)
    throw new Invalid(
      'metadata is not valid.',
      fieldErrors(parsed.error).map((e) => ({ ...e, field: `metadata.${e.field}` })),
    );
  return parsed.data;
}

/** The file stream fails with the parser's errors; translate them as they surface. */
function withMultipartErrors(stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) controller.close();
          else controller.enqueue(value);
        } catch (err) {
          throw multipartError(err);
        }
      },
      cancel: (reason) => reader.cancel(reason),
    },
    // Pull only when the consumer asks, so nothing is buffered ahead of storage.
    { highWaterMark: 0 },
  );
}

/** multipasta reports failures as `{ _tag }` objects, from the parser or the file stream it feeds. */
function multipartError(err: unknown): unknown {
  const tag = (err as { _tag?: string })?._tag;
  if (!tag) return err;
  if (tag === 'ReachedLimit') return new PayloadTooLarge('The upload is larger than this tenant allows.');
  return new Invalid('The multipart body is malformed.', [{ field: 'body', message: `multipart error: ${tag}` }]);
}
