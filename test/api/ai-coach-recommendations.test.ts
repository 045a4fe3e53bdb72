/**
 * AI coach recommendations: an agent's skill gaps from its current criterion results, beside its
 * team and tenant, the courses that train them and quotes from its own calls. The figures below
 * are worked out by hand from the rows seeded here.
 */
import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEMO } from '../../dev/db/demo-ids';
import { as, asTenant, expectProblem, IDS, json } from './helpers';

const run = crypto.randomUUID().slice(0, 8);
const SYSTEM = ['system:pipeline', 'system'] as const;

// Criterion ids and categories unique to this run, so results other tests score do not mix in.
const GREET = `rc-${run}-greeting`;
const VERIFY = `rc-${run}-verify`;
const CLOSE = `rc-${run}-closing`;
const SELF = `rc-${run}-self`;
const SOFT = `rc-${run}-soft`;
const COMPLIANCE = `rc-${run}-compliance`;

const agentA = crypto.randomUUID(); // the agent under test, in team T
const mateB = crypto.randomUUID(); // A's teammate
const otherC = crypto.randomUUID(); // another agent of the tenant, no team
const idleD = crypto.randomUUID(); // an agent with no scored calls
const acmeAgent = IDS['agent@acme.test']!;
const acmeManager = IDS['manager@acme.test']!;

interface Result {
  agent: string;
  criterion: string;
  category: string;
  score: number;
  max: number;
  passed: boolean;
  daysAgo: number;
  quotes?: { quote: string; start_seconds: number }[];
  current?: boolean;
}

const r = (
  agent: string,
  criterion: string,
  score: number,
  max: number,
  passed: boolean,
  daysAgo: number,
  extra: Partial<Result> = {},
): Result => ({
  agent,
  criterion,
  category: criterion === VERIFY ? COMPLIANCE : SOFT,
  score,
  max,
  passed,
  daysAgo,
  ...extra,
});

/** One call, one evaluation and one criterion result per row, written as the pipeline writes them. */
async function seed(rows: Result[]) {
  const data = rows.map((x) => ({
    call_id: crypto.randomUUID(),
    evaluation_id: crypto.randomUUID(),
    agent_id: x.agent,
    criterion_id: x.criterion,
    criterion_name: `Name of ${x.criterion.split('-').pop()}`,
    category: x.category,
    score: x.score,
    max_points: x.max,
    passed: x.passed,
    days_ago: x.daysAgo,
    quotes: x.quotes ?? [],
    current: x.current ?? true,
  }));
  await asTenant('acme', ...SYSTEM, [
    {
      query: `
        with x as (
          select * from jsonb_to_recordset($1::jsonb) as x(call_id uuid, evaluation_id uuid, agent_id uuid, criterion_id text,
            criterion_name text, category text, score int, max_points int, passed boolean, days_ago float8, quotes jsonb, current boolean)
        ),
        c as (
          insert into calls (id, tenant_id, agent_id, source, status, audio_key)
          select call_id, 'acme', agent_id, 'upload', 'completed', 'acme/calls/' || call_id || '/audio' from x
        ),
        e as (
          insert into evaluations (id, tenant_id, call_id, run_key, criteria_snapshot, overall_score, auto_failed, results,
                                   compliance, sentiment, customer_behavior, summary, model)
          select evaluation_id, 'acme', call_id, 'pipeline', '[]', score * 100 / max_points, false,
                 jsonb_build_array(jsonb_build_object('criterion_id', criterion_id, 'name', criterion_name, 'score', score,
                   'passed', passed, 'evidence', quotes, 'reasoning', 'seeded')), '[]', '{}', '{}', 'seeded', 'test'
          from x
        )
        insert into criterion_results (tenant_id, evaluation_id, call_id, agent_id, criterion_id, criterion_name, category,
                                       score, max_points, passed, scored_at, current)
        select 'acme', evaluation_id, call_id, agent_id, criterion_id, criterion_name, category, score, max_points, passed,
               now() - make_interval(secs => days_ago * 86400), current
        from x`,
      params: [JSON.stringify(data)],
    },
  ]);
}

const courseIds: Record<string, string> = {};

