/**
 * Coaching rules: their CRUD, and their firing after each scored call. Each firing test scores its
 * own criterion (a tenant criterion made for it), so other tests' calls never move its history.
 */
import { env, exports } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Frame } from '../../durable-objects/tenant-hub';
import { applyCoachingRules, generateAndAssign, type CourseGenerator } from '../../src/pipeline/coaching-rules';
import type { PipelineMessage } from '../../src/pipeline/messages';
import { runStep } from '../../src/pipeline/steps';
import { PIPELINE_ACTOR, serviceContext } from '../../src/service-context';
import { as, asTenant, deliver, eventually, expectProblem, IDS, json, type Who } from './helpers';

const uniq = () => crypto.randomUUID().slice(0, 8);
const AGENT = IDS['agent@acme.test']!;
const MANAGER = IDS['manager@acme.test']!;
const hub = (tenant: string) => env.TENANT_HUB.get(env.TENANT_HUB.idFromName(tenant));
const system = (tenant: string, queries: { query: string; params?: unknown[] }[]) =>
  asTenant(tenant, 'system:pipeline', 'system', queries);

async function course(who: Who = 'acme_manager', status: 'draft' | 'published' = 'published') {
  const res = await as(who, '/api/ai-coach/courses', {
    method: 'POST',
    body: {
      title: `Openings ${uniq()}`,
      category: 'soft_skills',
      difficulty: 'beginner',
      status,
      modules: [{ title: 'Open well', lessons: [{ title: 'Why', type: 'reading', content: { markdown: 'Greet.' } }] }],
    },
  });
  expect(res.status).toBe(201);
  return (await json(res)).id as string;
}

/** A criterion of acme's, inactive so it changes no other call's scoring. */
async function criterion(name = `Greeting ${uniq()}`) {
  const id = crypto.randomUUID();
  await asTenant('acme', MANAGER, 'manager', [
    {
      query: `insert into evaluation_criteria (id, tenant_id, name, description, category, max_points, evaluation_prompts, is_active)
              values ($1, 'acme', $2, 'Greets the customer, gives their name and the company name.', 'opening', 10,
                      array['Did the agent greet the customer and introduce themselves?'], false)`,
      params: [id, name],
    },
  ]);
  return id;
}

function ruleBody(criterionId: string, overrides: Record<string, unknown> = {}) {
  return {
    name: `Rule ${uniq()}`,
    criterion_id: criterionId,
    condition: { type: 'consecutive_fails', count: 3 },
    action: { type: 'generate_course' },
    ...overrides,
  };
}

async function createRule(body: Record<string, unknown>, who: Who = 'acme_manager') {
  const res = await as(who, '/api/ai-coach/rules', { method: 'POST', body });
  const out = await json(res);
  expect(res.status, JSON.stringify(out)).toBe(201);
  return out;
}

/**
 * A scored call of `agent` as the evaluate step writes it: call, evaluation and one criterion
 * result, scored `minutesAgo` minutes ago.
 */
async function scored(
  criterionId: string,
  passed: boolean,
  opts: { score?: number; minutesAgo?: number; agent?: string } = {},
) {
  const callId = crypto.randomUUID();
  const evaluationId = crypto.randomUUID();
  const score = opts.score ?? (passed ? 10 : 0);
  const at = `${opts.minutesAgo ?? 0} minutes`;
  await system('acme', [
    {
      query: `insert into calls (id, tenant_id, agent_id, source, status, audio_key, overall_score)
              values ($1, 'acme', $2, 'upload', 'completed', $3, $4)`,
      params: [callId, opts.agent ?? AGENT, `acme/calls/${callId}/audio`, score * 10],
    },
    {
      query: `insert into evaluations (id, tenant_id, call_id, run_key, criteria_snapshot, overall_score, auto_failed, results,
                                       compliance, sentiment, customer_behavior, summary, model, created_at)
              values ($1, 'acme', $2, 'pipeline', '[]', $3, false, '[]', '[]', '{}', '{}', 'seeded', 'test', now() - $4::interval)`,
      params: [evaluationId, callId, score * 10, at],
    },
    {
      query: `insert into criterion_results (tenant_id, evaluation_id, call_id, agent_id, criterion_id, criterion_name, category,
                                             score, max_points, passed, scored_at)
              values ('acme', $1, $2, $3, $4, 'Greeting', 'opening', $5, 10, $6, now() - $7::interval)`,
      params: [evaluationId, callId, opts.agent ?? AGENT, criterionId, score, passed, at],
    },
  ]);
  return { callId, evaluationId };
}

const coaching = (s: { callId: string; evaluationId: string }): PipelineMessage => ({
  step: 'coaching',
  tenant_id: 'acme',
  call_id: s.callId,
  evaluation_id: s.evaluationId,
});

async function firingsOf(ruleId: string) {
  const [rows] = await system('acme', [
    {
      query: `select evaluation_id, agent_id, outcome, assignment_id from coach_rule_firings where rule_id = $1 order by fired_at`,
      params: [ruleId],
    },
  ]);
  return rows as { evaluation_id: string; agent_id: string; outcome: string; assignment_id: string | null }[];
}

