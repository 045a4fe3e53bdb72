/**
 * Analytics at two sizes in one run.
 *   DATABASE_URL=postgres://... npm run bench:analytics
 * Empties the database (PostgreSQL) and seeds, in SQL, tenant acme with 50 agents in 5 teams and
 * SIZES[0] scored calls over a year (10 criteria each: calls, evaluations, criterion results, and
 * the rollups computed from them as the writers would have); times each analytics endpoint over
 * HTTP (sequential requests, p50/p99, beside /health), counts database HTTP requests per API
 * request at the Neon stand-in; then grows the tenant to SIZES[1] calls and measures again.
 * The figure that matters is the ratio between the sizes. Writes its section of bench/RESULTS.md.
 */
import { loadavg } from 'node:os';
import pg from 'pg';
import { openBackend } from '../dev/db/backend.ts';
import { DEMO } from '../dev/db/demo-ids.ts';
import { resetDatabase } from '../dev/db/migrate.ts';
import { startStack } from '../dev/stack.ts';
import { machine, writeSection } from './results.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 100);
const MIN_REQUESTS = Math.min(REQUESTS, 5);
/** Time an endpoint may take for its requests before it stops at MIN_REQUESTS or more. */
const BUDGET_MS = 30_000;
const SIZES = (process.env.BENCH_SIZES ?? '10000,1000000').split(',').map(Number) as [number, number];
const AGENTS = 50;
const TEAMS = 5;
const CRITERIA = 10;
const HISTORY_DAYS = 365;
/** One call in this many has a human review of every criterion. */
const REVIEWED_EVERY = 10;
const ports = { api: 9847, keycloak: 19160, neon: 14505, assemblyai: 19161, openai: 19162, twilio: 19163 };

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('bench:analytics runs on PostgreSQL: set DATABASE_URL (its database is emptied)');

const reset = await openBackend({ databaseUrl });
if (reset.kind === 'postgres') await resetDatabase(reset);
await reset.close();

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const agentId = (a: number) => `00000000-0000-4000-8000-0000000b${String(a).padStart(4, '0')}`;

async function seedPeople(db: pg.Client) {
  await db.query('begin');
  await db.query('set local session_replication_role = replica');
  await db.query(
    `insert into teams (id, tenant_id, organization_id, name)
     select ('00000000-0000-4000-8000-0000000071' || lpad(t::text, 2, '0'))::uuid, 'acme', $1, 'Bench team ' || t
     from generate_series(1, $2::int) t`,
    [DEMO.acme.organization, TEAMS],
  );
  await db.query(
    `insert into users (id, tenant_id, email, first_name, last_name, role, organization_id, team_id)
     select ('00000000-0000-4000-8000-0000000b' || lpad(a::text, 4, '0'))::uuid, 'acme', 'bench-' || a || '@acme.test',
            'Bench', 'Agent ' || a, 'agent', $1,
            ('00000000-0000-4000-8000-0000000071' || lpad((a % $3::int + 1)::text, 2, '0'))::uuid
     from generate_series(1, $2::int) a`,
    [DEMO.acme.organization, AGENTS, TEAMS],
  );
  await db.query('commit');
}

/**
 * `count` more scored calls, spread over the last year: calls, evaluations, criterion results and
 * their facts, then the daily rollups rebuilt from the facts (the migration's backfill, which is
 * what the writers keep up to date one call at a time). Triggers off: bulk load as the owner.
 */