async function course(key: string, skills: string[], status: 'draft' | 'published') {
  const res = await as('acme_manager', '/api/ai-coach/courses', {
    method: 'POST',
    body: {
      title: `${key} ${run}`,
      category: 'coaching',
      difficulty: 'beginner',
      skills_covered: skills,
      status,
      modules: [{ title: 'M', lessons: [{ title: 'L', type: 'reading', content: { markdown: 'Read' } }] }],
    },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  courseIds[key] = (await json(res)).id;
}

beforeAll(async () => {
  const [[team]] = (await asTenant('acme', ...SYSTEM, [
    {
      query: `insert into teams (tenant_id, organization_id, name) values ('acme', $1, $2) returning id`,
      params: [DEMO.acme.organization, `Coach team ${run}`],
    },
  ])) as [{ id: string }[]];
  await asTenant('acme', ...SYSTEM, [
    {
      query: `insert into users (id, tenant_id, email, first_name, last_name, role, team_id)
              select id, 'acme', 'rc-' || $5 || '-' || n || '@acme.test', 'Rec', n, 'agent', team
              from (values ($1::uuid, 'a', $6::uuid), ($2::uuid, 'b', $6::uuid), ($3::uuid, 'c', null), ($4::uuid, 'd', null))
                as v(id, n, team)`,
      params: [agentA, mateB, otherC, idleD, run, team!.id],
    },
  ]);

  await seed([
    // A's greeting, max 10: two passes in the older half, then three fails; 54.0% in the window.
    r(agentA, GREET, 10, 10, true, 80),
    r(agentA, GREET, 8, 10, true, 60),
    r(agentA, GREET, 4, 10, false, 30, { quotes: [{ quote: 'Q30 what do you want', start_seconds: 7 }] }),
    r(agentA, GREET, 2, 10, false, 20, { quotes: [{ quote: 'Q20 yeah', start_seconds: 5 }] }),
    r(agentA, GREET, 3, 10, false, 10, {
      quotes: [
        { quote: 'Q10a hold on', start_seconds: 12 },
        { quote: 'Q10b what', start_seconds: 3 },
      ],
    }),
    // Outside the 90-day window, and a retired (non-current) scoring: neither counts.
    r(agentA, GREET, 0, 10, false, 100, { quotes: [{ quote: 'OLD-QUOTE', start_seconds: 1 }] }),
    r(agentA, GREET, 0, 10, false, 5, { current: false, quotes: [{ quote: 'STALE-QUOTE', start_seconds: 1 }] }),
    // A's verification, max 5: 80.0%, one fail with a single quote.
    r(agentA, VERIFY, 5, 5, true, 70),
    r(agentA, VERIFY, 2, 5, false, 35, { quotes: [{ quote: 'VERIFY-ONE', start_seconds: 9 }] }),
    r(agentA, VERIFY, 5, 5, true, 12),
    // A's closing, max 10: 85.0%, no gap.
    r(agentA, CLOSE, 9, 10, true, 50),
    r(agentA, CLOSE, 8, 10, true, 8),
    // Teammate B: greeting 9, 10 and a failed 0 (its quote is B's, never A's).
    r(mateB, GREET, 9, 10, true, 40),
    r(mateB, GREET, 10, 10, true, 15),
    r(mateB, GREET, 0, 10, false, 3, { quotes: [{ quote: 'NOT-MINE', start_seconds: 2 }] }),
    // C, no team: greeting 10, 10, 9 (and one outside the window); verification 5, 5.
    r(otherC, GREET, 10, 10, true, 50),
    r(otherC, GREET, 10, 10, true, 25),
    r(otherC, GREET, 9, 10, true, 5),
    r(otherC, GREET, 0, 10, false, 200),
    r(otherC, VERIFY, 5, 5, true, 30),
    r(otherC, VERIFY, 5, 5, true, 20),
    // The demo agent, for reading itself: two fails in a row.
    r(acmeAgent, SELF, 1, 10, false, 6, { quotes: [{ quote: 'SELF-1', start_seconds: 4 }] }),
    r(acmeAgent, SELF, 2, 10, false, 2, { quotes: [{ quote: 'SELF-2', start_seconds: 8 }] }),
  ]);

  await course('Both', [GREET.toUpperCase(), COMPLIANCE], 'published'); // greeting by id, verification by category
  await course('Greeting', [GREET], 'published');
  await course('Soft', [SOFT], 'published'); // greeting by category (closing is soft too, but no gap)
  await course('Open', [GREET], 'published');
  await course('Done', [GREET], 'published');
  await course('Draft', [GREET], 'draft');
  await course('Closing', [CLOSE], 'published'); // closing is not a gap
  await course('Elsewhere', ['unrelated-skill'], 'published');
  await asTenant('acme', ...SYSTEM, [
    {
      query: `insert into coach_assignments (tenant_id, course_id, course_version, agent_id, status, completed_at)
              values ('acme', $1, 1, $3, 'completed', now()), ('acme', $2, 1, $3, 'assigned', null)`,
      params: [courseIds.Done, courseIds.Open, agentA],
    },
  ]);
});

const gap = (body: any, criterion: string) => body.skill_gaps.find((g: any) => g.criterion_id === criterion);

describe('AI coach recommendations: figures', () => {
  it('computes agent, team and tenant percentages, fails, streaks and the trend over the window', async () => {
    const res = await as('acme_manager', `/api/ai-coach/recommendations/${agentA}`);
    const body = await json(res);
    expect(res.status, JSON.stringify(body).slice(0, 300)).toBe(200);
    expect(body.agent_id).toBe(agentA);
    expect(body.window_days).toBe(90);
    expect(body.skill_gaps.map((g: any) => g.criterion_id)).toEqual([GREET, VERIFY, CLOSE]);

    // A: 10+8+4+2+3 of 50. Team (A, B): 27+19 of 80. Tenant (A, B, C): 46+29 of 110.
    // Halves split at 45 days: 18 of 20 before, 9 of 30 after.
    expect(gap(body, GREET)).toMatchObject({
      name: 'Name of greeting',
      category: SOFT,
      agent_pct: 54,
      team_pct: 57.5,
      tenant_pct: 68.2,
      evaluations: 5,
      fails: 3,
      consecutive_fails: 3,
      first_half_pct: 90,
      second_half_pct: 30,
      trend_delta: -60,
      is_gap: true,
      gap_reasons: ['consecutive_fails', 'below_threshold', 'below_tenant'],
    });
    // A: 12 of 15; only A scores it in the team; tenant 22 of 25; the newest result passed.
    expect(gap(body, VERIFY)).toMatchObject({
      agent_pct: 80,
      team_pct: 80,
      tenant_pct: 88,
      evaluations: 3,
      fails: 1,
      consecutive_fails: 0,
      first_half_pct: 100,
      second_half_pct: 70,
      trend_delta: -30,
      is_gap: true,
      gap_reasons: ['below_tenant'],
    });
    expect(gap(body, CLOSE)).toMatchObject({
      agent_pct: 85,
      team_pct: 85,
      tenant_pct: 85,
      consecutive_fails: 0,
      trend_delta: -10,
      is_gap: false,
      gap_reasons: [],
      evidence: [],
    });
  });

  it('quotes the agent’s own most recent failed results only, newest first, at most three', async () => {
    const body = await json(await as('acme_manager', `/api/ai-coach/recommendations/${agentA}`));
    const quotes = gap(body, GREET).evidence;
    expect(quotes.map((q: any) => [q.quote, q.start_seconds])).toEqual([
      ['Q10b what', 3],
      ['Q10a hold on', 12],
      ['Q20 yeah', 5],
    ]);
    for (const q of quotes) {
      expect(q.call_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(q.evaluation_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(Date.now() - Date.parse(q.scored_at)).toBeLessThan(21 * 86_400_000);
    }
    const [calls] = await asTenant('acme', ...SYSTEM, [
      {
        query: 'select distinct agent_id from calls where id = any($1::uuid[])',
        params: [quotes.map((q: any) => q.call_id)],
      },
    ]);
    expect(calls!.map((c) => c.agent_id)).toEqual([agentA]);
    const all = JSON.stringify(body);
    for (const foreign of ['NOT-MINE', 'STALE-QUOTE', 'OLD-QUOTE']) expect(all, foreign).not.toContain(foreign);
  });

  it('lists as improvement areas the gaps with at least two quotes', async () => {
    const body = await json(await as('acme_manager', `/api/ai-coach/recommendations/${agentA}`));
    // Verification is a gap but has one quote only: the agent could not see why.
    expect(body.improvement_areas).toEqual([
      {
        criterion_id: GREET,
        name: 'Name of greeting',
        category: SOFT,
        agent_pct: 54,
        team_pct: 57.5,
        tenant_pct: 68.2,
        consecutive_fails: 3,
        gap_reasons: ['consecutive_fails', 'below_threshold', 'below_tenant'],
        evidence: gap(body, GREET).evidence,
      },
    ]);
  });

  it('recommends published courses covering the gaps, most gaps first, never drafts or completed ones', async () => {
    const body = await json(await as('acme_manager', `/api/ai-coach/recommendations/${agentA}`));
    const mine = body.recommended_courses.filter((c: any) => Object.values(courseIds).includes(c.id));
    expect(mine.map((c: any) => [c.title, c.covers, c.assigned])).toEqual([
      [`Both ${run}`, [GREET, VERIFY], false],
      [`Greeting ${run}`, [GREET], false],
      [`Open ${run}`, [GREET], true],
      [`Soft ${run}`, [GREET], false],
    ]);
    expect(mine[0]).toEqual({
      id: courseIds.Both,
      title: `Both ${run}`,
      category: 'coaching',
      difficulty: 'beginner',
      covers: [GREET, VERIFY],
      assigned: false,
    });
  });

  it('cuts the figures at the window', async () => {
    const body = await json(await as('acme_manager', `/api/ai-coach/recommendations/${agentA}?window_days=15`));
    expect(body.window_days).toBe(15);
    // Within 15 days: A's greeting at 10 days, verification at 12, closing at 8.
    expect(gap(body, GREET)).toMatchObject({
      agent_pct: 30,
      evaluations: 1,
      consecutive_fails: 1,
      // Team: A's 3 and B's 0 (at 3 days) of 20; tenant: and C's 9 (at 5 days), 12 of 30.
      team_pct: 15,
      tenant_pct: 40,
      first_half_pct: 30,
      second_half_pct: null,
      trend_delta: null,
    });
    expect(gap(body, VERIFY)).toMatchObject({ agent_pct: 100, evaluations: 1, fails: 0 });
    expect(gap(body, CLOSE)).toMatchObject({ agent_pct: 80, evaluations: 1 });
  });

  it('answers an agent with no scored calls with empty lists', async () => {
    const res = await as('acme_manager', `/api/ai-coach/recommendations/${idleD}`);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({
      agent_id: idleD,
      window_days: 90,
      skill_gaps: [],
      recommended_courses: [],
      improvement_areas: [],
    });
  });
});

describe('AI coach recommendations: who reads what', () => {
  it('lets an agent read its own, without the team and tenant figures row-level security hides from it', async () => {
    const res = await as('acme_agent', `/api/ai-coach/recommendations/${acmeAgent}`);
    const body = await json(res);
    expect(res.status, JSON.stringify(body).slice(0, 300)).toBe(200);
    expect(gap(body, SELF)).toMatchObject({
      agent_pct: 15,
      team_pct: null,
      tenant_pct: null,
      consecutive_fails: 2,
      is_gap: true,
      gap_reasons: ['consecutive_fails', 'below_threshold'],
    });
    expect(gap(body, SELF).evidence.map((q: any) => q.quote)).toEqual(['SELF-2', 'SELF-1']);
    expect(body.improvement_areas.map((a: any) => a.criterion_id)).toContain(SELF);
  });

  it.each([
    ['another agent', () => agentA],
    ['a manager', () => acmeManager],
    ['an unknown id', () => crypto.randomUUID()],
  ])('answers an agent asking for %s 404', async (_what, id) => {
    await expectProblem(await as('acme_agent', `/api/ai-coach/recommendations/${id()}`), 404);
  });

  it('answers 404 for a user who is not an agent and for an unknown id', async () => {
    await expectProblem(await as('acme_manager', `/api/ai-coach/recommendations/${acmeManager}`), 404);
    await expectProblem(await as('acme_manager', `/api/ai-coach/recommendations/${crypto.randomUUID()}`), 404);
  });

  it('keeps another tenant’s agent out of reach', async () => {
    await expectProblem(await as('globex_manager', `/api/ai-coach/recommendations/${agentA}`), 404);
    await expectProblem(await as('globex_admin', `/api/ai-coach/recommendations/${agentA}`), 404);
    const named = await as('super_admin', `/api/ai-coach/recommendations/${agentA}`, {
      headers: { 'x-tenant-id': 'globex' },
    });
    await expectProblem(named, 404);
    const acme = await as('super_admin', `/api/ai-coach/recommendations/${agentA}`, {
      headers: { 'x-tenant-id': 'acme' },
    });
    expect(gap(await json(acme), GREET).agent_pct).toBe(54);
  });
});

describe('AI coach recommendations: bad input', () => {
  it.each(['3', '366', '7.5', 'ninety'])('refuses window_days=%s naming the field', async (value) => {
    const problem = await expectProblem(
      await as('acme_manager', `/api/ai-coach/recommendations/${agentA}?window_days=${value}`),
      422,
    );
    expect(problem.errors?.map((e) => e.field)).toEqual(['window_days']);
  });

  it('refuses an agent id that is not a UUID', async () => {
    const problem = await expectProblem(await as('acme_manager', '/api/ai-coach/recommendations/not-a-uuid'), 422);
    expect(problem.errors?.map((e) => e.field)).toEqual(['agent_id']);
  });
});

describe('AI coach recommendations: cost', () => {
  afterEach(() => vi.restoreAllMocks());

  it('makes exactly one database round trip', async () => {
    await as('acme_manager', '/api/auth/profile'); // token and key sets warm
    const database = new URL(env.NEON_HTTP_ENDPOINT!).origin;
    const real = globalThis.fetch;
    let requests = 0;
    vi.spyOn(globalThis, 'fetch').mockImplementation((input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      if (url.startsWith(database)) requests++;
      return real(input, init);
    });
    const res = await as('acme_manager', `/api/ai-coach/recommendations/${agentA}`);
    expect(res.status).toBe(200);
    expect(requests, 'database HTTP requests for one recommendations request').toBe(1);
  });
});
