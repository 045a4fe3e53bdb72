import { csvStream } from './csv';
import type { ReportDocument, ReportFormat } from './document';
import { pdfBytes } from './pdf';
import { xlsxStream } from './xlsx';

export interface RenderedReport {
  stream: ReadableStream<Uint8Array>;
  contentType: string;
  extension: string;
  /** e.g. "call-scores_2026-01-01_2026-01-31.pdf": ASCII, safe in a Content-Disposition as is. */
  filename: string;
}

/** A download name from the title and period, in ASCII so that no header encoding is needed. */
export function reportFilename(doc: Pick<ReportDocument, 'title' | 'period'>, extension: string): string {
  const slug =
    doc.title
      .normalize('NFKD')
      .replace(/[^\x20-\x7e]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 60) || 'report';
  const day = (d: string) => (/^\d{4}-\d{2}-\d{2}$/.test(d) ? d : 'x');
  return `${slug}_${day(doc.period.from)}_${day(doc.period.to)}.${extension}`;
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
  const named = (r: Omit<RenderedReport, 'filename'>) => ({ ...r, filename: reportFilename(doc, r.extension) });
  switch (format) {
    case 'csv':
      return named({ stream: csvStream(doc), contentType: 'text/csv; charset=utf-8', extension: 'csv' });
    case 'xlsx':
      return named({
        stream: xlsxStream(doc),
        contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        extension: 'xlsx',
      });
    case 'pdf':
      return named({ stream: pdfStream(doc), contentType: 'application/pdf', extension: 'pdf' });
  }
}
