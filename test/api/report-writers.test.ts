/**
 * The report writers inside workerd: each format read back with a reader (csv-parse, excelts'
 * own reader, pdf-lib), the CSV's formula-injection escaping, the XLSX writer producing bytes
 * while rows are still arriving, and the streaming R2 upload, which leaves nothing behind when
 * its source fails.
 */
import { PDFDocument } from '@cantoo/pdf-lib';
import { Workbook } from '@cj-tech-master/excelts';
import { env } from 'cloudflare:test';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { csvCell } from '../../src/reports/csv';
import type { CellValue, ReportColumn, ReportDocument } from '../../src/reports/document';
import { renderReport, reportFilename } from '../../src/reports/render';
import { uploadStream } from '../../src/reports/r2-upload';
import { measureRender, syntheticReport } from '../../src/reports/synthetic';
import { PART_SIZE } from '../../src/lib/r2-multipart';

type Row = Record<string, CellValue>;

const COLUMNS: ReportColumn[] = [
  { key: 'name', header: 'Agent', kind: 'text' },
  { key: 'calls', header: 'Calls', kind: 'integer' },
  { key: 'avg', header: 'Average', kind: 'number' },
  { key: 'score', header: 'Score', kind: 'percent' },
  { key: 'at', header: 'Started at', kind: 'datetime' },
  { key: 'passed', header: 'Passed', kind: 'boolean' },
];

/** A document over `rows`, handed out in chunks, counting how many chunks were pulled. */
function report(rows: Row[], overrides: Partial<ReportDocument> = {}, chunkSize = 100) {
  const pulled = { chunks: 0, done: false };
  async function* chunks() {
    for (let i = 0; i < rows.length; i += chunkSize) {
      pulled.chunks++;
      yield rows.slice(i, i + chunkSize);
    }
    pulled.done = true;
  }
  const doc: ReportDocument = {
    tenantName: 'Acme',
    title: 'Call scores',
    generatedAt: '2026-02-01T09:30:00Z',
    period: { from: '2026-01-01', to: '2026-01-31' },
    timeZone: 'America/New_York',
    filters: [{ label: 'Team', value: 'Support' }],
    summary: [{ label: 'Calls', value: String(rows.length) }],
    columns: COLUMNS,
    rows: chunks(),
    ...overrides,
  };
  return { doc, pulled };
}

const bytesOf = async (stream: ReadableStream<Uint8Array>) => new Uint8Array(await new Response(stream).arrayBuffer());
const render = (doc: ReportDocument, format: 'csv' | 'xlsx' | 'pdf') => bytesOf(renderReport(doc, format).stream);

const plainRows = (n: number): Row[] =>
  Array.from({ length: n }, (_, i) => ({
    name: `Agent ${i}`,
    calls: i * 3,
    avg: i / 4,
    score: (i % 1000) / 10,
    at: new Date(Date.UTC(2026, 0, 15, 14, 0) + i * 60_000).toISOString(),
    passed: i % 2 === 0,
  }));

