import { PDFDocument, PDFName, type PDFPage, StandardFonts } from '@cantoo/pdf-lib';
import { localDateTime, numberOf } from './cells';
import type { CellValue, ReportColumn, ReportDocument } from './document';
import { StandardFontText } from './pdf-text';

const A4: [number, number] = [595.28, 841.89];
const MARGIN = 36;
const REGULAR = 0;
const BOLD = 1;
const FONT_NAMES = ['F1', 'F2'];
/** Detail-table font sizes tried in turn until every column fits at its minimum width. */
const TABLE_SIZES = [8, 7.5, 7, 6.5, 6];
const CELL_PAD = 3;
const HEADER_LINES = 3;
const RUNNING_HEADER = 22;
const FOOTER = 20;
const CHART_HEIGHT = 170;
const GRAY = { rule: 0.75, fill: 0.93, zebra: 0.975, muted: 0.35 };

type Kind = ReportColumn['kind'];

/** What a typical value of each kind needs, so widths are known before any row is read. */
const SAMPLE: Record<Kind, string> = {
  text: 'Abcdefghijkl',
  integer: '000,000',
  number: '0,000.00',
  percent: '100.0%',
  datetime: '2026-01-05 14:03',
  boolean: 'Yes',
};

const group3 = (digits: string) => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
function grouped(n: number, decimals: number): string {
  const fixed = Math.abs(n).toFixed(decimals);
  const [int, frac] = fixed.split('.');
  return (n < 0 && Number(fixed) !== 0 ? '-' : '') + group3(int!) + (frac ? `.${frac}` : '');
}

