/**
 * The PDF report as a reader gets it: rendered by the product's writer, its text extracted with
 * poppler's `pdftotext` (Debian's poppler-utils; .ci/run installs it), and every part of the
 * document found in it: the title block, the summary, the trend's title, the table's headers on
 * every page, each row, and the page numbers.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ReportDocument } from '../../src/reports/document';
import { pdfBytes } from '../../src/reports/pdf';

const ROWS = 120;

function document(): ReportDocument {
  const rows = Array.from({ length: ROWS }, (_, i) => ({
    call_id: `call-${String(i).padStart(4, '0')}`,
    agent: i % 2 ? 'Zoë Ångström' : 'Nia Adeyemi',
    score: 50 + (i % 50),
    passed: i % 3 !== 0,
  }));
  return {
    tenantName: 'Acme Support Ltd',
    title: 'Call scores',
    generatedAt: '2026-11-30T12:00:00.000Z',
    period: { from: '2026-11-01', to: '2026-11-30' },
    timeZone: 'America/New_York',
    filters: [{ label: 'Team', value: 'Team East' }],
    summary: [
      { label: 'Calls scored', value: String(ROWS) },
      { label: 'Average score', value: '74.5' },
    ],
    trend: {
      title: 'Average score per day',
      unit: 'points',
      points: [
        { label: '2026-11-01', value: 70 },
        { label: '2026-11-02', value: null },
        { label: '2026-11-03', value: 80 },
      ],
    },
    columns: [
      { key: 'call_id', header: 'Call', kind: 'text' },
      { key: 'agent', header: 'Agent', kind: 'text' },
      { key: 'score', header: 'Score', kind: 'integer' },
      { key: 'passed', header: 'Passed', kind: 'boolean' },
    ],
    rows: (async function* () {
      for (let i = 0; i < rows.length; i += 50) yield rows.slice(i, i + 50);
    })(),
  };
}

describe('the PDF report, read back with pdftotext', () => {
  it('holds the title block, summary, trend, every row, repeated headers and page numbers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'report-pdf-'));
    const file = join(dir, 'report.pdf');
    writeFileSync(file, await pdfBytes(document()));
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    const pages = text.split('\f').filter((p) => p.trim());
    for (const expected of [
      'Call scores',
      'Acme Support Ltd',
      '2026-11-01 to 2026-11-30',
      'America/New_York',
      'Team East',
      'Calls scored',
      'Average score per day',
    ])
      expect(text, expected).toContain(expected);
    expect(text).toMatch(/Average score\s+74\.5/);
    for (let i = 0; i < ROWS; i++) expect(text).toContain(`call-${String(i).padStart(4, '0')}`);
    expect(text, 'non-ASCII names survive').toContain('Zoë Ångström');
    expect(pages.length).toBeGreaterThan(2);
    pages.forEach((page, i) => expect(page, `page ${i + 1}`).toContain(`Page ${i + 1} of ${pages.length}`));
    // Every page after the first that lists rows repeats the table's header.
    for (const page of pages.slice(1).filter((p) => p.includes('call-')))
      expect(page).toMatch(/Call\s+Agent\s+Score\s+Passed/);
  });
});
