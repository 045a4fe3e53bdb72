import { isNumericKind, numberOf } from './cells';
import type { CellValue, ReportColumn, ReportDocument } from './document';

/** Excel reads a CSV as UTF-8 only when it starts with the byte-order mark. */
const BOM = new Uint8Array([0xef, 0xbb, 0xbf]);
/**
 * Leading characters a spreadsheet takes as the start of a formula (OWASP "CSV Injection": `=`,
 * `+`, `-`, `@`, tab, carriage return; ASVS 1.2.10 adds NUL). Such a text cell gets a leading
 * single quote, which spreadsheets read as "this is text".
 */
const FORMULA_START = /^[=+\-@\t\r\0]/;
/** RFC 4180: a field holding a separator, a quote or a line break is quoted, its quotes doubled. */
const NEEDS_QUOTES = /[",\r\n]/;

/** One text field, neutralized against formula injection and then quoted as RFC 4180 requires. */
export function csvText(text: string): string {
  const safe = FORMULA_START.test(text) ? `'${text}` : text;
  return NEEDS_QUOTES.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/**
 * A cell: numbers in numeric columns are written bare (a negative number is a number, not a
 * formula); everything else is text and goes through `csvText`, whatever its column says.
 */
export function csvCell(value: CellValue, kind: ReportColumn['kind']): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (isNumericKind(kind)) {
    const n = numberOf(value);
    if (n !== null) return String(n);
  }
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  return csvText(value);
}

/**
 * The report's detail rows as CSV (header row, then one line per row; CRLF; UTF-8 with BOM),
 * pulled: a chunk of rows is read from the source only when the consumer wants more bytes.
 * The title block and summary are not in the CSV: it is a table for tools, one header row.
 */
export function csvStream(doc: ReportDocument): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const columns = doc.columns;
  let rows: AsyncIterator<Record<string, CellValue>[]> | null = null;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const header = columns.map((c) => csvText(c.header)).join(',') + '\r\n';
        const head = encoder.encode(header);
        const first = new Uint8Array(BOM.length + head.length);
        first.set(BOM);
        first.set(head, BOM.length);
        controller.enqueue(first);
      },
      async pull(controller) {
        rows ??= doc.rows[Symbol.asyncIterator]();
        // Skip empty chunks so that every pull enqueues something or ends the stream.
        for (;;) {
          const next = await rows.next();
          if (next.done) return controller.close();
          if (next.value.length === 0) continue;
          let text = '';
          for (const row of next.value) {
            for (let i = 0; i < columns.length; i++) {
              if (i > 0) text += ',';
              text += csvCell(row[columns[i]!.key] ?? null, columns[i]!.kind);
            }
            text += '\r\n';
          }
          return controller.enqueue(encoder.encode(text));
        }
      },
      async cancel(reason) {
        await rows?.return?.(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
