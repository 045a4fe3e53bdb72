import { csvStream } from './csv';
import type { ReportDocument, ReportFormat } from './document';
import { pdfBytes } from './pdf';
import { xlsxStream } from './xlsx';

export interface RenderedReport {
  stream: ReadableStream<Uint8Array>;
  contentType: string;
  extension: string;
}

const PDF_SLICE = 1024 * 1024;

/**
 * The PDF as a stream. It is laid out whole before its first byte (pdf-lib writes the cross
 * reference table at the end), then handed out in 1 MiB slices of the one buffer.
 */
function pdfStream(doc: ReportDocument): ReadableStream<Uint8Array> {
  let bytes: Uint8Array | null = null;
  let offset = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        bytes ??= await pdfBytes(doc);
        if (offset >= bytes.byteLength) return controller.close();
        controller.enqueue(bytes.subarray(offset, offset + PDF_SLICE));
        offset += PDF_SLICE;
      },
    },
    { highWaterMark: 0 },
  );
}

/** One entry point for the generation step: the report in `format`, with what to store it as. */
export function renderReport(doc: ReportDocument, format: ReportFormat): RenderedReport {
  switch (format) {
    case 'csv':
      return { stream: csvStream(doc), contentType: 'text/csv; charset=utf-8', extension: 'csv' };
    case 'xlsx':
      return {
        stream: xlsxStream(doc),
        contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        extension: 'xlsx',
      };
    case 'pdf':
      return { stream: pdfStream(doc), contentType: 'application/pdf', extension: 'pdf' };
  }
}