async function seedCalls(db: pg.Client, count: number) {
  await db.query('begin');
  await db.query('set local session_replication_role = replica');
  await db.query(
    `create temporary table bench_new on commit drop as
     select gen_random_uuid() as id, ('00000000-0000-4000-8000-0000000b' || lpad((1 + n % $2::int)::text, 4, '0'))::uuid as agent_id,
            now() - random() * make_interval(days => $3::int) as at, n
     from generate_series(1, $1::int) n`,
    [count, AGENTS, HISTORY_DAYS],
  );
  await db.query(
    `create temporary table bench_scores on commit drop as
     select id, agent_id, at, n, k, passed, reviewed,
            -- The human's verdict where the call is reviewed: it differs from the AI's one time in eight.
            passed <> (reviewed and (hashtext(id::text || k) & 7) = 0) as effective
     from (select c.id, c.agent_id, c.at, c.n, k, (random() < 0.6 + k * 0.03) as passed, c.n % $2::int = 0 as reviewed
           from bench_new c, generate_series(1, $1::int) k) s`,
    [CRITERIA, REVIEWED_EVERY],
  );
  await db.query(
    `insert into calls (id, tenant_id, agent_id, source, status, audio_key, started_at, created_at, status_changed_at, overall_score)
     select c.id, 'acme', c.agent_id, 'upload', 'completed', 'acme/calls/' || c.id || '/audio', c.at, c.at, c.at,
            null
     from bench_new c`,
  );
  // Scores: 8 of 10 points for a pass, 3 for a fail; the overall is their share (the effective ones).
  await db.query(
    `with o as (select id, (sum(case when effective then 8 else 3 end) * 100 / (10 * $1::int))::int as score
                from bench_scores group by id)
     update calls c set overall_score = o.score from o where c.id = o.id`,
    [CRITERIA],
  );
  await db.query(
    `insert into evaluations (id, tenant_id, call_id, run_key, criteria_snapshot, overall_score, auto_failed, results,
                              compliance, sentiment, customer_behavior, summary, model, created_at)
     select c.id, 'acme', c.id, 'pipeline', '[]', c.overall_score, c.overall_score < 40, '[]',
            case when c.overall_score < 60 then '[{"requirement": "Recording notice", "met": false, "evidence": null}]'::jsonb
                 else '[{"requirement": "Recording notice", "met": true, "evidence": null}]'::jsonb end,
            jsonb_build_object('overall', (array['positive', 'neutral', 'negative'])[1 + (hashtext(c.id::text) & 2147483647) % 3]),
            '{}', 'Seeded.', 'bench', c.created_at
     from calls c join bench_new n on n.id = c.id`,
  );
  await db.query(
    `insert into criterion_results (tenant_id, evaluation_id, call_id, agent_id, criterion_id, criterion_name, category,
                                    score, max_points, passed, scored_at, current,
                                    effective_score, effective_passed, effective_auto_failed)
     select 'acme', id, id, agent_id, 'bench-criterion-' || k, 'Criterion ' || k, 'process',
            case when passed then 8 else 3 end, 10, passed, at, true,
            case when effective then 8 else 3 end, effective, false
     from bench_scores`,
  );
  // Every tenth call reviewed by a manager, criterion by criterion: the pairs the AI agreement
  // figures count.
  await db.query(
    `insert into evaluation_reviews (id, tenant_id, evaluation_id, call_id, agent_id, overall_score, auto_failed,
                                     created_by, updated_by, created_at, updated_at)
     select c.id, 'acme', c.id, c.id, c.agent_id, c.overall_score, false, 'bench', 'bench', c.created_at, c.created_at
     from calls c join bench_new n on n.id = c.id where n.n % $1::int = 0`,
    [REVIEWED_EVERY],
  );
  await db.query(
    `insert into evaluation_review_items (tenant_id, review_id, evaluation_id, call_id, agent_id, criterion_id, max_points,
                                          score, passed, auto_failed, source, reviewed_by)
     select 'acme', id, id, id, agent_id, 'bench-criterion-' || k, 10,
            case when effective then 8 else 3 end, effective, false, 'review', 'bench'
     from bench_scores where reviewed`,
  );
  await db.query(
    `insert into analytics_call_facts (tenant_id, call_id, day, agent_id, scored, failed, score, passed, auto_failed, compliant, sentiment)
     select c.tenant_id, c.id, (c.started_at at time zone o.timezone)::date, c.agent_id, true, false, c.overall_score,
            not e.auto_failed and c.overall_score >= 70, e.auto_failed,
            not exists (select 1 from jsonb_array_elements(e.compliance) i where i ->> 'met' = 'false'), e.sentiment ->> 'overall'
     from bench_new n join calls c on c.id = n.id join evaluations e on e.id = n.id
     join organizations o on o.id = $1::uuid`,
    [DEMO.acme.organization],
  );
  await db.query(`delete from analytics_daily where tenant_id = 'acme'`);
  await db.query(`delete from analytics_daily_criteria where tenant_id = 'acme'`);
  await db.query(
    `insert into analytics_daily (tenant_id, day, agent_id, received, scored, failed, score_sum, passed, auto_failed, compliant,
                                  sentiment_positive, sentiment_neutral, sentiment_negative)
     select tenant_id, day, agent_id, count(*), count(*) filter (where scored), count(*) filter (where failed),
            coalesce(sum(score) filter (where scored), 0), count(*) filter (where passed), count(*) filter (where auto_failed),
            count(*) filter (where compliant), count(*) filter (where sentiment = 'positive'),
            count(*) filter (where sentiment = 'neutral'), count(*) filter (where sentiment = 'negative')
     from analytics_call_facts where tenant_id = 'acme' group by tenant_id, day, agent_id`,
  );
  await db.query(
    `insert into analytics_daily_criteria (tenant_id, day, agent_id, criterion_id, criterion_name, n, points, max_points, passed)
     select r.tenant_id, f.day, f.agent_id, r.criterion_id, max(r.criterion_name), count(*), sum(r.effective_score),
            sum(r.max_points), count(*) filter (where r.effective_passed)
     from criterion_results r join analytics_call_facts f on f.tenant_id = r.tenant_id and f.call_id = r.call_id
     where r.tenant_id = 'acme' and r.current
     group by r.tenant_id, f.day, f.agent_id, r.criterion_id`,
  );
  await db.query('commit');
  await db.query(
    'vacuum analyze calls, evaluations, criterion_results, analytics_call_facts, analytics_daily, analytics_daily_criteria, evaluation_reviews, evaluation_review_items',
  );
  const { rows } = await db.query<{
    calls: number;
    results: number;
    reviewed: number;
    daily: number;
    criteria: number;
    size: string;
  }>(
    `select (select count(*)::int from calls where tenant_id = 'acme') as calls,
            (select count(*)::int from evaluation_review_items where tenant_id = 'acme') as reviewed,
            (select count(*)::int from criterion_results where tenant_id = 'acme') as results,
            (select count(*)::int from analytics_daily where tenant_id = 'acme') as daily,
            (select count(*)::int from analytics_daily_criteria where tenant_id = 'acme') as criteria,
            pg_size_pretty(pg_database_size(current_database())) as size`,
  );
  return rows[0]!;
}