describe('CSV', () => {
  it('starts with a BOM, ends lines with CRLF and parses back to the header and the rows', async () => {
    const rows: Row[] = [
      { name: 'Plain', calls: 3, avg: 1.25, score: 87.5, at: '2026-01-15T14:00:00.000Z', passed: true },
      { name: 'Comma, inside', calls: 0, avg: -2.5, score: 0, at: null, passed: false },
      { name: 'He said "hi"', calls: null, avg: null, score: null, at: '2026-01-16T00:00:00.000Z', passed: null },
      { name: 'Two\nlines\r\nand CRLF', calls: 1, avg: 0.1, score: 100, at: null, passed: true },
      { name: 'Zoë 🙂 Ångström', calls: 12345678, avg: 3, score: 12.3, at: null, passed: false },
    ];
    const bytes = await render(report(rows).doc, 'csv');
    expect([...bytes.subarray(0, 3)], 'a UTF-8 byte-order mark for Excel').toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder().decode(bytes.subarray(3));
    expect(text.startsWith('Agent,Calls,Average,Score,Started at,Passed\r\n')).toBe(true);
    expect(text.endsWith('\r\n')).toBe(true);
    const outsideQuotes = text.replace(/"(?:[^"]|"")*"/g, '""');
    expect(/(?<!\r)\n/.test(outsideQuotes), 'every record ends in CRLF').toBe(false);

    const parsed: string[][] = parse(text, { relax_column_count: false });
    expect(parsed[0]).toEqual(COLUMNS.map((c) => c.header));
    expect(parsed.slice(1)).toEqual([
      ['Plain', '3', '1.25', '87.5', '2026-01-15T14:00:00.000Z', 'true'],
      ['Comma, inside', '0', '-2.5', '0', '', 'false'],
      ['He said "hi"', '', '', '', '2026-01-16T00:00:00.000Z', ''],
      ['Two\nlines\r\nand CRLF', '1', '0.1', '100', '', 'true'],
      ['Zoë 🙂 Ångström', '12345678', '3', '12.3', '', 'false'],
    ]);
    expect(text, 'quotes doubled inside a quoted field').toContain('"He said ""hi"""');
  });

  it('escapes every formula-injection prefix in text cells, and leaves numbers alone', async () => {
    const attacks = ['=1+1', '+1+1', '-1+2', '@SUM(A1)', '\t=1', '\r=1', '=HYPERLINK("http://x.test","c")', '-5'];
    const rows: Row[] = attacks.map((name) => ({ name, calls: -5, avg: -1.5, score: -0, at: null, passed: null }));
    const text = new TextDecoder().decode((await render(report(rows).doc, 'csv')).subarray(3));
    const parsed: string[][] = parse(text);
    expect(parsed.slice(1).map((r) => r[0])).toEqual(attacks.map((a) => `'${a}`));
    for (const r of parsed.slice(1))
      expect(r.slice(1, 4), 'numbers are written as numbers').toEqual(['-5', '-1.5', '0']);
    // A formula in a header, a datetime or a numeric column's non-numeric text is text too.
    expect(csvCell('=1+1', 'integer')).toBe("'=1+1");
    expect(csvCell('-1+2', 'percent')).toBe("'-1+2");
    expect(csvCell('=cmd', 'datetime')).toBe("'=cmd");
    // A decimal literal in a numeric column (Postgres numeric over HTTP) is a number.
    expect(csvCell('-12.50', 'number')).toBe('-12.5');
    expect(csvCell('\0x', 'text')).toBe("'\0x");
    expect(csvCell('a=b', 'text'), 'only a leading character matters').toBe('a=b');
    const headed = report([], { columns: [{ key: 'x', header: '=evil()', kind: 'text' }] }).doc;
    expect(new TextDecoder().decode(await render(headed, 'csv')), 'the decoder drops the BOM').toBe("'=evil()\r\n");
  });

  it('is pulled: a chunk of rows is read only when the consumer wants more', async () => {
    const { doc, pulled } = report(plainRows(1000), {}, 100);
    const reader = renderReport(doc, 'csv').stream.getReader();
    await reader.read(); // BOM and header
    await reader.read(); // first chunk
    expect(pulled.chunks, 'rows beyond what was read stay in the source').toBeLessThanOrEqual(2);
    await reader.cancel();
  });
});

