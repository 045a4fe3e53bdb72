/**
 * The format-neutral report every writer takes: the title block, the summary, an optional trend
 * and the detail rows, which arrive in chunks pulled lazily from the database so that no writer
 * needs the whole report in memory.
 */
export type CellValue = string | number | boolean | null;

export interface ReportColumn {
  key: string;
  header: string;
  kind: 'text' | 'integer' | 'number' | 'percent' | 'datetime' | 'boolean';
}
// percent values are 0..100 numbers; datetime values are ISO strings; number may be fractional.

export interface ReportDocument {
  tenantName: string;
  /** e.g. "Call scores" */
  title: string;
  /** ISO timestamp */
  generatedAt: string;
  /** YYYY-MM-DD, inclusive */
  period: { from: string; to: string };
  /** IANA; datetimes are shown in it (PDF, XLSX) */
  timeZone: string;
  /** human-readable, e.g. {label:'Team', value:'Support'} */
  filters: { label: string; value: string }[];
  /** the summary table (already formatted strings) */
  summary: { label: string; value: string }[];
  trend?: { title: string; unit: '%' | 'points' | 'calls'; points: { label: string; value: number | null }[] };
  /**
   * The PDF's detail table may be split per group (e.g. per agent) with a page break before each
   * group; CSV/XLSX ignore groupBy. Rows must arrive ordered by this column.
   */
  groupBy?: string;
  columns: ReportColumn[];
  /** chunks pulled lazily from the database; may be 100,000+ rows */
  rows: AsyncIterable<Record<string, CellValue>[]>;
}

export type ReportFormat = 'csv' | 'xlsx' | 'pdf';