/** A cell as shown in the PDF; formatting here is for reading, the CSV and XLSX keep raw values. */
function display(value: CellValue, kind: Kind, timeZone: string): string {
  if (value === null || value === undefined || value === '') return '\u2013';
  if (kind === 'boolean' && typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (kind === 'integer' || kind === 'number' || kind === 'percent') {
    const n = numberOf(value);
    if (n !== null) {
      if (kind === 'integer') return grouped(n, 0);
      if (kind === 'percent') return `${n.toFixed(1)}%`;
      return grouped(n, Number.isInteger(n) ? 0 : 2);
    }
  }
  if (kind === 'datetime' && typeof value === 'string') return localDateTime(value, timeZone);
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  return String(value);
}

/** Content-stream operators for one page: shapes first, then one text object over them. */
class PageContent {
  private shapes: string[] = [];
  private texts: string[] = [];
  private font = -1;
  private size = 0;
  private gray = 0;

  constructor(private readonly t: StandardFontText) {}

  text(x: number, y: number, s: string, font: number, size: number, gray = 0) {
    if (!s) return;
    if (font !== this.font || size !== this.size) {
      this.texts.push(`/${FONT_NAMES[font]} ${size} Tf`);
      this.font = font;
      this.size = size;
    }
    if (gray !== this.gray) {
      this.texts.push(`${gray} g`);
      this.gray = gray;
    }
    this.texts.push(`1 0 0 1 ${x.toFixed(2)} ${y.toFixed(2)} Tm ${this.t.literal(s)} Tj`);
  }

  /** Sanitized text aligned in a box [x, x + width]. */
  cell(x: number, width: number, y: number, s: string, font: number, size: number, align: 'left' | 'right', gray = 0) {
    const fitted = this.t.fit(s, font, size, width - 2 * CELL_PAD);
    const tx = align === 'right' ? x + width - CELL_PAD - this.t.width(fitted, font, size) : x + CELL_PAD;
    this.text(tx, y, fitted, font, size, gray);
  }

  rect(x: number, y: number, w: number, h: number, gray: number) {
    this.shapes.push(`${gray} g ${x.toFixed(2)} ${y.toFixed(2)} ${w.toFixed(2)} ${h.toFixed(2)} re f`);
  }

  colorRect(x: number, y: number, w: number, h: number, rgb: [number, number, number]) {
    this.shapes.push(`${rgb.join(' ')} rg ${x.toFixed(2)} ${y.toFixed(2)} ${w.toFixed(2)} ${h.toFixed(2)} re f`);
  }

  line(points: [number, number][], width: number, gray: number, rgb?: [number, number, number]) {
    if (points.length < 2) return;
    const color = rgb ? `${rgb.join(' ')} RG` : `${gray} G`;
    const path = points.map(([x, y], i) => `${x.toFixed(2)} ${y.toFixed(2)} ${i ? 'l' : 'm'}`).join(' ');
    this.shapes.push(`${color} ${width} w ${path} S`);
  }

  dot(x: number, y: number, r: number, rgb: [number, number, number]) {
    // A circle from four Bézier arcs (k = 4(√2 − 1)/3).
    const k = 0.5523 * r;
    this.shapes.push(
      `${rgb.join(' ')} rg ${x + r} ${y} m ${x + r} ${y + k} ${x + k} ${y + r} ${x} ${y + r} c ` +
        `${x - k} ${y + r} ${x - r} ${y + k} ${x - r} ${y} c ${x - r} ${y - k} ${x - k} ${y - r} ${x} ${y - r} c ` +
        `${x + k} ${y - r} ${x + r} ${y - k} ${x + r} ${y} c f`,
    );
  }

  toString() {
    return `${this.shapes.join('\n')}\nBT\n${this.texts.join('\n')}\nET\n`;
  }
}

interface TableColumn {
  key: string;
  kind: Kind;
  x: number;
  width: number;
  align: 'left' | 'right';
  header: string[];
}

interface TableLayout {
  size: number;
  rowHeight: number;
  headerHeight: number;
  columns: TableColumn[];
}

/**
 * Column widths for the detail table: each column gets what its kind's typical value and its
 * header's longest word need, at the largest font size (down to 7 pt) where all of them fit; the
 * space left goes to the text columns. Headers wrap onto up to three lines. When that does not
 * fit, long header words may break with a hyphen and sizes go down to 6 pt; when even that does
 * not fit, every column shrinks in proportion and long values end in an ellipsis.
 */
function layoutTable(t: StandardFontText, columns: ReportColumn[], available: number, left: number): TableLayout {
  const headers = columns.map((c) => t.sanitize(c.header));
  const need = (size: number, hyphenate: boolean) =>
    columns.map((c, i) => {
      const value = t.width(SAMPLE[c.kind], REGULAR, size);
      const word = Math.max(...headers[i]!.split(' ').map((w) => t.width(w, BOLD, size)));
      // Hyphenated, a header word wider than a number column's values need not widen it.
      const cap = hyphenate && c.kind !== 'text' ? Math.max(value, t.width('Abcdef-', BOLD, size)) : Infinity;
      return Math.max(value, Math.min(word, cap)) + 2 * CELL_PAD;
    });
  const attempts = [
    ...TABLE_SIZES.filter((size) => size >= 7).map((size) => ({ size, hyphenate: false })),
    ...TABLE_SIZES.map((size) => ({ size, hyphenate: true })),
  ];
  let chosen = attempts[attempts.length - 1]!;
  let widths = need(chosen.size, true);
  for (const attempt of attempts) {
    const w = need(attempt.size, attempt.hyphenate);
    if (w.reduce((a, b) => a + b, 0) <= available) {
      chosen = attempt;
      widths = w;
      break;
    }
  }
  const { size } = chosen;
  const total = widths.reduce((a, b) => a + b, 0);
  if (total > available) widths = widths.map((w) => (w * available) / total);
  else {
    // Extra room: text columns first (up to three times their minimum), then everyone in proportion.
    let extra = available - total;
    const text = columns.map((c) => c.kind === 'text');
    const textTotal = widths.reduce((a, w, i) => a + (text[i] ? w : 0), 0);
    if (textTotal > 0) {
      const grow = Math.min(extra, textTotal * 2);
      widths = widths.map((w, i) => (text[i] ? w + (grow * w) / textTotal : w));
      extra -= grow;
    }
    const sum = widths.reduce((a, b) => a + b, 0);
    widths = widths.map((w) => w + (extra * w) / sum);
  }
  let x = left;
  const laid = columns.map((c, i): TableColumn => {
    const col: TableColumn = {
      key: c.key,
      kind: c.kind,
      x,
      width: widths[i]!,
      align: c.kind === 'text' || c.kind === 'datetime' ? 'left' : 'right',
      header: t.wrap(headers[i]!, BOLD, size, widths[i]! - 2 * CELL_PAD, HEADER_LINES, true),
    };
    x += widths[i]!;
    return col;
  });
  const lines = Math.max(1, ...laid.map((c) => c.header.length));
  return { size, rowHeight: size * 1.65, headerHeight: lines * size * 1.2 + 2 * CELL_PAD + 2, columns: laid };
}

/** Whether a layout needs landscape: the portrait table would shrink below the largest font size. */
function wantsLandscape(t: StandardFontText, columns: ReportColumn[]): boolean {
  const portrait = layoutTable(t, columns, A4[0] - 2 * MARGIN, MARGIN);
  return columns.length > 8 || portrait.size < TABLE_SIZES[0]!;
}

const niceStep = (max: number) => {
  const raw = max / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const n = raw / mag;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 2.5 ? 2.5 : n <= 5 ? 5 : 10) * mag;
};