describe('XLSX', () => {
  it('has a Summary sheet and a data sheet with a bold frozen header, typed cells and formats', async () => {
    const rows: Row[] = [
      { name: '=1+1', calls: 1200, avg: 2.75, score: 87.5, at: '2026-01-15T14:05:00.000Z', passed: true },
      { name: 'Zoë 🙂', calls: null, avg: '3.50', score: null, at: null, passed: false },
    ];
    const doc = report(rows, { summary: [{ label: 'Average score', value: '87.5%' }] }).doc;
    const wb = new Workbook();
    await wb.xlsx.load(await render(doc, 'xlsx'));
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Summary', 'Call scores']);

    const summary = wb.getWorksheet('Summary')!;
    const summaryText = summary.getSheetValues().flat().filter(Boolean).map(String);
    for (const s of [
      'Call scores',
      'Acme',
      '2026-01-01 to 2026-01-31',
      'America/New_York',
      'Team',
      'Support',
      'Average score',
      '87.5%',
    ])
      expect(summaryText, `the Summary sheet holds ${s}`).toContain(s);

    const sheet = wb.getWorksheet('Call scores')!;
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(sheet.getRow(1).values).toEqual([undefined, ...COLUMNS.map((c) => c.header)]);
    expect(sheet.getRow(1).getCell(1).font?.bold).toBe(true);
    const r2 = sheet.getRow(2);
    expect(r2.getCell(1).value, 'a string cell keeps its text; Excel does not evaluate it').toBe('=1+1');
    expect(r2.getCell(2).value).toBe(1200);
    expect(r2.getCell(3).value).toBe(2.75);
    expect(r2.getCell(4).value, 'percentages keep the 0..100 figure').toBe(87.5);
    expect(r2.getCell(4).numFmt).toBe('0.0"%"');
    // 14:05 UTC is 09:05 in New York: the cell shows the report's wall-clock time.
    expect(r2.getCell(5).value).toEqual(new Date(Date.UTC(2026, 0, 15, 9, 5)));
    expect(r2.getCell(5).numFmt).toBe('yyyy-mm-dd hh:mm');
    expect(r2.getCell(6).value).toBe(true);
    const r3 = sheet.getRow(3);
    expect(r3.getCell(1).value).toBe('Zoë 🙂');
    expect(r3.getCell(2).value ?? null).toBeNull();
    expect(r3.getCell(3).value, 'a decimal string in a numeric column is a number').toBe(3.5);
    expect(r3.getCell(6).value).toBe(false);
  });

  it('writes 25,000 rows that read back in order, producing bytes while rows are still arriving', async () => {
    const n = 25_000;
    const { doc, pulled } = report(plainRows(n), {}, 500);
    const reader = renderReport(doc, 'xlsx').stream.getReader();
    const parts: Uint8Array[] = [];
    let bytesBeforeSourceEnded = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      if (!pulled.done) bytesBeforeSourceEnded += value.byteLength;
    }
    const total = parts.reduce((a, p) => a + p.byteLength, 0);
    expect(bytesBeforeSourceEnded / total, 'most of the file leaves before the last rows are read').toBeGreaterThan(
      0.5,
    );

    const wb = new Workbook();
    await wb.xlsx.load(await new Blob(parts).arrayBuffer());
    const sheet = wb.getWorksheet('Call scores')!;
    expect(sheet.rowCount).toBe(n + 1);
    const last = sheet.getRow(n + 1);
    expect(last.getCell(1).value).toBe(`Agent ${n - 1}`);
    expect(last.getCell(2).value).toBe((n - 1) * 3);
    expect(last.getCell(4).value).toBe(((n - 1) % 1000) / 10);
    expect(sheet.getRow(1001).getCell(1).value).toBe('Agent 999');
  });
});

describe('PDF', () => {
  const pdfOf = async (doc: ReportDocument) => {
    const bytes = await render(doc, 'pdf');
    expect(new TextDecoder().decode(bytes.subarray(0, 5))).toBe('%PDF-');
    return PDFDocument.load(bytes);
  };

  it('is a valid PDF whose page count grows with the rows', async () => {
    const small = await pdfOf(report(plainRows(10)).doc);
    const large = await pdfOf(report(plainRows(2000)).doc);
    expect(small.getPageCount()).toBe(1);
    expect(large.getPageCount(), 'about 50 rows a portrait page').toBeGreaterThan(30);
    const { width, height } = small.getPage(0).getSize();
    expect(width < height, 'six columns fit in portrait').toBe(true);
    expect(small.getTitle()).toBe('Call scores: Acme');
  });

  it('draws any text (accents, letters outside WinAnsi, emoji), a trend, groups on their own pages and wide tables in landscape', async () => {
    const doc = syntheticReport({ rows: 300, criteria: 15, groupByAgent: true });
    doc.tenantName = 'Zoë’s 🙂 Łódź — 東京';
    doc.filters.push({ label: 'Agent', value: 'Ωmega \u200d\u{1F468}\u200d\u{1F469}' });
    const pdf = await pdfOf(doc);
    const { width, height } = pdf.getPage(0).getSize();
    expect(width > height, '23 columns are laid out in landscape').toBe(true);
    // 8 agents, each starting on a page of its own after the title page.
    expect(pdf.getPageCount()).toBeGreaterThanOrEqual(9);
  });

  it('says so when no row matches', async () => {
    const pdf = await pdfOf(report([], { trend: { title: 'Score', unit: 'points', points: [] } }).doc);
    expect(pdf.getPageCount()).toBe(1);
  });
});

/** `size` bytes of a repeating pattern, in chunks of `chunk` bytes, erroring after `failAfter` bytes if set. */
function patternStream(size: number, chunk: number, failAfter?: number) {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (failAfter !== undefined && sent >= failAfter) return controller.error(new Error('the database went away'));
      if (sent >= size) return controller.close();
      const n = Math.min(chunk, size - sent);
      const bytes = new Uint8Array(n);
      for (let i = 0; i < n; i++) bytes[i] = (sent + i) % 251;
      sent += n;
      controller.enqueue(bytes);
    },
  });
}