async function assignmentsOf(ruleId: string) {
  const [rows] = await system('acme', [
    {
      query: `select id, course_id, course_version, agent_id, assigned_by, due_date::text as due_date, priority, reason, status,
                     trigger_evaluation_ids::text[] as trigger_evaluation_ids,
                     -- Due dates count from today in the agent's organization's time zone.
                     (current_timestamp at time zone coalesce(
                        (select o.timezone from users u join organizations o on o.id = u.organization_id where u.id = agent_id),
                        'UTC'))::date::text as today
                from coach_assignments where rule_id = $1 order by created_at`,
      params: [ruleId],
    },
  ]);
  return rows as Record<string, any>[];
}

/** `coaching.assigned` events the tenant's hub recorded for an assignment. */
async function hubEventsFor(assignmentId: string) {
  return runInDurableObject(hub('acme'), (_i, state) =>
    state.storage.sql
      .exec("SELECT data, agent_id FROM events WHERE type = 'coaching.assigned'")
      .toArray()
      .map((r) => ({ data: JSON.parse(String(r.data)), agent_id: r.agent_id }))
      .filter((e) => e.data.assignment_id === assignmentId),
  );
}

const daysFrom = (isoDate: string, days: number) =>
  new Date(Date.parse(`${isoDate}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

describe('coaching rules: CRUD', () => {
  it('creates, reads, lists, changes and deletes a rule', async () => {
    const crit = await criterion();
    const courseId = await course();
    const created = await createRule(
      ruleBody(crit, {
        action: { type: 'assign_course', course_id: courseId },
        cooldown_days: 7,
        due_in_days: 10,
        priority: 'high',
      }),
    );
    expect(created).toMatchObject({
      criterion_id: crit,
      condition: { type: 'consecutive_fails', count: 3 },
      action: { type: 'assign_course', course_id: courseId },
      cooldown_days: 7,
      due_in_days: 10,
      priority: 'high',
      enabled: true,
      created_by: MANAGER,
    });
    expect(await json(await as('acme_manager', `/api/ai-coach/rules/${created.id}`))).toEqual(created);

    const other = await createRule(ruleBody(crit, { enabled: false }));
    expect(other).toMatchObject({ cooldown_days: 14, due_in_days: 14, priority: 'normal', enabled: false });
    const all = await json(await as('acme_manager', `/api/ai-coach/rules?criterion_id=${crit}`));
    expect(all.pagination.total).toBe(2);
    const enabled = await json(await as('acme_manager', `/api/ai-coach/rules?criterion_id=${crit}&enabled=true`));
    expect(enabled.data.map((r: any) => r.id)).toEqual([created.id]);
    const paged = await json(await as('acme_manager', `/api/ai-coach/rules?criterion_id=${crit}&limit=1&page=2`));
    expect(paged.pagination).toEqual({ page: 2, limit: 1, total: 2, total_pages: 2 });
    expect(
      paged.data.map((r: any) => r.id),
      'newest first',
    ).toEqual([created.id]);

    const changed = await json(
      await as('acme_manager', `/api/ai-coach/rules/${created.id}`, {
        method: 'PUT',
        body: {
          condition: { type: 'average_below', threshold_pct: 70, window_days: 30 },
          action: { type: 'generate_course' },
        },
      }),
    );
    expect(changed).toMatchObject({
      condition: { type: 'average_below', threshold_pct: 70, window_days: 30, min_evaluations: 5 },
      action: { type: 'generate_course' },
      priority: 'high',
    });
    const [[row] = []] = await system('acme', [
      { query: 'select fail_count, course_id from coach_rules where id = $1', params: [created.id] },
    ]);
    expect(row, 'the columns of the replaced condition and action are cleared').toEqual({
      fail_count: null,
      course_id: null,
    });

    // A platform template key is a criterion too, for tenants scored on the templates.
    const onTemplate = await createRule(ruleBody('greeting', { enabled: false }));
    expect(onTemplate.criterion_id).toBe('greeting');

    for (const id of [created.id, other.id, onTemplate.id]) {
      expect((await as('acme_manager', `/api/ai-coach/rules/${id}`, { method: 'DELETE' })).status).toBe(204);
      await expectProblem(await as('acme_manager', `/api/ai-coach/rules/${id}`), 404);
    }
    await expectProblem(await as('acme_manager', `/api/ai-coach/rules/${created.id}`, { method: 'DELETE' }), 404);
  });

  it('refuses bad input with 422 naming the field, and writes nothing', async () => {
    const crit = await criterion();
    const courseId = await course();
    const archived = await course();
    expect(
      (await as('acme_manager', `/api/ai-coach/courses/${archived}`, { method: 'PUT', body: { status: 'archived' } }))
        .status,
    ).toBe(200);
    const globexCourse = await course('globex_manager');
    const name = `Bad ${uniq()}`;
    const cases: [Record<string, unknown>, string][] = [
      [{ condition: { type: 'sometimes' } }, 'condition.type'],
      [{ condition: { count: 3 } }, 'condition.type'],
      [{ condition: { type: 'consecutive_fails' } }, 'condition.count'],
      [{ condition: { type: 'consecutive_fails', count: 0 } }, 'condition.count'],
      [{ condition: { type: 'consecutive_fails', count: 51 } }, 'condition.count'],
      [{ condition: { type: 'consecutive_fails', count: 2.5 } }, 'condition.count'],
      [{ condition: { type: 'consecutive_fails', count: 3, threshold_pct: 50 } }, 'condition.threshold_pct'],
      [{ condition: { type: 'average_below', threshold_pct: 60 } }, 'condition.window_days'],
      [{ condition: { type: 'average_below', threshold_pct: 0, window_days: 30 } }, 'condition.threshold_pct'],
      [{ condition: { type: 'average_below', threshold_pct: 101, window_days: 30 } }, 'condition.threshold_pct'],
      [{ condition: { type: 'average_below', threshold_pct: 60, window_days: 366 } }, 'condition.window_days'],
      [
        { condition: { type: 'average_below', threshold_pct: 60, window_days: 30, min_evaluations: 0 } },
        'condition.min_evaluations',
      ],
      [{ action: { type: 'assign_anything' } }, 'action.type'],
      [{ action: { type: 'assign_course' } }, 'action.course_id'],
      [{ action: { type: 'assign_course', course_id: 'not-a-uuid' } }, 'action.course_id'],
      [{ action: { type: 'generate_course', course_id: courseId } }, 'action.course_id'],
      [{ action: { type: 'assign_course', course_id: archived } }, 'action.course_id'],
      [{ action: { type: 'assign_course', course_id: crypto.randomUUID() } }, 'action.course_id'],
      [{ action: { type: 'assign_course', course_id: globexCourse } }, 'action.course_id'],
      [{ criterion_id: 'no_such_criterion' }, 'criterion_id'],
      [{ criterion_id: crypto.randomUUID() }, 'criterion_id'],
      [{ criterion_id: '' }, 'criterion_id'],
      [{ name: ' ' }, 'name'],
      [{ cooldown_days: -1 }, 'cooldown_days'],
      [{ cooldown_days: 366 }, 'cooldown_days'],
      [{ due_in_days: 0 }, 'due_in_days'],
      [{ priority: 'urgent' }, 'priority'],
      [{ enabled: 'yes' }, 'enabled'],
      [{ tenant_id: 'globex' }, 'tenant_id'],
    ];
    for (const [override, field] of cases) {
      const res = await as('acme_manager', '/api/ai-coach/rules', {
        method: 'POST',
        body: ruleBody(crit, { name, ...override }),
      });
      const problem = await expectProblem(res, 422);
      expect(
        problem.errors?.map((e) => e.field),
        `${JSON.stringify(override)} names ${field}`,
      ).toContain(field);
    }
    const [[left] = []] = await system('acme', [
      {
        query: 'select count(*)::int as n from coach_rules where name = $1 or criterion_id = $2',
        params: [name, crit],
      },
    ]);
    expect(left!.n, 'no bad request left a rule behind').toBe(0);

    // A name is the tenant's once; on change too.
    const first = await createRule(ruleBody(crit, { name }));
    await expectProblem(
      await as('acme_manager', '/api/ai-coach/rules', { method: 'POST', body: ruleBody(crit, { name }) }),
      409,
    );
    const second = await createRule(ruleBody(crit));
    await expectProblem(
      await as('acme_manager', `/api/ai-coach/rules/${second.id}`, { method: 'PUT', body: { name } }),
      409,
    );
    const bad = await expectProblem(
      await as('acme_manager', `/api/ai-coach/rules/${second.id}`, {
        method: 'PUT',
        body: { action: { type: 'assign_course', course_id: archived } },
      }),
      422,
    );
    expect(bad.errors?.map((e) => e.field)).toEqual(['action.course_id']);
    await expectProblem(await as('acme_manager', `/api/ai-coach/rules/${second.id}`, { method: 'PUT', body: {} }), 422);
    await expectProblem(
      await as('acme_manager', `/api/ai-coach/rules/${crypto.randomUUID()}`, {
        method: 'PUT',
        body: { enabled: false },
      }),
      404,
    );
    await expectProblem(await as('acme_manager', '/api/ai-coach/rules/not-a-uuid'), 422);
    await expectProblem(await as('acme_manager', '/api/ai-coach/rules?enabled=maybe'), 422);
    expect(await json(await as('acme_manager', `/api/ai-coach/rules/${second.id}`))).toMatchObject({
      action: { type: 'generate_course' },
    });
    expect((await json(await as('acme_manager', `/api/ai-coach/rules/${first.id}`))).name).toBe(name);
  });

  it('is closed to agents', async () => {
    const crit = await criterion();
    const rule = await createRule(ruleBody(crit));
    for (const who of ['acme_agent', 'acme_agent2'] as const) {
      await expectProblem(await as(who, '/api/ai-coach/rules'), 403);
      await expectProblem(await as(who, '/api/ai-coach/rules', { method: 'POST', body: ruleBody(crit) }), 403);
      await expectProblem(await as(who, `/api/ai-coach/rules/${rule.id}`), 403);
      await expectProblem(
        await as(who, `/api/ai-coach/rules/${rule.id}`, { method: 'PUT', body: { enabled: false } }),
        403,
      );
      await expectProblem(await as(who, `/api/ai-coach/rules/${rule.id}`, { method: 'DELETE' }), 403);
    }
    expect(await json(await as('acme_manager', `/api/ai-coach/rules/${rule.id}`))).toMatchObject({ enabled: true });
  });

  it("keeps each tenant's rules its own, through the API and in the database", async () => {
    const crit = await criterion();
    const rule = await createRule(ruleBody(crit));
    await expectProblem(await as('globex_manager', `/api/ai-coach/rules/${rule.id}`), 404);
    await expectProblem(
      await as('globex_manager', `/api/ai-coach/rules/${rule.id}`, { method: 'PUT', body: { enabled: false } }),
      404,
    );
    await expectProblem(await as('globex_manager', `/api/ai-coach/rules/${rule.id}`, { method: 'DELETE' }), 404);
    const listed = await json(await as('globex_admin', `/api/ai-coach/rules?criterion_id=${crit}`));
    expect(listed.pagination.total).toBe(0);
    // acme's criterion is not globex's to name either.
    const named = await expectProblem(
      await as('globex_manager', '/api/ai-coach/rules', { method: 'POST', body: ruleBody(crit) }),
      422,
    );
    expect(named.errors?.map((e) => e.field)).toEqual(['criterion_id']);

    const globexManager = IDS['manager@globex.test']!;
    const [seen, changed, removed] = await asTenant('globex', globexManager, 'manager', [
      { query: 'select id from coach_rules where id = $1', params: [rule.id] },
      { query: 'update coach_rules set enabled = false where id = $1 returning id', params: [rule.id] },
      { query: 'delete from coach_rules where id = $1 returning id', params: [rule.id] },
    ]);
    expect([seen, changed, removed]).toEqual([[], [], []]);
    await expect(
      asTenant('globex', globexManager, 'manager', [
        {
          query: `insert into coach_rules (tenant_id, name, criterion_id, condition, fail_count, action)
                  values ('acme', 'smuggled', 'greeting', 'consecutive_fails', 2, 'generate_course')`,
        },
      ]),
      'a row for another tenant is refused by the policy',
    ).rejects.toThrow(/row-level security/);
    expect(await json(await as('acme_manager', `/api/ai-coach/rules/${rule.id}`))).toMatchObject({ enabled: true });
  });
});

describe('coaching rules: firing after scored calls', () => {
  it('fires after N consecutive fails, not before, and a pass in between resets the count', async () => {
    const crit = await criterion();
    const courseId = await course();
    const rule = await createRule(
      ruleBody(crit, { action: { type: 'assign_course', course_id: courseId }, due_in_days: 5, priority: 'high' }),
    );
    const old = await scored(crit, false, { minutesAgo: 50 });
    await scored(crit, true, { minutesAgo: 40 }); // a pass: the fail before it does not count
    const a = await scored(crit, false, { minutesAgo: 30 });
    const b = await scored(crit, false, { minutesAgo: 20 });
    await deliver('qa-pipeline', [coaching(old), coaching(a), coaching(b)]);
    expect(await firingsOf(rule.id), 'two consecutive fails are not three').toEqual([]);

    const c = await scored(crit, false, { minutesAgo: 10 });
    await deliver('qa-pipeline', [coaching(c)]);
    const [assignment] = await assignmentsOf(rule.id);
    expect(await firingsOf(rule.id)).toEqual([
      { evaluation_id: c.evaluationId, agent_id: AGENT, outcome: 'assigned', assignment_id: assignment!.id },
    ]);
    expect(assignment).toMatchObject({
      course_id: courseId,
      course_version: 1,
      agent_id: AGENT,
      assigned_by: null,
      priority: 'high',
      reason: 'rule',
      status: 'assigned',
      trigger_evaluation_ids: [c.evaluationId, b.evaluationId, a.evaluationId],
    });
    expect(assignment!.due_date).toBe(daysFrom(assignment!.today, 5));
    // The agent sees it as its own.
    const [mine] = await asTenant('acme', AGENT, 'agent', [
      { query: 'select id from coach_assignments where id = $1', params: [assignment!.id] },
    ]);
    expect(mine).toHaveLength(1);
  });

  it('average_below fires when points over max points in the window fall below the threshold', async () => {
    const crit = await criterion();
    const courseId = await course();
    const rule = await createRule(
      ruleBody(crit, {
        condition: { type: 'average_below', threshold_pct: 60, window_days: 7, min_evaluations: 3 },
        action: { type: 'assign_course', course_id: courseId },
      }),
    );
    await scored(crit, false, { score: 0, minutesAgo: 8 * 24 * 60 }); // outside the window: does not drag it down
    const a = await scored(crit, true, { score: 6, minutesAgo: 30 });
    const b = await scored(crit, true, { score: 6, minutesAgo: 20 });
    await deliver('qa-pipeline', [coaching(b)]);
    expect(await firingsOf(rule.id), 'two results are fewer than min_evaluations').toEqual([]);
    const c = await scored(crit, true, { score: 7, minutesAgo: 10 });
    await deliver('qa-pipeline', [coaching(c)]);
    expect(await firingsOf(rule.id), '19 of 30 points is 63%, not below 60%').toEqual([]);
    const d = await scored(crit, false, { score: 2, minutesAgo: 5 });
    await deliver('qa-pipeline', [coaching(d)]);
    const firings = await firingsOf(rule.id);
    expect(firings.map((f) => [f.evaluation_id, f.outcome])).toEqual([[d.evaluationId, 'assigned']]);
    const [assignment] = await assignmentsOf(rule.id);
    expect(assignment!.trigger_evaluation_ids, '21 of 40 points is 52%: the window fired it').toEqual([
      d.evaluationId,
      c.evaluationId,
      b.evaluationId,
      a.evaluationId,
    ]);
  });

  it('cooldown: a second firing for the agent waits out cooldown_days, whatever became of the first', async () => {
    const crit = await criterion();
    const courseId = await course();
    const rule = await createRule(
      ruleBody(crit, {
        condition: { type: 'consecutive_fails', count: 1 },
        action: { type: 'assign_course', course_id: courseId },
        cooldown_days: 30,
      }),
    );
    const first = await scored(crit, false, { minutesAgo: 10 });
    await deliver('qa-pipeline', [coaching(first)]);
    const [assignment] = await assignmentsOf(rule.id);
    // The agent is done with it (cancelled here); the next fail is still inside the cooldown.
    await asTenant('acme', MANAGER, 'manager', [
      {
        query: `update coach_assignments set status = 'cancelled', cancelled_at = now() where id = $1`,
        params: [assignment!.id],
      },
    ]);
    const second = await scored(crit, false, { minutesAgo: 5 });
    await deliver('qa-pipeline', [coaching(second)]);
    expect((await firingsOf(rule.id)).map((f) => f.evaluation_id)).toEqual([first.evaluationId]);

    // Without a cooldown the next fail fires again, and assigns the course anew.
    await as('acme_manager', `/api/ai-coach/rules/${rule.id}`, { method: 'PUT', body: { cooldown_days: 0 } });
    const third = await scored(crit, false, { minutesAgo: 1 });
    await deliver('qa-pipeline', [coaching(third)]);
    expect((await firingsOf(rule.id)).map((f) => [f.evaluation_id, f.outcome])).toEqual([
      [first.evaluationId, 'assigned'],
      [third.evaluationId, 'assigned'],
    ]);
    expect((await assignmentsOf(rule.id)).map((a) => a.status)).toEqual(['cancelled', 'assigned']);
  });

  it('fires exactly once under duplicate messages: one firing, one assignment, one hub event', async () => {
    const crit = await criterion();
    const courseId = await course();
    const rule = await createRule(
      ruleBody(crit, {
        condition: { type: 'consecutive_fails', count: 2 },
        action: { type: 'assign_course', course_id: courseId },
      }),
    );
    await scored(crit, false, { minutesAgo: 10 });
    const trigger = await scored(crit, false, { minutesAgo: 5 });
    const message = coaching(trigger);
    const firstBatch = await deliver('qa-pipeline', [message, message, message]);
    expect(firstBatch.result.retryMessages, 'every duplicate is acked').toEqual([]);
    await deliver('qa-pipeline', [message, message]);
    // And run concurrently, outside the consumer's per-call lanes.
    const ctx = serviceContext(env, { actor: PIPELINE_ACTOR, tenantId: 'acme', requestId: `dup-${uniq()}` });
    const concurrent = await Promise.all(
      [1, 2, 3].map(() => applyCoachingRules(ctx, message as Extract<PipelineMessage, { step: 'coaching' }>)),
    );
    expect(
      concurrent.flat().filter((r) => r.outcome === 'assigned'),
      'nothing new fired',
    ).toEqual([]);

    const firings = await firingsOf(rule.id);
    const assignments = await assignmentsOf(rule.id);
    expect(firings).toHaveLength(1);
    expect(assignments).toHaveLength(1);
    expect(firings[0]!.assignment_id).toBe(assignments[0]!.id);
    const events = await hubEventsFor(assignments[0]!.id);
    expect(events, 'published by the execution that inserted the firing only').toHaveLength(1);
    expect(events[0]).toMatchObject({
      agent_id: AGENT,
      data: {
        assignment_id: assignments[0]!.id,
        agent_id: AGENT,
        course_id: courseId,
        reason: 'rule',
        rule_id: rule.id,
        rule_name: rule.name,
        criterion_id: crit,
        evaluation_id: trigger.evaluationId,
        priority: 'normal',
        due_date: assignments[0]!.due_date,
      },
    });
    expect(events[0]!.data.course_title).toMatch(/^Openings /);
  });

  it('an open assignment of the course is reported as already_assigned, not duplicated, and not announced', async () => {
    const crit = await criterion();
    const courseId = await course();
    const rule = await createRule(
      ruleBody(crit, {
        condition: { type: 'consecutive_fails', count: 1 },
        action: { type: 'assign_course', course_id: courseId },
      }),
    );
    const [[manual] = []] = await asTenant('acme', MANAGER, 'manager', [
      {
        query: `insert into coach_assignments (tenant_id, course_id, course_version, agent_id, assigned_by, reason)
                values ('acme', $1, 1, $2, $3, 'manual') returning id`,
        params: [courseId, AGENT, MANAGER],
      },
    ]);
    const trigger = await scored(crit, false);
    await deliver('qa-pipeline', [coaching(trigger), coaching(trigger)]);
    expect(await firingsOf(rule.id)).toEqual([
      { evaluation_id: trigger.evaluationId, agent_id: AGENT, outcome: 'already_assigned', assignment_id: null },
    ]);
    expect(await assignmentsOf(rule.id)).toEqual([]);
    const [open] = await system('acme', [
      {
        query: `select id from coach_assignments where agent_id = $1 and course_id = $2 and status in ('assigned', 'in_progress')`,
        params: [AGENT, courseId],
      },
    ]);
    expect(open!.map((r) => r.id)).toEqual([manual!.id]);
  });

  it('a disabled rule, a call without an agent, and an archived course fire nothing', async () => {
    const crit = await criterion();
    const courseId = await course();
    const disabled = await createRule(
      ruleBody(crit, {
        condition: { type: 'consecutive_fails', count: 1 },
        action: { type: 'assign_course', course_id: courseId },
        enabled: false,
      }),
    );
    const archivedCourse = await course();
    const onArchived = await createRule(
      ruleBody(crit, {
        condition: { type: 'consecutive_fails', count: 1 },
        action: { type: 'assign_course', course_id: archivedCourse },
      }),
    );
    await as('acme_manager', `/api/ai-coach/courses/${archivedCourse}`, {
      method: 'PUT',
      body: { status: 'archived' },
    });
    const trigger = await scored(crit, false);
    await deliver('qa-pipeline', [coaching(trigger)]);
    expect(await firingsOf(disabled.id)).toEqual([]);
    expect(await firingsOf(onArchived.id)).toEqual([]);

    // The same rule enabled fires; a call with no agent has no one to coach.
    await as('acme_manager', `/api/ai-coach/rules/${disabled.id}`, { method: 'PUT', body: { enabled: true } });
    await system('acme', [{ query: 'update calls set agent_id = null where id = $1', params: [trigger.callId] }]);
    await deliver('qa-pipeline', [coaching(trigger)]);
    expect(await firingsOf(disabled.id)).toEqual([]);
    await system('acme', [{ query: 'update calls set agent_id = $2 where id = $1', params: [trigger.callId, AGENT] }]);
    await deliver('qa-pipeline', [coaching(trigger)]);
    expect((await firingsOf(disabled.id)).map((f) => f.outcome)).toEqual(['assigned']);

    // Deleting the rule takes its firings; the assignment it made stays.
    expect((await as('acme_manager', `/api/ai-coach/rules/${disabled.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await firingsOf(disabled.id)).toEqual([]);
    expect(await assignmentsOf(disabled.id)).toHaveLength(1);
  });

  it('keeps firings a ledger: the runtime role can neither change nor remove one', async () => {
    const crit = await criterion();
    const rule = await createRule(ruleBody(crit, { condition: { type: 'consecutive_fails', count: 1 } }));
    const trigger = await scored(crit, false);
    await deliver('qa-pipeline', [coaching(trigger)]);
    expect(await firingsOf(rule.id)).toHaveLength(1);
    for (const query of [
      `update coach_rule_firings set outcome = 'assigned' where rule_id = $1`,
      `delete from coach_rule_firings where rule_id = $1`,
    ])
      await expect(system('acme', [{ query, params: [rule.id] }])).rejects.toThrow(/permission denied/);
  });
});

