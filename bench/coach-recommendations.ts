/**
 * AI coach recommendations for an agent with a long history.
 *   DATABASE_URL=postgres://... npm run bench:coach
 * Empties the database (PostgreSQL) and seeds, in SQL, tenant acme with one agent of 10,000
 * scored calls (10 criteria: 100,000 current criterion results, plus retired earlier scorings)
 * and 19 other agents in 4 teams; then times GET /api/ai-coach/recommendations/{agent} over HTTP
 * (sequential requests, p50/p99, beside /health in the same run), counts database HTTP requests
 * per API request at the Neon stand-in, and records the statement's EXPLAIN (ANALYZE, BUFFERS) as
 * the runtime role in a manager's signed context. Writes its section of bench/RESULTS.md.
 */
import { PgDialect } from 'drizzle-orm/pg-core';
import { loadavg } from 'node:os';
import pg from 'pg';
import { DEMO } from '../dev/db/demo-ids.ts';
import { openBackend } from '../dev/db/backend.ts';
import { resetDatabase } from '../dev/db/migrate.ts';
import { DEV_SECRETS } from '../dev/dev-secrets.ts';
import { startStack } from '../dev/stack.ts';
import { signContext } from '../src/db/signed-context.ts';
import { skillGaps } from '../src/db/statements/skill-gaps.ts';
import type { QueryBuilder } from '../src/db/tenant-db.ts';
import { machine, writeSection } from './results.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300);
const AGENT_CALLS = 10_000;
const OTHER_AGENTS = 19;
const OTHER_CALLS = 500;
const RETIRED_CALLS = 1_000; // of the agent's calls, re-analysed: one earlier scoring each, not current
const HISTORY_DAYS = 180;
// Another tenant in the same table, as in production: the table is never one tenant's alone.
const NOISE_AGENTS = 30;
const NOISE_CALLS = 1_000;
const ports = { api: 9827, keycloak: 19140, neon: 14485, assemblyai: 19141, openai: 19142, twilio: 19143 };

const AGENT = '00000000-0000-4000-8000-00000000c0a1';
const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('bench:coach runs on PostgreSQL: set DATABASE_URL (its database is emptied)');

