/**
 * One render in Node with the same JavaScript workerd runs (`--conditions=browser` picks the
 * libraries' browser builds, and Node has CompressionStream as workerd does), printing the peak
 * of the V8 heap plus ArrayBuffers as JSON. Run by bench/report-writers.ts under a capped heap:
 *   node --conditions=browser --max-old-space-size=64 --import tsx bench/report-writers-heap.ts pdf 100000
 */
import type { ReportFormat } from '../src/reports/document.ts';
import { renderReport } from '../src/reports/render.ts';
import { syntheticReport } from '../src/reports/synthetic.ts';

const [format = 'csv', rows = '100000', criteria = '7'] = process.argv.slice(2);
let peak = 0;
const sample = () => {
  const m = process.memoryUsage();
  peak = Math.max(peak, m.heapUsed + m.arrayBuffers);
};
const timer = setInterval(sample, 5);
const reader = renderReport(
  syntheticReport({ rows: Number(rows), criteria: Number(criteria) }),
  format as ReportFormat,
).stream.getReader();
let bytes = 0;
for (;;) {
  const { done, value } = await reader.read();
  if (done) break;
  bytes += value.byteLength;
  sample();
}
clearInterval(timer);
console.log(JSON.stringify({ format, rows: Number(rows), bytes, peakMiB: peak / 1024 / 1024 }));