const sha256 = async (bytes: ArrayBuffer | Uint8Array) =>
  [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('');

describe('R2 upload', () => {
  it('streams a body larger than two parts into one object of the right size and content', async () => {
    const key = `reports-test/${crypto.randomUUID()}/big.csv`;
    const size = 2 * PART_SIZE + 1024 * 1024 + 7; // over 11 MiB: two full parts and a short last one
    const result = await uploadStream(env.AUDIO, key, patternStream(size, 300_001), {
      contentType: 'text/csv; charset=utf-8',
      contentDisposition: 'attachment; filename="big.csv"',
    });
    expect(result.bytes).toBe(size);
    const object = await env.AUDIO.get(key);
    expect(object?.size).toBe(size);
    expect(object?.httpMetadata?.contentType).toBe('text/csv; charset=utf-8');
    expect(object?.httpMetadata?.contentDisposition).toBe('attachment; filename="big.csv"');
    const stored = await object!.arrayBuffer();
    expect(await sha256(stored)).toBe(await sha256(await bytesOf(patternStream(size, 1 << 20))));
    await env.AUDIO.delete(key);
  });

  it('stores a tiny body with one put', async () => {
    const key = `reports-test/${crypto.randomUUID()}/tiny.csv`;
    expect(await uploadStream(env.AUDIO, key, patternStream(10, 10), { contentType: 'text/csv' })).toEqual({
      bytes: 10,
    });
    expect(new Uint8Array(await (await env.AUDIO.get(key))!.arrayBuffer())).toEqual(
      new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
    );
    await env.AUDIO.delete(key);
  });

  it.each([
    ['inside the first part (nothing written yet)', 1024 * 1024],
    ['after two parts were uploaded', 2 * PART_SIZE + 500_000],
  ])('leaves no object when the source errors %s, and rethrows', async (_, failAfter) => {
    const prefix = `reports-test/${crypto.randomUUID()}/`;
    const upload = uploadStream(
      env.AUDIO,
      `${prefix}broken.xlsx`,
      patternStream(4 * PART_SIZE, 256 * 1024, failAfter),
      {
        contentType: 'application/octet-stream',
      },
    );
    await expect(upload).rejects.toThrow('the database went away');
    expect(await env.AUDIO.head(`${prefix}broken.xlsx`)).toBeNull();
    expect((await env.AUDIO.list({ prefix })).objects).toEqual([]);
  });

  it('uploads a rendered report end to end and aborts one whose rows fail midway', async () => {
    const key = `reports-test/${crypto.randomUUID()}/report.xlsx`;
    const ok = renderReport(report(plainRows(3000)).doc, 'xlsx');
    const { bytes } = await uploadStream(env.AUDIO, key, ok.stream, { contentType: ok.contentType });
    const wb = new Workbook();
    await wb.xlsx.load(await (await env.AUDIO.get(key))!.arrayBuffer());
    expect(wb.getWorksheet('Call scores')!.rowCount).toBe(3001);
    expect((await env.AUDIO.head(key))!.size).toBe(bytes);
    await env.AUDIO.delete(key);

    for (const format of ['csv', 'xlsx', 'pdf'] as const) {
      const failing = `reports-test/${crypto.randomUUID()}/failing.${format}`;
      async function* rows() {
        yield plainRows(200);
        throw new Error(`query failed while writing ${format}`);
      }
      const r = renderReport(report([], { rows: rows() }).doc, format);
      await expect(uploadStream(env.AUDIO, failing, r.stream, { contentType: r.contentType })).rejects.toThrow(
        `query failed while writing ${format}`,
      );
      expect(await env.AUDIO.head(failing)).toBeNull();
    }
  });
});

describe('renderReport', () => {
  it('names the content type, the extension and an ASCII download name', () => {
    const doc = report([]).doc;
    expect(renderReport(doc, 'csv')).toMatchObject({
      contentType: 'text/csv; charset=utf-8',
      extension: 'csv',
      filename: 'call-scores_2026-01-01_2026-01-31.csv',
    });
    expect(renderReport(doc, 'xlsx').contentType).toBe(
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    );
    expect(renderReport(doc, 'pdf')).toMatchObject({ contentType: 'application/pdf', extension: 'pdf' });
    expect(reportFilename({ title: 'Zoë\'s "compliance" 🙂 extract', period: doc.period }, 'pdf')).toBe(
      'zoe-s-compliance-extract_2026-01-01_2026-01-31.pdf',
    );
  });
});

describe('render cost', () => {
  // Logged for the record, not asserted: timings on a shared 2-core machine are not a contract.
  it.each(['csv', 'xlsx', 'pdf'] as const)('renders 5,000 rows x 15 columns as %s', async (format) => {
    const m = await measureRender(format, { rows: 5000, criteria: 7 });
    console.log(JSON.stringify(m));
    expect(m.bytes).toBeGreaterThan(5000 * 15);
  });
});