const reset = await openBackend({ databaseUrl });
if (reset.kind === 'postgres') await resetDatabase(reset);
await reset.close();

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Teams, agents, calls, evaluations (with evidence) and criterion results, all in SQL. */
async function seed(db: pg.Client) {
  await db.query('begin');
  // Bulk load as the owner: the audit triggers would record every seeded row one by one.
  await db.query('set local session_replication_role = replica');
  await db.query(
    `insert into teams (id, tenant_id, organization_id, name)
     select ('00000000-0000-4000-8000-0000000070' || lpad(t::text, 2, '0'))::uuid, 'acme', $1, 'Bench team ' || t
     from generate_series(1, 4) t`,
    [DEMO.acme.organization],
  );
  // Agent 0 is the one measured; agents 1..19 spread over the 4 teams (agent 0 in team 1).
  await db.query(
    `insert into users (id, tenant_id, email, first_name, last_name, role, team_id)
     select case when a = 0 then $1::uuid else ('00000000-0000-4000-8000-0000000a' || lpad(a::text, 4, '0'))::uuid end,
            'acme', 'bench-agent-' || a || '@acme.test', 'Bench', 'Agent ' || a, 'agent',
            ('00000000-0000-4000-8000-0000000070' || lpad((a % 4 + 1)::text, 2, '0'))::uuid
     from generate_series(0, $2::int) a`,
    [AGENT, OTHER_AGENTS],
  );
  // One row per call: its agent and when it was scored; agent 0 has AGENT_CALLS, the others OTHER_CALLS.
  await db.query(
    `create temporary table bench_calls on commit drop as
     select gen_random_uuid() as call_id, gen_random_uuid() as evaluation_id, gen_random_uuid() as retired_id,
            a.id as agent_id, now() - random() * make_interval(days => $3::int) as scored_at, n
     from (select $1::uuid as id, $4::int as calls
           union all
           select ('00000000-0000-4000-8000-0000000a' || lpad(a::text, 4, '0'))::uuid, $5::int
           from generate_series(1, $2::int) a) a,
          generate_series(1, a.calls) n`,
    [AGENT, OTHER_AGENTS, HISTORY_DAYS, AGENT_CALLS, OTHER_CALLS],
  );
  // Ten criteria in three categories; the pass rate differs per criterion (and per agent) so some are gaps.
  await db.query(
    `create temporary table bench_results on commit drop as
     select c.call_id, c.evaluation_id, c.retired_id, c.agent_id, c.scored_at, c.n,
            'bench-criterion-' || k as criterion_id, 'Criterion ' || k as criterion_name,
            (array['soft_skills', 'compliance', 'process'])[k % 3 + 1] as category, 10 as max_points,
            p.passed, case when p.passed then 7 + floor(random() * 4)::int else floor(random() * 6)::int end as score
     from bench_calls c, generate_series(1, 10) k,
          lateral (select random() < (0.55 + k * 0.04 + case when c.agent_id = $1::uuid then -0.1 else 0 end) as passed) p`,
    [AGENT],
  );
  await db.query(
    `insert into calls (id, tenant_id, agent_id, source, status, audio_key, created_at, status_changed_at)
     select call_id, 'acme', agent_id, 'upload', 'completed', 'acme/calls/' || call_id || '/audio', scored_at, scored_at
     from bench_calls`,
  );
  const evaluation = (id: string, at: string) => `
     insert into evaluations (id, tenant_id, call_id, run_key, criteria_snapshot, overall_score, auto_failed, results,
                              compliance, sentiment, customer_behavior, summary, model, created_at)
     select r.${id}, 'acme', r.call_id, ${at}, '[]', sum(r.score)::int, false,
            jsonb_agg(jsonb_build_object('criterion_id', r.criterion_id, 'name', r.criterion_name, 'score', r.score,
              'passed', r.passed, 'reasoning', 'Seeded for the benchmark.',
              'evidence', case when r.passed then '[]'::jsonb
                          else jsonb_build_array(jsonb_build_object('quote', 'Quote ' || r.n || ' on ' || r.criterion_name,
                                                                    'start_seconds', r.n % 300)) end)),
            '[]', '{}', '{}', 'Seeded.', 'bench', min(r.scored_at)
     from bench_results r`;
  await db.query(`${evaluation('evaluation_id', "'pipeline'")} group by r.evaluation_id, r.call_id`);
  await db.query(
    `${evaluation('retired_id', "'reanalysis-bench'")} where r.agent_id = $1::uuid and r.n <= $2::int group by r.retired_id, r.call_id`,
    [AGENT, RETIRED_CALLS],
  );
  await db.query(
    `insert into criterion_results (tenant_id, evaluation_id, call_id, agent_id, criterion_id, criterion_name, category,
                                    score, max_points, passed, scored_at, current)
     select 'acme', evaluation_id, call_id, agent_id, criterion_id, criterion_name, category, score, max_points, passed, scored_at, true
     from bench_results
     union all
     select 'acme', retired_id, call_id, agent_id, criterion_id, criterion_name, category, 0, max_points, false,
            scored_at - interval '1 hour', false
     from bench_results where agent_id = $1::uuid and n <= $2::int`,
    [AGENT, RETIRED_CALLS],
  );
  await db.query(
    `with a as (
       insert into users (id, tenant_id, email, first_name, last_name, role)
       select gen_random_uuid(), 'globex', 'bench-noise-' || a || '@globex.test', 'Noise', 'Agent ' || a, 'agent'
       from generate_series(1, $1::int) a
       returning id),
     c as (
       select gen_random_uuid() as call_id, gen_random_uuid() as evaluation_id, a.id as agent_id,
              now() - random() * make_interval(days => $3::int) as scored_at
       from a, generate_series(1, $2::int)),
     calls_in as (
       insert into calls (id, tenant_id, agent_id, source, status, audio_key)
       select call_id, 'globex', agent_id, 'upload', 'completed', 'globex/calls/' || call_id || '/audio' from c),
     evals_in as (
       insert into evaluations (id, tenant_id, call_id, run_key, criteria_snapshot, overall_score, auto_failed, results,
                                compliance, sentiment, customer_behavior, summary, model)
       select evaluation_id, 'globex', call_id, 'pipeline', '[]', 80, false, '[]', '[]', '{}', '{}', 'Seeded.', 'bench' from c)
     insert into criterion_results (tenant_id, evaluation_id, call_id, agent_id, criterion_id, criterion_name, category,
                                    score, max_points, passed, scored_at)
     select 'globex', c.evaluation_id, c.call_id, c.agent_id, 'bench-criterion-' || k, 'Criterion ' || k, 'process',
            8, 10, true, c.scored_at
     from c, generate_series(1, 10) k`,
    [NOISE_AGENTS, NOISE_CALLS, HISTORY_DAYS],
  );
  // Courses: twenty published (each training one or two criteria or a category), five drafts;
  // the agent has completed two of them and has one open.
  await db.query(
    `insert into coach_courses (id, tenant_id, title, category, difficulty, skills_covered, status)
     select ('00000000-0000-4000-8000-0000000c' || lpad(i::text, 4, '0'))::uuid, 'acme', 'Bench course ' || i, 'coaching',
            'beginner',
            case when i % 5 = 0 then array[(array['soft_skills', 'compliance', 'process'])[i % 3 + 1]]
                 else array['bench-criterion-' || (i % 10 + 1), 'bench-criterion-' || ((i + 3) % 10 + 1)] end,
            case when i > 20 then 'draft' else 'published' end
     from generate_series(1, 25) i`,
  );
  await db.query(
    `insert into coach_assignments (tenant_id, course_id, course_version, agent_id, status, completed_at)
     select 'acme', ('00000000-0000-4000-8000-0000000c' || lpad(i::text, 4, '0'))::uuid, 1, $1::uuid,
            case when i = 3 then 'assigned' else 'completed' end, case when i = 3 then null else now() end
     from unnest(array[1, 2, 3]) i`,
    [AGENT],
  );
  await db.query('commit');
  await db.query('vacuum analyze criterion_results, evaluations, calls, users, coach_courses, coach_assignments');
  const counts = await db.query<{
    agent: number;
    tenant: number;
    current: number;
    retired: number;
    calls: number;
    table: number;
  }>(
    `select count(*) filter (where agent_id = $1 and current)::int as agent, count(*) filter (where current)::int as current,
            count(*) filter (where not current)::int as retired, count(*)::int as tenant,
            (select count(*)::int from calls where tenant_id = 'acme') as calls,
            (select count(*)::int from criterion_results) as "table"
     from criterion_results where tenant_id = 'acme'`,
    [AGENT],
  );
  return counts.rows[0]!;
}