const admin = new pg.Client({ connectionString: databaseUrl });
const stack = await startStack({ ports, databaseUrl });
try {
  await admin.connect();
  await seedPeople(admin);
  // Tokens live 5 minutes and the large seed takes longer: a fresh one for each size.
  const managerAuth = async () => {
    const login = await fetch(`${stack.apiUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'manager@acme.test', password: 'dev-password', tenant_id: 'acme' }),
    });
    const { access_token: token } = (await login.json()) as { access_token: string };
    return { authorization: `Bearer ${token}` };
  };
  const today = new Date().toISOString().slice(0, 10);
  const daysBack = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
  const range = `from_date=${daysBack(89)}&to_date=${today}`;
  const endpoints: [string, string][] = [
    ['summary, tenant, 90 days', `/api/analytics/summary?${range}`],
    ['summary, one agent, 90 days', `/api/analytics/summary?${range}&agent_id=${agentId(1)}`],
    [
      'summary, one team, 365 days',
      `/api/analytics/summary?from_date=${daysBack(364)}&to_date=${today}&team_id=00000000-0000-4000-8000-000000007101`,
    ],
    ['trends, average_score by day, 90 days', `/api/analytics/trends?metric=average_score&period=day&${range}`],
    [
      'trends, pass_rate by week per team, 365 days',
      `/api/analytics/trends?metric=pass_rate&period=week&group_by=team&from_date=${daysBack(364)}&to_date=${today}`,
    ],
    [
      'trends, criterion by month per agent, 365 days',
      `/api/analytics/trends?metric=criterion:bench-criterion-3&period=month&group_by=agent&from_date=${daysBack(364)}&to_date=${today}`,
    ],
    ['agent-performance, month', '/api/analytics/agent-performance?period=month'],
    ['command-center metrics, quarter, by agent', '/api/command-center/metrics?period=quarter&group_by=agent'],
    ['ai-agreement by criterion, 12 weeks', '/api/analytics/ai-agreement'],
    [
      'ai-agreement by week, 365 days',
      `/api/analytics/ai-agreement?group_by=week&from_date=${daysBack(364)}&to_date=${today}`,
    ],
  ];
  const time = async (url: string, headers: Record<string, string>) => {
    const latencies: number[] = [];
    const begun = performance.now();
    // A slow endpoint gets fewer requests: at least MIN_REQUESTS, then only while within its budget.
    for (let i = 0; i < REQUESTS && (i < MIN_REQUESTS || performance.now() - begun < BUDGET_MS); i++) {
      const started = performance.now();
      const res = await fetch(url, { headers });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`${url}: ${res.status} ${body.slice(0, 300)}`);
      latencies.push(performance.now() - started);
    }
    latencies.sort((a, b) => a - b);
    return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), n: latencies.length };
  };
  type Run = {
    size: number;
    seedSeconds: number;
    counts: Awaited<ReturnType<typeof seedCalls>>;
    health: { p50: number; p99: number; n: number };
    rows: { name: string; p50: number; p99: number; db: number; n: number }[];
  };
  const runs: Run[] = [];
  let seeded = 0;
  for (const size of SIZES) {
    const started = performance.now();
    const counts = await seedCalls(admin, size - seeded);
    seeded = size;
    const seedSeconds = (performance.now() - started) / 1000;
    console.log({ size, seedSeconds, counts });
    const warm = await managerAuth();
    for (const [, path] of endpoints)
      for (let i = 0; i < 2; i++) await (await fetch(stack.apiUrl + path, { headers: warm })).arrayBuffer();
    const health = await time(`${stack.apiUrl}/health`, {});
    const rows = [];
    for (const [name, path] of endpoints) {
      // A fresh token per endpoint: a slow one's requests may outlast a token's 5 minutes.
      const auth = await managerAuth();
      stack.neon.resetStats();
      const t = await time(stack.apiUrl + path, auth);
      rows.push({ name, ...t, db: stack.neon.stats().requests / t.n });
      console.log(name, t);
    }
    runs.push({ size, seedSeconds, counts, health, rows });
  }
  const [small, large] = runs as [Run, Run];
  const fmt = (n: number) => n.toLocaleString('en');
  await writeSection(
    'analytics',
    `## Analytics: the same dashboards at ${fmt(small.size)} and ${fmt(large.size)} scored calls

Command: \`DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> npm run bench:analytics\` (bench/analytics.ts), ${today}.
PostgreSQL behind the Neon stand-in, Worker under \`wrangler dev\`. Machine: ${machine()}.
Load average (1/5/15 min) at the end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ')} (other work shares the 2 cores, so absolute times are noisy).

Seeded in SQL, tenant acme: ${AGENTS} agents in ${TEAMS} teams, calls spread over ${HISTORY_DAYS} days, ${CRITERIA} criteria each; calls,
evaluations, criterion results and the rollups built from them; one call in ${REVIEWED_EVERY} reviewed on every criterion (the
human disagreeing on one verdict in eight), the pairs the AI agreement figures count.

| size | calls | criterion results | reviewed criteria | analytics_daily rows | analytics_daily_criteria rows | seed time | database size |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${runs.map((r) => `| ${fmt(r.size)} | ${fmt(r.counts.calls)} | ${fmt(r.counts.results)} | ${fmt(r.counts.reviewed)} | ${fmt(r.counts.daily)} | ${fmt(r.counts.criteria)} | ${r.seedSeconds.toFixed(0)} s | ${r.counts.size} |`).join('\n')}

${REQUESTS} sequential requests each (an endpoint still running after ${BUDGET_MS / 1000} s stops at ${MIN_REQUESTS} or more: n @ large),
manager token. DB = database HTTP requests per API request (at the Neon stand-in).

| endpoint | p50 @ ${fmt(small.size)} | p99 | p50 @ ${fmt(large.size)} | p99 | **p50 ratio** | DB | n @ large |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
| \`GET /health\` (same runs) | ${small.health.p50.toFixed(1)} ms | ${small.health.p99.toFixed(1)} ms | ${large.health.p50.toFixed(1)} ms | ${large.health.p99.toFixed(1)} ms | ${(large.health.p50 / small.health.p50).toFixed(2)} | 0 | ${large.health.n} |
${small.rows
  .map((s, i) => {
    const l = large.rows[i]!;
    return `| ${s.name} | ${s.p50.toFixed(1)} ms | ${s.p99.toFixed(1)} ms | ${l.p50.toFixed(1)} ms | ${l.p99.toFixed(1)} ms | **${(l.p50 / s.p50).toFixed(2)}** | ${l.db.toFixed(2)} | ${l.n} |`;
  })
  .join('\n')}

The dashboards read only the rollups: at most days × agents rows of \`analytics_daily\` (and × criteria of
\`analytics_daily_criteria\`) through their primary keys (tenant, day, agent[, criterion]) or the (tenant, agent, day)
indexes. Once every agent has a row for every day (about 50 × 365 rows here), more calls add no rows to read: from
${fmt(small.size)} to ${fmt(large.size)} calls (×${(large.size / small.size).toFixed(0)}) the daily rollup grew ×${(large.counts.daily / small.counts.daily).toFixed(1)} (not every agent had a call every day at the
small size), and the slowest ratios above follow that, not the calls.

The AI agreement reads the review items of the range (no rollup holds them): one statement counts
them by value per criterion, scale and week, and the statistics run over those counts. Its time
follows the reviewed criteria in the range (${fmt(large.counts.reviewed)} reviewed criteria in all at the large size), not
the calls.`,
  );
} finally {
  await admin.end().catch(() => undefined);
  await stack.stop();
}