describe('coaching rules: generated courses', () => {
  it('queues coach-generate with a generation_queued firing, then assigns the generated course once', async () => {
    const crit = await criterion();
    const rule = await createRule(
      ruleBody(crit, { condition: { type: 'consecutive_fails', count: 2 }, due_in_days: 3 }),
    );
    const a = await scored(crit, false, { minutesAgo: 10 });
    const b = await scored(crit, false, { minutesAgo: 5 });
    const sent: PipelineMessage[] = [];
    const base = serviceContext(env, { actor: PIPELINE_ACTOR, tenantId: 'acme', requestId: `gen-${uniq()}` });
    // The queue as the step sees it, recording what it is given.
    const ctx = { ...base, pipeline: { send: async (m: PipelineMessage) => void sent.push(m) } };
    await runStep(ctx, coaching(b));
    const expected = {
      step: 'coach-generate',
      tenant_id: 'acme',
      rule_id: rule.id,
      agent_id: AGENT,
      evaluation_id: b.evaluationId,
      criterion_id: crit,
    } as const;
    expect(sent).toEqual([expected]);
    expect(await firingsOf(rule.id)).toEqual([
      { evaluation_id: b.evaluationId, agent_id: AGENT, outcome: 'generation_queued', assignment_id: null },
    ]);
    expect(await assignmentsOf(rule.id), 'nothing is assigned until the course exists').toEqual([]);
    // Run again (a retry after a crash before the send): no second firing, the step is queued again.
    sent.length = 0;
    await runStep(ctx, coaching(b));
    expect(sent).toEqual([expected]);
    expect(await firingsOf(rule.id)).toHaveLength(1);

    // A course writer that writes a real draft course, as generation does, and counts its runs.
    const inputs: Parameters<CourseGenerator>[1][] = [];
    const writer: CourseGenerator = async (wctx, input) => {
      inputs.push(input);
      const [created] = await wctx.db.run((q) => [
        q.execute(
          sql`
            insert into coach_courses (tenant_id, title, category, difficulty, status, source, generated_from)
            values ('acme', ${`Written for you ${uniq()}`}, 'coaching', 'beginner', 'draft', 'generated',
                    ${JSON.stringify({ agent_id: input.agentId, call_ids: input.callIds, criterion_ids: [], trigger: input.trigger })}::jsonb)
            returning id`,
        ),
      ]);
      return { course_id: (created.rows[0] as { id: string }).id };
    };
    const first = await generateAndAssign(ctx, expected, writer);
    expect(first.generated).toBe(true);
    expect(inputs).toEqual([
      {
        agentId: AGENT,
        weaknessAreas: [crit],
        callIds: [b.callId, a.callId],
        requestedBy: null,
        trigger: `${rule.id}:${AGENT}:${b.evaluationId}`,
      },
    ]);
    const [assignment] = await assignmentsOf(rule.id);
    expect(assignment).toMatchObject({
      id: first.assignment_id,
      course_id: first.course_id,
      reason: 'generated',
      assigned_by: null,
      trigger_evaluation_ids: [b.evaluationId, a.evaluationId],
    });
    expect(assignment!.due_date).toBe(daysFrom(assignment!.today, 3));
    expect(await hubEventsFor(first.assignment_id!)).toMatchObject([
      { agent_id: AGENT, data: { reason: 'generated', course_id: first.course_id, rule_id: rule.id } },
    ]);

    // Retried or duplicated: nothing is written twice, nothing generated twice, nothing announced twice.
    const again = await generateAndAssign(ctx, expected, writer);
    expect(again).toEqual({ assignment_id: first.assignment_id, course_id: null, generated: false });
    expect(inputs).toHaveLength(1);
    sent.length = 0;
    await runStep(ctx, coaching(b));
    expect(sent, 'an assigned generation is not queued again').toEqual([]);
    expect(await assignmentsOf(rule.id)).toHaveLength(1);
    expect(await hubEventsFor(first.assignment_id!)).toHaveLength(1);
  });

  it('coach-generate does nothing without its firing, or for a disabled rule', async () => {
    const crit = await criterion();
    const rule = await createRule(ruleBody(crit, { condition: { type: 'consecutive_fails', count: 1 } }));
    const trigger = await scored(crit, false);
    const ctx = serviceContext(env, { actor: PIPELINE_ACTOR, tenantId: 'acme', requestId: `gen-${uniq()}` });
    let runs = 0;
    const writer: CourseGenerator = async () => {
      runs++;
      throw new Error('the writer is not reached');
    };
    const msg = {
      step: 'coach-generate',
      tenant_id: 'acme',
      rule_id: rule.id,
      agent_id: AGENT,
      evaluation_id: trigger.evaluationId,
      criterion_id: crit,
    } as const;
    expect(await generateAndAssign(ctx, msg, writer), 'no firing, no generation').toMatchObject({ generated: false });
    await runStep({ ...ctx, pipeline: { send: async () => {} } }, coaching(trigger));
    await as('acme_manager', `/api/ai-coach/rules/${rule.id}`, { method: 'PUT', body: { enabled: false } });
    expect(await generateAndAssign(ctx, msg, writer)).toMatchObject({ generated: false });
    expect(runs).toBe(0);
  });
});