/** The statement exactly as the service builds it, as text and parameters. */
function statementText(windowDays: number) {
  let built: unknown;
  const capture = { execute: (s: unknown) => (built = s) } as unknown as QueryBuilder;
  skillGaps(capture, { tenantId: 'acme', agentId: AGENT, windowDays, withCourses: true });
  return new PgDialect().sqlToQuery(built as Parameters<PgDialect['sqlToQuery']>[0]);
}

/** EXPLAIN (ANALYZE, BUFFERS) and a direct timing, as qa_app in a manager's signed context. */
async function explainAndTime(windowDays: number) {
  const url = new URL(databaseUrl!);
  url.username = 'qa_app';
  url.password = '';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  const { sql: text, params } = statementText(windowDays);
  const inContext = async <T>(fn: () => Promise<T>) => {
    const claims = { tenantId: 'acme', actorId: 'bench', role: 'manager', requestId: 'bench' };
    await client.query('begin');
    await client.query(
      'select set_tenant_context($1, $2, $3, $4, $5, $6::uuid, $7, $8)',
      await signContext(DEV_SECRETS.DATABASE_CONTEXT_KEY, claims),
    );
    try {
      return await fn();
    } finally {
      await client.query('rollback');
    }
  };
  try {
    const plan = await inContext(() =>
      client.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers, costs off) ${text}`, params),
    );
    const times: number[] = [];
    for (let i = 0; i < 50; i++) {
      await inContext(async () => {
        const started = performance.now();
        await client.query(text, params);
        times.push(performance.now() - started);
      });
    }
    times.sort((a, b) => a - b);
    return { plan: plan.rows.map((r) => r['QUERY PLAN']), p50: percentile(times, 50), p99: percentile(times, 99) };
  } finally {
    await client.end();
  }
}

const admin = new pg.Client({ connectionString: databaseUrl });
const stack = await startStack({ ports, databaseUrl });
try {
  await admin.connect();
  const seedStarted = performance.now();
  const counts = await seed(admin);
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  console.log({ counts, seedSeconds });

  const login = await fetch(`${stack.apiUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'manager@acme.test', password: 'dev-password', tenant_id: 'acme' }),
  });
  const { access_token: token } = (await login.json()) as { access_token: string };
  const auth = { authorization: `Bearer ${token}` };
  const path = `/api/ai-coach/recommendations/${AGENT}`;

  const time = async (url: string, headers: Record<string, string>) => {
    const latencies: number[] = [];
    let last: unknown;
    for (let i = 0; i < REQUESTS; i++) {
      const started = performance.now();
      const res = await fetch(url, { headers });
      last = await res.json();
      if (res.status !== 200) throw new Error(`${url}: ${res.status} ${JSON.stringify(last)}`);
      latencies.push(performance.now() - started);
    }
    latencies.sort((a, b) => a - b);
    return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), last };
  };
  for (let i = 0; i < 20; i++) await (await fetch(stack.apiUrl + path, { headers: auth })).arrayBuffer();
  const health = await time(`${stack.apiUrl}/health`, {});
  stack.neon.resetStats();
  const recs = await time(stack.apiUrl + path, auth);
  const dbPerRequest = stack.neon.stats().requests / REQUESTS;
  const body = recs.last as {
    skill_gaps: { criterion_id: string; agent_pct: number; tenant_pct: number; evaluations: number; is_gap: boolean }[];
    recommended_courses: unknown[];
    improvement_areas: unknown[];
  };
  const direct = await explainAndTime(90);

  console.log({
    health: { p50: health.p50, p99: health.p99 },
    recs: { p50: recs.p50, p99: recs.p99 },
    dbPerRequest,
    direct: { p50: direct.p50, p99: direct.p99 },
  });
  console.log(direct.plan.join('\n'));
  const seqScans = direct.plan.filter((l) => /Seq Scan on criterion_results/.test(l)).length;

  const evaluationsInWindow = body.skill_gaps.reduce((n, g) => n + g.evaluations, 0);
  await writeSection(
    'coach',
    `## AI coach recommendations: an agent with ${AGENT_CALLS.toLocaleString('en')} scored calls

Command: \`DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> npm run bench:coach\` (bench/coach-recommendations.ts), ${new Date().toISOString().slice(0, 10)}.
PostgreSQL 15 behind the Neon stand-in, Worker under \`wrangler dev\`. Machine: ${machine()}.
Load average (1/5/15 min) at the end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ')} (other work shares the 2 cores, so absolute times are noisy).

Seeded in SQL (${seedSeconds.toFixed(0)} s): tenant acme with the agent's ${AGENT_CALLS.toLocaleString('en')} calls scored on 10 criteria over
${HISTORY_DAYS} days (**${counts.agent.toLocaleString('en')} current criterion results**; ${RETIRED_CALLS.toLocaleString('en')} of the calls re-analysed, their
earlier scorings kept as non-current rows), ${OTHER_AGENTS} other agents in 4 teams with ${OTHER_CALLS} calls each: ${counts.tenant.toLocaleString('en')}
criterion results in the tenant (${counts.current.toLocaleString('en')} current, ${counts.retired.toLocaleString('en')} retired), ${counts.calls.toLocaleString('en')} calls.
Tenant globex adds ${(NOISE_AGENTS * NOISE_CALLS * 10).toLocaleString('en')} results, so the table (${counts.table.toLocaleString('en')} rows) is not one tenant's alone.
25 courses (5 drafts), 2 completed by the agent, 1 open. Default window (90 days): ${evaluationsInWindow.toLocaleString('en')} of the agent's
results; ${body.skill_gaps.filter((g) => g.is_gap).length} of 10 criteria are gaps, ${body.recommended_courses.length} courses recommended, ${body.improvement_areas.length} improvement areas.

| ${REQUESTS} sequential requests, manager token | p50 | p99 |
| --- | ---: | ---: |
| \`GET /health\` (same run, for the ratio) | ${health.p50.toFixed(1)} ms | ${health.p99.toFixed(1)} ms |
| **\`GET /api/ai-coach/recommendations/{agent_id}\`** | **${recs.p50.toFixed(1)} ms** | **${recs.p99.toFixed(1)} ms** |
| the statement alone, as qa_app over pg (50 transactions, signed context included) | ${direct.p50.toFixed(1)} ms | ${direct.p99.toFixed(1)} ms |

**Database HTTP requests per API request: ${dbPerRequest.toFixed(2)}** (counted at the Neon stand-in over the ${REQUESTS} requests: the
signed context, the profile sync and the one statement travel as one batch). Sequential scans of criterion_results
in the plan: ${seqScans}.

What the work is: the agent's ${evaluationsInWindow.toLocaleString('en')} results in the window are aggregated from one index range, every
other user's from one range each of \`criterion_results_agent\` (tenant, agent, criterion, scored_at desc, current only,
covering score, max_points and passed, so the ranges are index-only scans), evidence reads 3 rows per criterion in
index order, and the courses come from \`coach_courses_tenant_status\`. The cost grows with the results in the window
(the agent's and the tenant's), not with the history.

<details><summary>EXPLAIN (ANALYZE, BUFFERS, COSTS OFF), the schema's indexes, as the runtime role in a manager's context</summary>

\`\`\`
${direct.plan.join('\n')}
\`\`\`
</details>`,
  );
} finally {
  await admin.end().catch(() => undefined);
  await stack.stop();
}
