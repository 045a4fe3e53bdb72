import * as Multipart from 'multipasta';

export type PartInfo = Multipart.PartInfo;
export type Part =
  | { _tag: 'Field'; info: PartInfo; value: Uint8Array }
  | { _tag: 'File'; info: PartInfo; readable: ReadableStream<Uint8Array> };

export interface MultipartLimits {
  maxParts: number;
  maxFieldSize: number;
  maxPartSize: number;
  maxTotalSize: number;
}

export const decodeField = Multipart.decodeField;

/**
 * The parts of a multipart body, pulled from the request stream only as fast as they are
 * consumed: a file part's stream reads the next body chunk when its reader asks for one, so a
 * slow consumer (an R2 upload) holds back the client instead of buffering the body. (The
 * package's own web wrapper queues every chunk it is given, which would hold a large upload in
 * memory.) A file part must be read or cancelled before the next part is taken.
 */
export async function* multipartParts(
  body: ReadableStream<Uint8Array>,
  headers: Headers,
  limits: MultipartLimits,
): AsyncGenerator<Part> {
  const reader = body.getReader();
  const ready: Part[] = [];
  let failure: Multipart.MultipartError | undefined;
  let ended = false;

  const parser = Multipart.make({
    headers: Object.fromEntries(headers),
    ...limits,
    onField: (info, value) => ready.push({ _tag: 'Field', info, value }),
    onFile: (info) => {
      const file = { chunks: [] as Uint8Array[], finished: false, discarded: false };
      const readable = new ReadableStream<Uint8Array>(
        {
          async pull(controller) {
            while (file.chunks.length === 0 && !file.finished) {
              if (!(await feed())) break;
            }
            if (failure) return controller.error(failure);
            const chunk = file.chunks.shift();
            if (chunk) controller.enqueue(chunk);
            else controller.close();
          },
          cancel() {
            file.discarded = true;
            file.chunks = [];
          },
        },
        { highWaterMark: 0 },
      );
      ready.push({ _tag: 'File', info, readable });
      return (chunk) => {
        if (chunk === null) file.finished = true;
        else if (!file.discarded) file.chunks.push(chunk);
      };
    },
    onError: (error) => {
      failure ??= error;
    },
    onDone: () => {
      ended = true;
    },
  });

  /** Feeds the next body chunk to the parser; false at the end of the body. */
  async function feed(): Promise<boolean> {
    if (ended || failure) return false;
    const { done, value } = await reader.read();
    if (done) {
      parser.end();
      ended = true;
      return false;
    }
    parser.write(value);
    return true;
  }

  try {
    for (;;) {
      while (ready.length === 0 && !ended && !failure) await feed();
      if (failure) throw failure;
      const part = ready.shift();
      if (!part) return;
      yield part;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
