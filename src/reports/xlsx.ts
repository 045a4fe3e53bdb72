import { WorkbookWriter } from '@cj-tech-master/excelts';
import { isNumericKind, localDateTime, numberOf, wallClock } from './cells';
import type { CellValue, ReportColumn, ReportDocument } from './document';

/**
 * Number formats per kind. Percentages stay the 0..100 numbers the API and the CSV carry (87.5,
 * not 0.875) with a format that shows a percent sign, so every format holds the same figure.
 * Datetimes are real Excel dates (sortable, filterable) showing the wall-clock time in the
 * report's time zone, which is named on the Summary sheet.
 */
const NUM_FMT: Record<ReportColumn['kind'], string | undefined> = {
  text: undefined,
  integer: '#,##0',
  number: '#,##0.00',
  percent: '0.0"%"',
  datetime: 'yyyy-mm-dd hh:mm',
  boolean: undefined,
};
/** Column widths in characters: what a typical value needs, or the header when it is longer. */
const MIN_WIDTH: Record<ReportColumn['kind'], number> = {
  text: 18,
  integer: 9,
  number: 11,
  percent: 9,
  datetime: 17,
  boolean: 8,
};
/** Excel's limit on a cell's text. */
const MAX_CELL_CHARS = 32_767;
/** Bytes the output may hold unread before row production waits for the consumer. */
const OUTPUT_HIGH_WATER = 1024 * 1024;

const text = (s: string) => (s.length > MAX_CELL_CHARS ? s.slice(0, MAX_CELL_CHARS) : s);

/**
 * An XLSX cell. Strings are written as string cells, which Excel never evaluates, so they need no
 * formula escaping (and get none: the text reads back exactly as it was).
 */
function xlsxCell(
  value: CellValue,
  kind: ReportColumn['kind'],
  timeZone: string,
): string | number | boolean | Date | null {
  if (value === null || value === undefined) return null;
  if (isNumericKind(kind)) {
    const n = numberOf(value);
    if (n !== null) return n;
  }
  if (kind === 'datetime' && typeof value === 'string') {
    const c = wallClock(value, timeZone);
    // Excel dates have no zone: the cell holds the local time as if it were UTC.
    if (c) return new Date(Date.UTC(c.year, c.month - 1, c.day, c.hour, c.minute, c.second));
  }
  if (typeof value === 'string') return text(value);
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  return value;
}

/** A worksheet name Excel accepts: at most 31 characters, none of `[]:*?/\`, not "Summary". */
export function sheetName(title: string): string {
  const name = title
    .replace(/[[\]:*?/\\]/g, ' ')
    .trim()
    .slice(0, 31)
    .trim();
  return !name || name.toLowerCase() === 'summary' ? 'Data' : name;
}

/**
 * The report as an XLSX workbook, produced as it is read: a "Summary" sheet (title, tenant,
 * period, time zone, filters, summary figures) and a data sheet with a bold, frozen header row.
 * Rows are committed as each chunk arrives and the next chunk is read only once the consumer
 * has taken the bytes already produced, so memory holds about one chunk and one compressed
 * megabyte, whatever the number of rows.
 */
export function xlsxStream(doc: ReportDocument): ReadableStream<Uint8Array> {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let wake: (() => void) | null = null;
  let cancelled = false;
  // Set once the stream is closed or errored: late writes from the ZIP pipeline are dropped.
  let ended = false;
  let started = false;
  const resume = () => {
    const w = wake;
    wake = null;
    w?.();
  };

  async function drained() {
    while (!cancelled && (controller.desiredSize ?? 0) <= 0) await new Promise<void>((r) => (wake = r));
    if (cancelled) throw new Error('the XLSX consumer went away');
  }

  async function produce() {
    const workbook = new WorkbookWriter({
      useStyles: true,
      // Inline strings: a shared-strings table would keep every distinct string until the end.
      useSharedStrings: false,
      created: new Date(doc.generatedAt),
      creator: doc.tenantName,
      stream: new WritableStream<Uint8Array>({
        write(chunk) {
          if (!cancelled && !ended) controller.enqueue(chunk);
        },
      }),
    });
    writeSummary(workbook, doc);

    const sheet = workbook.addWorksheet(sheetName(doc.title), { views: [{ state: 'frozen', ySplit: 1 }] });
    sheet.columns = doc.columns.map((c) => ({
      header: c.header,
      key: c.key,
      width: Math.min(50, Math.max(MIN_WIDTH[c.kind], c.header.length + 2)),
      style: NUM_FMT[c.kind] ? { numFmt: NUM_FMT[c.kind] } : {},
    }));
    const header = sheet.getRow(1);
    header.font = { bold: true };
    header.commit();

    for await (const chunk of doc.rows) {
      for (const row of chunk) {
        sheet.addRow(doc.columns.map((c) => xlsxCell(row[c.key] ?? null, c.kind, doc.timeZone))).commit();
      }
      await compressed(workbook);
      await drained();
    }
    sheet.commit();
    await workbook.commit();
  }

  return new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      pull() {
        if (!started) {
          started = true;
          produce().then(
            () => {
              if (!cancelled && !ended) controller.close();
              ended = true;
            },
            (err) => {
              if (!cancelled && !ended) controller.error(err);
              ended = true;
            },
          );
        }
        resume();
      },
      cancel() {
        cancelled = true;
        resume();
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: OUTPUT_HIGH_WATER }),
  );
}

/**
 * Waits until the sheet XML committed so far has gone through compression. Row commits are
 * synchronous, but where CompressionStream exists (workerd, browsers) excelts 10.2 compresses on
 * a promise chain per ZIP entry that nothing waits for, so without this the uncompressed XML of
 * every row would pile up on that chain until the end. The chain is internal (`zip.activeFile.
 * _pushChain`); the version is pinned and the streaming test fails if it moves.
 */
async function compressed(workbook: WorkbookWriter) {
  const entry = (workbook as unknown as { zip?: { activeFile?: { _pushChain?: Promise<unknown> } | null } }).zip
    ?.activeFile;
  let chain: Promise<unknown> | undefined;
  while (entry && entry._pushChain !== chain) {
    chain = entry._pushChain;
    await chain?.catch(() => undefined);
  }
}

function writeSummary(workbook: WorkbookWriter, doc: ReportDocument) {
  const sheet = workbook.addWorksheet('Summary');
  sheet.columns = [{ width: 24 }, { width: 48 }];
  const add = (values: (string | null)[], bold = false, size?: number) => {
    const row = sheet.addRow(values.map((v) => (v === null ? null : text(v))));
    if (bold || size) row.font = { bold, ...(size ? { size } : {}) };
    row.commit();
  };
  add([doc.title], true, 14);
  add([doc.tenantName]);
  add([]);
  add(['Period', `${doc.period.from} to ${doc.period.to}`]);
  add(['Time zone', doc.timeZone]);
  add(['Generated at', localDateTime(doc.generatedAt, doc.timeZone)]);
  if (doc.filters.length) {
    add([]);
    add(['Filters'], true);
    for (const f of doc.filters) add([f.label, f.value]);
  }
  if (doc.summary.length) {
    add([]);
    add(['Summary'], true);
    for (const s of doc.summary) add([s.label, s.value]);
  }
  sheet.commit();
}
