/**
 * The API foundation under load: /health against authenticated reads, in the same run.
 *   npm run bench
 * Starts the stack on its own ports (on PGlite, and again on PostgreSQL when DATABASE_URL is
 * set), drives load on loopback with autocannon straight at workerd's socket, and writes its
 * section of bench/RESULTS.md. Absolute numbers on a laptop say little about Workers in
 * production; what holds is each endpoint's ratio to /health in the same run, and the counts:
 * database HTTP requests per API request and JWKS fetches after warm-up.
 */
import autocannon from 'autocannon';
import { startStack } from '../dev/stack.ts';
import { machine, writeSection } from './results.ts';
import { measureContextCost } from './context-cost.ts';

const DURATION_S = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const COUNTED = 500;
const ports = { api: 9787, keycloak: 19080, neon: 14445, assemblyai: 19081, openai: 19082, twilio: 19083 };

interface Row {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  dbPerRequest: number;
}

async function measure(
  databaseUrl: string | undefined,
): Promise<{ rows: Row[]; jwksAfterWarmup: number; label: string }> {
  const stack = await startStack({ ports, databaseUrl });
  const label = stack.backend.kind === 'pglite' ? 'PGlite (embedded)' : 'PostgreSQL 15 (DATABASE_URL)';
  try {
    const login = await fetch(`${stack.apiUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'manager@acme.test', password: 'dev-password', tenant_id: 'acme' }),
    });
    const { access_token: token } = (await login.json()) as { access_token: string };
    const auth = { authorization: `Bearer ${token}` };
    const targets = [
      { name: 'GET /health', path: '/health', headers: {} },
      { name: 'GET /api/users', path: '/api/users', headers: auth },
      { name: 'GET /api/organizations', path: '/api/organizations', headers: auth },
    ];

    // Warm-up: JIT, the isolate's key sets and database client.
    for (const t of targets)
      for (let i = 0; i < 20; i++) await (await fetch(stack.apiUrl + t.path, { headers: t.headers })).arrayBuffer();
    const jwksBefore = stack.keycloak.jwksFetches();

    const rows: Row[] = [];
    for (const t of targets) {
      const timed = await autocannon({
        url: stack.apiUrl + t.path,
        headers: t.headers,
        connections: CONNECTIONS,
        duration: DURATION_S,
      });
      // Counted apart from the timed run, whose last in-flight requests autocannon abandons:
      // exactly COUNTED requests, then the stand-in's request counter. The pause lets the
      // abandoned ones finish in the Worker before the counter is zeroed.
      await new Promise((r) => setTimeout(r, 1_000));
      stack.neon.resetStats();
      await autocannon({ url: stack.apiUrl + t.path, headers: t.headers, connections: CONNECTIONS, amount: COUNTED });
      const row = {
        name: t.name,
        rps: timed.requests.average,
        p50: timed.latency.p50,
        p99: timed.latency.p99,
        requests: timed.requests.total,
        non2xx: timed.non2xx + timed.errors,
        dbPerRequest: stack.neon.stats().requests / COUNTED,
      };
      rows.push(row);
      console.log(
        `[${label}] ${t.name}: ${row.rps} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms, DB requests per request ${row.dbPerRequest}`,
      );
    }
    return { rows, jwksAfterWarmup: stack.keycloak.jwksFetches() - jwksBefore, label };
  } finally {
    await stack.stop();
  }
}

const runs = [await measure(undefined)];
if (process.env.DATABASE_URL) runs.push(await measure(process.env.DATABASE_URL));
const contextCost = process.env.DATABASE_URL ? await measureContextCost(process.env.DATABASE_URL) : undefined;
if (contextCost) console.log('signed context, database side', contextCost);
const contextSection = contextCost
  ? `### The signed tenant context, database side (PostgreSQL)

${contextCost.transactions} transactions of \`select count(*) from organizations\` as \`qa_app\` over one pg connection (bench/context-cost.ts):

| opened with | µs per transaction |
|---|---:|
| signed \`set_tenant_context\` (HMAC check, nonce insert, verified reads in the policy) | ${contextCost.signedUs.toFixed(0)} |
| the role switch only, no context | ${contextCost.unsignedUs.toFixed(0)} |

The difference is what verifying the context costs inside the database; it adds no round trip.`
  : '';

const tables = runs.map(({ rows, jwksAfterWarmup, label }) => {
  const health = rows[0]!.rps;
  return `### ${label}

| endpoint | req/s | ratio to /health | p50 ms | p99 ms | requests | non-2xx | DB HTTP requests per API request (over ${COUNTED}) |
|---|---:|---:|---:|---:|---:|---:|---:|
${rows.map((r) => `| ${r.name} | ${r.rps.toFixed(0)} | ${(r.rps / health).toFixed(2)} | ${r.p50} | ${r.p99} | ${r.requests} | ${r.non2xx} | ${r.dbPerRequest.toFixed(3)} |`).join('\n')}

JWKS fetches after warm-up: **${jwksAfterWarmup}**.`;
});

await writeSection(
  'foundation',
  `## API foundation: authenticated reads against /health

Command: \`${process.env.DATABASE_URL ? 'DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres ' : ''}npm run bench\` (bench/foundation.ts), ${new Date().toISOString().slice(0, 10)}.
${DURATION_S} s per endpoint, ${CONNECTIONS} connections, autocannon on loopback straight at workerd's socket
(\`wrangler dev\`), database behind the Neon SQL-over-HTTP stand-in, tokens from the Keycloak stand-in.
Machine: ${machine()}.

${tables.join('\n\n')}

${contextSection}

Reading it: an authenticated request is JWT verification against the cached key set plus one
HTTP transaction to the database (tenant context, profile sync and the query in one batch), so
the ratio to /health is what those two cost. Load generator, workerd, the stand-ins and the
database share the same 2 cores, so absolute figures are a floor, not a forecast; on Workers and
Neon the database round trip dominates. What does not depend on the machine: exactly one database
request per API request, and no JWKS fetch once warm.`,
);
console.log('wrote bench/RESULTS.md');