const ACCENT: [number, number, number] = [0.16, 0.38, 0.67];

/**
 * The report as a PDF: a title block (tenant, title, period, time zone, filters, generation time),
 * the summary table, the trend as a chart drawn with lines and rectangles, then the detail table
 * with its header on every page, split per group when `groupBy` is set (a new page per group),
 * and "Page N of M" in every footer. Helvetica, not embedded (WinAnsi only, see StandardFontText).
 *
 * pdf-lib writes the file only at the end, so the whole document is held until then; to keep that
 * small, each page's operators are written as text and compressed as soon as the page is full,
 * rather than kept as pdf-lib operator objects, and rows are read one chunk at a time.
 */
export async function pdfBytes(doc: ReportDocument): Promise<Uint8Array> {
  const pdf = await PDFDocument.create({ updateMetadata: false });
  pdf.setTitle(`${doc.title}: ${doc.tenantName}`);
  pdf.setAuthor(doc.tenantName);
  pdf.setCreationDate(new Date(doc.generatedAt));
  const fonts = [await pdf.embedFont(StandardFonts.Helvetica), await pdf.embedFont(StandardFonts.HelveticaBold)];
  const t = new StandardFontText(fonts);
  const s = (text: string) => t.sanitize(text);

  const groupKey = doc.groupBy && doc.columns.some((c) => c.key === doc.groupBy) ? doc.groupBy : undefined;
  const groupColumn = groupKey ? doc.columns.find((c) => c.key === groupKey)! : undefined;
  // Within a group its value is the section's heading, so the column itself is left out.
  const tableColumns = doc.columns.filter((c) => c.key !== groupKey);
  const [pageW, pageH] = wantsLandscape(t, tableColumns) ? [A4[1], A4[0]] : A4;
  const contentW = pageW - 2 * MARGIN;
  const top = pageH - MARGIN - RUNNING_HEADER;
  const bottom = MARGIN + FOOTER;
  const table = layoutTable(t, tableColumns, contentW, MARGIN);

  const pages: PDFPage[] = [];
  let content: PageContent | null = null;
  let y = top;

  const finishPage = () => {
    if (!content) return;
    const page = pages[pages.length - 1]!;
    page.node.addContentStream(pdf.context.register(pdf.context.flateStream(content.toString())));
    content = null;
  };
  const newPage = () => {
    finishPage();
    const page = pdf.addPage([pageW, pageH]);
    fonts.forEach((f, i) => page.node.setFontDictionary(PDFName.of(FONT_NAMES[i]!), f.ref));
    pages.push(page);
    content = new PageContent(t);
    const runningLeft = s(`${doc.tenantName} \u00b7 ${doc.title}`);
    content.cell(MARGIN - CELL_PAD, contentW * 0.7, pageH - MARGIN - 9, runningLeft, BOLD, 8.5, 'left', GRAY.muted);
    const runningRight = s(`${doc.period.from} to ${doc.period.to}`);
    content.cell(
      MARGIN + contentW * 0.7,
      contentW * 0.3 + CELL_PAD,
      pageH - MARGIN - 9,
      runningRight,
      REGULAR,
      8.5,
      'right',
      GRAY.muted,
    );
    content.line(
      [
        [MARGIN, pageH - MARGIN - 14],
        [pageW - MARGIN, pageH - MARGIN - 14],
      ],
      0.5,
      GRAY.rule,
    );
    y = top;
    return content;
  };
  const page = () => content ?? newPage();
  const ensure = (height: number) => (y - height < bottom ? newPage() : page());

  // Title block.
  let c = newPage();
  y -= 20;
  c.text(MARGIN, y, t.fit(s(doc.title), BOLD, 20, contentW), BOLD, 20);
  y -= 18;
  c.text(MARGIN, y, t.fit(s(doc.tenantName), REGULAR, 12, contentW), REGULAR, 12, GRAY.muted);
  y -= 22;
  const meta: [string, string][] = [
    ['Period', `${doc.period.from} to ${doc.period.to}`],
    ['Time zone', doc.timeZone],
    ...doc.filters.map((f): [string, string] => [f.label, f.value]),
    ['Generated at', `${localDateTime(doc.generatedAt, doc.timeZone)} (${doc.timeZone})`],
  ];
  const labelW = Math.min(160, Math.max(...meta.map(([l]) => t.width(s(l), BOLD, 9))) + 16);
  for (const [label, value] of meta) {
    c = ensure(13);
    c.text(MARGIN, y, t.fit(s(label), BOLD, 9, labelW - 8), BOLD, 9, GRAY.muted);
    c.text(MARGIN + labelW, y, t.fit(s(value), REGULAR, 9, contentW - labelW), REGULAR, 9);
    y -= 13;
  }

  // Summary table.
  if (doc.summary.length) {
    y -= 14;
    c = ensure(40);
    c.text(MARGIN, y, 'Summary', BOLD, 12);
    y -= 8;
    const w = Math.min(contentW, 360);
    const rowH = 16;
    doc.summary.forEach((row, i) => {
      c = ensure(rowH);
      if (i % 2 === 0) c.rect(MARGIN, y - rowH, w, rowH, GRAY.fill);
      c.cell(MARGIN, w * 0.6, y - rowH + 5, s(row.label), REGULAR, 9.5, 'left');
      c.cell(MARGIN + w * 0.6, w * 0.4, y - rowH + 5, s(row.value), BOLD, 9.5, 'right');
      y -= rowH;
    });
  }

  // Trend chart.
  if (doc.trend && doc.trend.points.length) {
    y -= 24;
    c = ensure(CHART_HEIGHT + 40);
    c.text(MARGIN, y, t.fit(s(doc.trend.title), BOLD, 12, contentW), BOLD, 12);
    y -= 10;
    drawTrend(c, t, doc.trend, MARGIN, y - CHART_HEIGHT, Math.min(contentW, 640), CHART_HEIGHT);
    y -= CHART_HEIGHT + 8;
  }

  // Detail table.
  const drawHeader = (groupTitle: string | null) => {
    const c = page();
    if (groupTitle) {
      c.text(MARGIN, y - 12, t.fit(groupTitle, BOLD, 11, contentW), BOLD, 11);
      y -= 20;
    }
    c.rect(MARGIN, y - table.headerHeight, contentW, table.headerHeight, GRAY.fill);
    for (const col of table.columns) {
      col.header.forEach((line, i) => {
        const ly = y - CELL_PAD - table.size - i * table.size * 1.2;
        c.cell(col.x, col.width, ly, line, BOLD, table.size, col.align);
      });
    }
    y -= table.headerHeight;
    c.line(
      [
        [MARGIN, y],
        [MARGIN + contentW, y],
      ],
      0.6,
      GRAY.rule,
    );
  };

  let group: string | null = null;
  let rowsOnPage = 0;
  let first = true;
  const heading = (value: string | null, continued: boolean) =>
    groupColumn
      ? s(`${groupColumn.header}: ${display(value, groupColumn.kind, doc.timeZone)}${continued ? ' (continued)' : ''}`)
      : null;

  const startTable = (groupValue: string | null) => {
    const groupRoom = groupColumn ? 20 : 0;
    // Each group on a page of its own; an ungrouped table starts under the chart when 3 rows fit.
    if (groupColumn || y - (groupRoom + table.headerHeight + 3 * table.rowHeight) < bottom) newPage();
    else y -= 18;
    drawHeader(heading(groupValue, false));
    rowsOnPage = 0;
  };

  for await (const chunk of doc.rows) {
    for (const row of chunk) {
      const value = groupKey ? display(row[groupKey] ?? null, groupColumn!.kind, doc.timeZone) : null;
      if (first || (groupKey && value !== group)) {
        group = value;
        startTable(groupKey ? ((row[groupKey] as string | null) ?? null) : null);
        first = false;
      } else if (y - table.rowHeight < bottom) {
        newPage();
        drawHeader(heading((groupKey ? row[groupKey] : null) as string | null, true));
        rowsOnPage = 0;
      }
      const c = page();
      if (rowsOnPage % 2 === 1) c.rect(MARGIN, y - table.rowHeight, contentW, table.rowHeight, GRAY.zebra);
      const baseline = y - table.rowHeight + (table.rowHeight - table.size) / 2 + 1;
      for (const col of table.columns) {
        const v = row[col.key] ?? null;
        c.cell(
          col.x,
          col.width,
          baseline,
          s(display(v, col.kind, doc.timeZone)),
          REGULAR,
          table.size,
          col.align,
          v === null ? GRAY.muted : 0,
        );
      }
      y -= table.rowHeight;
      rowsOnPage++;
    }
  }
  if (first) {
    c = ensure(40);
    y -= 24;
    c.text(MARGIN, y, 'No rows match these filters.', REGULAR, 10, GRAY.muted);
  }
  finishPage();

  // Footers, now that the page count is known: one small extra stream per page.
  const generated = s(`Generated ${localDateTime(doc.generatedAt, doc.timeZone)} (${doc.timeZone})`);
  pages.forEach((p, i) => {
    const f = new PageContent(t);
    f.line(
      [
        [MARGIN, MARGIN + 12],
        [pageW - MARGIN, MARGIN + 12],
      ],
      0.5,
      GRAY.rule,
    );
    f.text(MARGIN, MARGIN, generated, REGULAR, 7.5, GRAY.muted);
    const label = `Page ${i + 1} of ${pages.length}`;
    f.text(pageW - MARGIN - t.width(label, REGULAR, 7.5), MARGIN, label, REGULAR, 7.5, GRAY.muted);
    p.node.addContentStream(pdf.context.register(pdf.context.flateStream(f.toString())));
  });

  return pdf.save({ useObjectStreams: true, objectsPerTick: Infinity });
}

