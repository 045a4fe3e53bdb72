import type { CellValue, ReportColumn, ReportDocument, ReportFormat } from './document';
import { renderReport } from './render';

const CRITERIA = [
  'Greeting and identification',
  'Verified the caller',
  'Active listening',
  'Empathy',
  'Accurate information',
  'Policy compliance',
  'Hold etiquette',
  'Resolution',
  'Upsell offered',
  'Recap of next steps',
  'Closing',
  'Professional tone',
  'Data protection notice',
  'Call control',
  'Documentation',
];
/** Names that test the writers: accents, a letter outside WinAnsi, an emoji, a would-be formula. */
const AGENTS = [
  'Ana Souza',
  'Zoë Ångström',
  'Łukasz Wróbel',
  'Dana 🙂 Lee',
  '=HYPERLINK("http://x.test","click")',
  'Maximilian Alexander von Hohenberg-Lichtenstein',
  'Omar Haddad',
  'Kim Nguyen',
];

export interface SyntheticOptions {
  rows: number;
  /** Criterion columns after the 8 fixed ones (so 7 gives 15 columns). */
  criteria?: number;
  chunkSize?: number;
  groupByAgent?: boolean;
}

/**
 * A call-scores-shaped report of `rows` generated rows (deterministic), produced chunk by chunk
 * as a database cursor would, for benchmarks and for looking at the output.
 */
export function syntheticReport(opts: SyntheticOptions): ReportDocument {
  const criteria = CRITERIA.slice(0, opts.criteria ?? 7);
  const chunkSize = opts.chunkSize ?? 1000;
  const columns: ReportColumn[] = [
    { key: 'call_id', header: 'Call', kind: 'text' },
    { key: 'agent', header: 'Agent', kind: 'text' },
    { key: 'team', header: 'Team', kind: 'text' },
    { key: 'started_at', header: 'Started at', kind: 'datetime' },
    { key: 'duration', header: 'Duration (s)', kind: 'integer' },
    { key: 'score', header: 'Overall score', kind: 'percent' },
    { key: 'passed', header: 'Passed', kind: 'boolean' },
    { key: 'auto_fail', header: 'Auto-fail', kind: 'boolean' },
    ...criteria.map((name, i) => ({ key: `c${i}`, header: name, kind: 'percent' as const })),
  ];
  const perAgent = Math.ceil(opts.rows / AGENTS.length);
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const start = Date.UTC(2026, 0, 1);
  async function* rows() {
    for (let from = 0; from < opts.rows; from += chunkSize) {
      const chunk: Record<string, CellValue>[] = [];
      for (let i = from; i < Math.min(opts.rows, from + chunkSize); i++) {
        // Grouped: rows ordered by agent, as the query would order them.
        const agent = opts.groupByAgent ? AGENTS[Math.floor(i / perAgent)]! : AGENTS[i % AGENTS.length]!;
        const score = Math.round(random() * 1000) / 10;
        const row: Record<string, CellValue> = {
          call_id: `CA${(100000 + i).toString(36).toUpperCase()}`,
          agent,
          team: i % 3 === 0 ? 'Support, Tier 1' : 'Billing',
          started_at: new Date(start + i * 97_000).toISOString(),
          duration: 30 + Math.floor(random() * 900),
          score,
          passed: score >= 70,
          auto_fail: random() < 0.05,
        };
        criteria.forEach((_, k) => (row[`c${k}`] = random() < 0.1 ? null : Math.round(random() * 1000) / 10));
        chunk.push(row);
      }
      yield chunk;
    }
  }
  const days = 14;
  return {
    tenantName: 'Acme Support Ltd',
    title: 'Call scores',
    generatedAt: new Date(start + 40 * 86_400_000).toISOString(),
    period: { from: '2026-01-01', to: '2026-01-31' },
    timeZone: 'America/New_York',
    filters: [
      { label: 'Team', value: 'Support, Billing' },
      { label: 'Criteria set', value: 'Inbound support v3' },
    ],
    summary: [
      { label: 'Calls', value: opts.rows.toLocaleString('en-US') },
      { label: 'Average score', value: '72.4%' },
      { label: 'Pass rate', value: '68.0%' },
      { label: 'Auto-fails', value: '5.1%' },
    ],
    trend: {
      title: 'Average score per day',
      unit: '%',
      points: Array.from({ length: days }, (_, d) => ({
        label: `01-${String(d + 1).padStart(2, '0')}`,
        value: d === 5 ? null : 60 + ((d * 37) % 30),
      })),
    },
    groupBy: opts.groupByAgent ? 'agent' : undefined,
    columns,
    rows: rows(),
  };
}

/** Renders a synthetic report and counts its bytes: what a benchmark of the writers reports. */
export async function measureRender(format: ReportFormat, opts: SyntheticOptions) {
  const started = performance.now();
  const { stream } = renderReport(syntheticReport(opts), format);
  let bytes = 0;
  for await (const chunk of stream) bytes += chunk.byteLength;
  return { format, rows: opts.rows, columns: 8 + (opts.criteria ?? 7), ms: performance.now() - started, bytes };
}