describe('coaching rules: from the evaluate step', () => {
  it('the evaluate step queues the coaching step, which fires on real scorings', async () => {
    const crit = await criterion(`Greeting ${uniq()}`);
    const setId = crypto.randomUUID();
    await asTenant('acme', MANAGER, 'manager', [
      {
        query: `insert into criteria_sets (id, tenant_id, name, criteria_ids) values ($1, 'acme', $2, array[$3::uuid])`,
        params: [setId, `Set ${uniq()}`, crit],
      },
    ]);
    const courseId = await course();
    const rule = await createRule(
      ruleBody(crit, {
        condition: { type: 'consecutive_fails', count: 2 },
        action: { type: 'assign_course', course_id: courseId },
      }),
    );
    // No greeting at all: the stand-in's rubric fails the greeting criterion.
    const rude = 'Yeah what. Go ahead, what is it.';
    const callIn = async () => {
      const id = crypto.randomUUID();
      await system('acme', [
        {
          query: `insert into calls (id, tenant_id, agent_id, source, status, audio_key, criteria_set_id)
                  values ($1, 'acme', $2, 'upload', 'transcribed', $3, $4)`,
          params: [id, AGENT, `acme/calls/${id}/audio`, setId],
        },
        {
          query: `insert into transcripts (call_id, tenant_id, provider_id, text, utterances, speaker_roles)
                  values ($1, 'acme', $2, $3, $4::jsonb, '{"A":"agent","B":"customer"}'::jsonb)`,
          params: [
            id,
            `test-${id}`,
            rude,
            JSON.stringify([
              { speaker: 'A', role: 'agent', text: rude, start_ms: 0, end_ms: 3000, confidence: 0.95 },
              {
                speaker: 'B',
                role: 'customer',
                text: 'My bill is wrong.',
                start_ms: 3100,
                end_ms: 5000,
                confidence: 0.95,
              },
            ]),
          ],
        },
      ]);
      return id;
    };
    const evaluate = (id: string): PipelineMessage => ({
      step: 'evaluate',
      tenant_id: 'acme',
      call_id: id,
      run_key: 'pipeline',
    });
    const evaluationOf = async (id: string) => {
      const [rows] = await system('acme', [
        {
          query: `select e.id, r.passed from evaluations e join criterion_results r on r.evaluation_id = e.id
                   where e.call_id = $1 and r.criterion_id = $2`,
          params: [id, crit],
        },
      ]);
      return rows![0] as { id: string; passed: boolean };
    };

    const first = await callIn();
    await deliver('qa-pipeline', [evaluate(first)]);
    const firstEvaluation = await evaluationOf(first);
    expect(firstEvaluation.passed, 'no greeting fails the criterion').toBe(false);
    await deliver('qa-pipeline', [
      { step: 'coaching', tenant_id: 'acme', call_id: first, evaluation_id: firstEvaluation.id },
    ]);
    expect(await firingsOf(rule.id), 'one fail is not two').toEqual([]);

    const second = await callIn();
    await deliver('qa-pipeline', [evaluate(second)]);
    const secondEvaluation = await evaluationOf(second);
    // The coaching step the evaluate step queued runs on the queue by itself.
    const firings = await eventually(async () => {
      const f = await firingsOf(rule.id);
      return f.length ? f : null;
    });
    expect(firings).toMatchObject([{ evaluation_id: secondEvaluation.id, outcome: 'assigned' }]);
    const [assignment] = await assignmentsOf(rule.id);
    expect(assignment!.trigger_evaluation_ids).toEqual([secondEvaluation.id, firstEvaluation.id]);

    // A re-analysis, its message duplicated: the fresh scoring and the one that finds it scored
    // already both queue the coaching step for the new evaluation; the cooldown keeps it quiet.
    const sent: PipelineMessage[] = [];
    const base = serviceContext(env, { actor: PIPELINE_ACTOR, tenantId: 'acme', requestId: `e2e-${uniq()}` });
    const recording = { ...base, pipeline: { send: async (m: PipelineMessage) => void sent.push(m) } };
    const rerun = { ...evaluate(second), run_key: `reanalysis:${crypto.randomUUID()}` };
    await runStep(recording, rerun);
    await runStep(recording, rerun);
    const [[rescored] = []] = await system('acme', [
      { query: 'select id from evaluations where call_id = $1 and run_key = $2', params: [second, rerun.run_key] },
    ]);
    const step = { step: 'coaching', tenant_id: 'acme', call_id: second, evaluation_id: rescored!.id };
    expect(sent).toEqual([
      { step: 'alerts', tenant_id: 'acme', call_id: second },
      step,
      { step: 'alerts', tenant_id: 'acme', call_id: second },
      step,
    ]);
    await deliver('qa-pipeline', sent);
    expect(await firingsOf(rule.id)).toHaveLength(1);
    expect(await assignmentsOf(rule.id)).toHaveLength(1);
  });
});