/** Bars for counts, a line with points for scores and percentages; axes, gridlines and labels. */
function drawTrend(
  c: PageContent,
  t: StandardFontText,
  trend: NonNullable<ReportDocument['trend']>,
  x0: number,
  y0: number,
  width: number,
  height: number,
) {
  const values = trend.points.map((p) => (p.value === null || !Number.isFinite(p.value) ? null : p.value));
  const max = Math.max(0, ...values.map((v) => v ?? 0));
  const min = Math.min(0, ...values.map((v) => v ?? 0));
  const isPercent = trend.unit === '%';
  const step = isPercent && max <= 100 && min >= 0 ? 25 : niceStep(Math.max(max - min, 1));
  const top = isPercent && max <= 100 && min >= 0 ? 100 : Math.ceil(max / step) * step || step;
  const floor = Math.floor(min / step) * step;
  const tick = (v: number) => (isPercent ? `${v}%` : grouped(v, Number.isInteger(v) ? 0 : 1));
  const axisW = Math.max(...[floor, top].map((v) => t.width(tick(v), REGULAR, 7))) + 8;
  const left = x0 + axisW;
  const plotW = width - axisW;
  const labelH = 14;
  const plotBottom = y0 + labelH;
  const plotH = height - labelH - 6;
  const yOf = (v: number) => plotBottom + ((v - floor) / (top - floor)) * plotH;

  for (let v = floor; v <= top + step / 2; v += step) {
    const gy = yOf(v);
    c.line(
      [
        [left, gy],
        [left + plotW, gy],
      ],
      0.4,
      v === 0 ? 0.4 : 0.85,
    );
    const label = tick(v);
    c.text(left - 4 - t.width(label, REGULAR, 7), gy - 2.5, label, REGULAR, 7, GRAY.muted);
  }
  c.line(
    [
      [left, plotBottom],
      [left, plotBottom + plotH],
    ],
    0.6,
    0.4,
  );

  const n = values.length;
  const slot = plotW / n;
  const widest = Math.max(...trend.points.map((p) => t.width(t.sanitize(p.label), REGULAR, 7)));
  const every = Math.max(1, Math.ceil((widest + 6) / slot));
  const showValues = n <= 16;
  const points: [number, number][][] = [[]];
  values.forEach((v, i) => {
    const cx = left + slot * (i + 0.5);
    if (i % every === 0) {
      const label = t.sanitize(trend.points[i]!.label);
      c.text(cx - t.width(label, REGULAR, 7) / 2, y0 + 3, label, REGULAR, 7, GRAY.muted);
    }
    if (v === null) {
      points.push([]);
      return;
    }
    const vy = yOf(v);
    if (trend.unit === 'calls') {
      const bw = Math.max(1, slot * 0.65);
      c.colorRect(cx - bw / 2, Math.min(yOf(0), vy), bw, Math.abs(vy - yOf(0)), ACCENT);
    } else points[points.length - 1]!.push([cx, vy]);
    if (showValues) {
      const label = isPercent ? `${v.toFixed(1)}%` : grouped(v, Number.isInteger(v) ? 0 : 1);
      c.text(cx - t.width(label, REGULAR, 6.5) / 2, vy + 4, label, REGULAR, 6.5, GRAY.muted);
    }
  });
  for (const run of points) {
    c.line(run, 1.4, 0, ACCENT);
    for (const [px, py] of run) c.dot(px, py, 1.8, ACCENT);
  }
}
