/**
 * A Worker that only renders synthetic reports, for bench/report-writers.ts: the writers bundled
 * by wrangler as production bundles them, run in workerd.
 *   GET /render?format=csv|xlsx|pdf&rows=N&criteria=K -> {"ms":…,"bytes":…}
 */
import type { ReportFormat } from '../src/reports/document';
import { measureRender } from '../src/reports/synthetic';

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const format = (url.searchParams.get('format') ?? 'csv') as ReportFormat;
    const rows = Number(url.searchParams.get('rows') ?? 1000);
    const criteria = Number(url.searchParams.get('criteria') ?? 7);
    return Response.json(await measureRender(format, { rows, criteria }));
  },
};
