/**
 * The report writers on their own, in workerd as wrangler bundles them:
 *   npx tsx bench/report-writers.ts [rows=100000] [criteria=7]
 * For each format a fresh `wrangler dev` of bench/report-writers-worker.ts renders a synthetic
 * call-scores report (8 fixed columns + `criteria` criterion columns) and counts its bytes. The
 * time is measured inside the Worker; the memory is the Worker's workerd process's peak resident
 * set (VmHWM), which includes the runtime and garbage V8 has not collected yet (no memory
 * pressure on this machine), so it is an upper bound; its resident set after a 100-row render is
 * given beside it. Then the same render runs in Node under a 64 MiB old-space cap
 * (bench/report-writers-heap.ts), which shows what the JavaScript itself keeps alive: the V8 heap
 * plus ArrayBuffers at their peak, beside the same figure for 100 rows (Node, tsx and the
 * libraries loaded). Prints a markdown table.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { ROOT } from '../dev/stack.ts';
import { machine, writeSection } from './results.ts';

const ROWS = Number(process.argv[2] ?? 100_000);
const CRITERIA = Number(process.argv[3] ?? 7);
const PORT = 9861;

const mib = (kb: number) => `${(kb / 1024).toFixed(0)} MiB`;

/** The workerd processes under `pid`. */
function workerdUnder(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) {
        const child = Number(entry);
        if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'workerd') found.push(child);
        found.push(...workerdUnder(child));
      }
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

function memoryKb(pid: number) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

async function measure(format: string) {
  const wrangler = spawn(
    `${ROOT}node_modules/.bin/wrangler`,
    ['dev', '--config', 'bench/report-writers.wrangler.toml', '--port', String(PORT), '--ip', '127.0.0.1'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      wrangler.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('Ready on') && resolve());
      wrangler.stderr!.resume();
      wrangler.once('exit', (code) => reject(new Error(`wrangler dev exited with ${code}`)));
    });
    const render = async (rows: number) => {
      const res = await fetch(`http://127.0.0.1:${PORT}/render?format=${format}&rows=${rows}&criteria=${CRITERIA}`);
      if (!res.ok) throw new Error(`${format} ${rows}: ${res.status} ${await res.text()}`);
      return (await res.json()) as { ms: number; bytes: number };
    };
    await render(100);
    // wrangler runs two workerd processes (its proxy and the Worker); the Worker's is the one
    // whose memory moves with the render.
    const processes = workerdUnder(wrangler.pid!);
    if (!processes.length) throw new Error('no workerd process under wrangler');
    const before = new Map(processes.map((pid) => [pid, memoryKb(pid).rss]));
    const result = await render(ROWS);
    const after = processes.map((pid) => ({ pid, ...memoryKb(pid), growth: memoryKb(pid).peak - before.get(pid)! }));
    const worker = after.reduce((a, b) => (b.growth > a.growth ? b : a));
    return { format, ...result, baseline: before.get(worker.pid)!, peak: worker.peak };
  } finally {
    wrangler.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 1000));
  }
}

const HEAP_CAP_MIB = 64;
/** Peak V8 heap + ArrayBuffers of one render in Node under the cap, or null if it ran out. */
function heapPeak(format: string, rows: number): number | null {
  try {
    const out = execFileSync(
      process.execPath,
      [
        '--conditions=browser',
        `--max-old-space-size=${HEAP_CAP_MIB}`,
        '--import',
        'tsx',
        'bench/report-writers-heap.ts',
        format,
        String(rows),
        String(CRITERIA),
      ],
      { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
    return (JSON.parse(out.trim().split('\n').at(-1)!) as { peakMiB: number }).peakMiB;
  } catch {
    return null;
  }
}

const results = [];
for (const format of ['csv', 'xlsx', 'pdf']) {
  const workerd = await measure(format);
  results.push({ ...workerd, heap: heapPeak(format, ROWS), heapBase: heapPeak(format, 100) });
  console.error(JSON.stringify(results.at(-1)));
}
const heap = (v: number | null) => (v === null ? `over ${HEAP_CAP_MIB} MiB` : `${v.toFixed(0)} MiB`);
const table = [
  `| format | time | size | workerd peak RSS | workerd RSS before (100 rows) | Node heap + buffers, peak (cap ${HEAP_CAP_MIB} MiB) | same, 100 rows |`,
  '|---|---|---|---|---|---|---|',
  ...results.map(
    (r) =>
      `| ${r.format} | ${(r.ms / 1000).toFixed(1)} s | ${(r.bytes / 1024 / 1024).toFixed(1)} MiB | ${mib(r.peak)} | ${mib(r.baseline)} | ${heap(r.heap)} | ${heap(r.heapBase)} |`,
  ),
].join('\n');
const markdown = `## Reports: ${ROWS.toLocaleString('en-US')}-row files per format

Command: \`npm run bench:reports\` (bench/report-writers.ts; arguments: rows, criteria), ${new Date().toISOString().slice(0, 10)}.
Machine: ${machine()}. A synthetic call-scores report of ${ROWS.toLocaleString('en-US')} rows x ${8 + CRITERIA} columns rendered
by the product's writers in workerd (\`wrangler dev\` of bench/report-writers-worker.ts), the CSV and XLSX streamed
as the R2 upload consumes them. The time is measured inside the Worker and excludes the database reads (the
report step reads 2,000 rows per round trip). workerd exposes no per-isolate heap figure: "workerd peak RSS" is
the Worker process's peak resident set (runtime and uncollected garbage included: an upper bound); the Node
columns run the same code under a ${HEAP_CAP_MIB} MiB old-space cap and report what the JavaScript keeps alive.

${table}
`;
console.log(markdown);
await writeSection('reports', markdown);