describe('coaching rules: the live event', () => {
  it('reaches the agent it is about and the managers, and no other agent', async () => {
    const worker = (exports as unknown as { default: Fetcher }).default;
    const open = async (who: Who) => {
      const t = await json(await as(who, '/api/command-center/tickets', { method: 'POST', body: {} }));
      const u = new URL(t.url);
      const res = await worker.fetch(
        new Request(`http://api.test${u.pathname}${u.search}`, { headers: { upgrade: 'websocket' } }),
      );
      const ws = res.webSocket!;
      ws.accept();
      const frames: Frame[] = [];
      ws.addEventListener('message', (e) => frames.push(JSON.parse(String(e.data)) as Frame));
      await eventually(async () => frames.some((f) => f.type === 'snapshot'), 5_000, 20);
      return { ws, frames };
    };
    const [agent, other, manager] = await Promise.all([open('acme_agent'), open('acme_agent2'), open('acme_manager')]);

    const crit = await criterion();
    const courseId = await course();
    await createRule(
      ruleBody(crit, {
        condition: { type: 'consecutive_fails', count: 1 },
        action: { type: 'assign_course', course_id: courseId },
      }),
    );
    await deliver('qa-pipeline', [coaching(await scored(crit, false))]);
    const mine = (f: Frame) => f.type === 'coaching.assigned' && (f.data as any).course_id === courseId;
    await eventually(async () => agent.frames.some(mine) && manager.frames.some(mine), 5_000, 20);
    await new Promise((r) => setTimeout(r, 200));
    expect(other.frames.filter(mine), 'another agent does not see it').toEqual([]);
    expect(agent.frames.filter(mine)).toHaveLength(1);
    for (const s of [agent, other, manager]) s.ws.close();
  });
});
