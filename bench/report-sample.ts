/**
 * Writes a synthetic report in each format to a folder, to open or to render:
 *   npx tsx bench/report-sample.ts [out-dir] [rows] [criteria]
 *   pdftoppm -png -r 60 -f 1 -l 2 out/report.pdf out/page
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderReport } from '../src/reports/render.ts';
import { syntheticReport } from '../src/reports/synthetic.ts';

const [dir = '.data/report-sample', rows = '300', criteria = '12'] = process.argv.slice(2);
mkdirSync(dir, { recursive: true });
for (const format of ['pdf', 'xlsx', 'csv'] as const) {
  const started = performance.now();
  const doc = syntheticReport({ rows: Number(rows), criteria: Number(criteria), groupByAgent: true });
  const { stream, extension } = renderReport(doc, format);
  const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  const file = join(dir, `report.${extension}`);
  writeFileSync(file, bytes);
  console.log(`${file}: ${bytes.byteLength} bytes in ${Math.round(performance.now() - started)} ms`);
}
