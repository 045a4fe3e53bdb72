/**
 * Coaching that assigns itself. After an evaluation is recorded, the `coaching` step judges the
 * tenant's enabled rules for the criteria of that evaluation against the agent's history in
 * criterion_results, and acts on the rules that fire: an `assign_course` rule assigns its course,
 * a `generate_course` rule queues `coach-generate`, which has a course written and assigns it.
 *
 * Exactly once per rule, agent and triggering evaluation: the firing row's primary key is that
 * triple, and the assignment is written by the same statement, from the firing rows that
 * statement inserted. A retried or duplicated message inserts no firing, so it assigns nothing and
 * publishes nothing.
 *
 * The cooldown runs from the rule's latest firing for the agent, whatever its outcome: a firing
 * that found the course already open (`already_assigned`) also starts one, so a rule looks at an
 * agent at most once per cooldown instead of recording a firing for every failed call while the
 * agent is still on the course.
 */
import { sql } from 'drizzle-orm';
import type { HubEvent } from '../../durable-objects/tenant-hub';
import type { ServiceContext, SystemActor } from '../context';
import { pushToHub } from '../services/alerts';
import { generateCourse } from '../services/ai-coach/generate-course';
import type { PipelineMessage } from './messages';

type Ctx = ServiceContext<SystemActor>;
type CoachingMessage = Extract<PipelineMessage, { step: 'coaching' }>;
type GenerateMessage = Extract<PipelineMessage, { step: 'coach-generate' }>;

/**
 * The evaluations an average_below firing names are its window's newest this many: enough to show
 * why it fired without carrying years of history on an assignment.
 */
export const MAX_TRIGGER_EVALUATIONS = 1000;

/** Who a `coaching.assigned` event is about: the agent sees its own, managers their tenant (or team). */
interface Placement {
  agent_id: string;
  team_id: string | null;
  department_id: string | null;
}

function assignedEvent(
  placement: Placement,
  data: {
    assignment_id: string;
    course_id: string;
    course_title: string | null;
    reason: 'rule' | 'generated';
    rule_id: string;
    rule_name: string | null;
    criterion_id: string;
    evaluation_id: string;
    due_date: string | null;
    priority: string;
  },
): HubEvent {
  return { type: 'coaching.assigned', data: { agent_id: placement.agent_id, ...data }, ...placement };
}

interface FiringRow {
  rule_id: string;
  rule_name: string;
  criterion_id: string;
  /** `generation_pending`: a generate firing recorded by an earlier run whose course is not assigned yet. */
  outcome: 'assigned' | 'already_assigned' | 'generation_queued' | 'generation_pending';
  assignment_id: string | null;
  course_id: string | null;
  course_title: string | null;
  due_date: string | null;
  priority: string;
  agent_id: string;
  team_id: string | null;
  department_id: string | null;
}

/**
 * One statement: the agent of the evaluation's call (active users only; a call without an agent
 * has no one to coach), the enabled rules on the evaluation's current criteria outside their
 * cooldown, each condition judged over the agent's current results as of this evaluation (so a
 * late or retried step judges what the rule saw then), then the firings and assignments.
 *
 * An assignment firing is recorded `assigned` with the id of the assignment written beside it.
 * Should a course be assigned to the agent by someone else between this statement's snapshot and
 * its insert, the assignment is skipped and the firing's foreign key to it fails the statement:
 * the step is retried, and the retry records `already_assigned`.
 */
function judgeAndFire(tenantId: string, msg: CoachingMessage) {
  return sql`
    with subject as materialized (
      select e.id as evaluation_id, c.agent_id, u.team_id, u.department_id, coalesce(o.timezone, 'UTC') as timezone
        from evaluations e
        join calls c on c.id = e.call_id
        join users u on u.id = c.agent_id and u.status = 'active'
        left join organizations o on o.id = u.organization_id
       where e.id = ${msg.evaluation_id}::uuid and e.call_id = ${msg.call_id}::uuid
    ),
    candidates as materialized (
      select ru.*, r.scored_at as as_of, s.agent_id, s.timezone
        from subject s
        join criterion_results r on r.evaluation_id = s.evaluation_id and r.current and r.released
        join coach_rules ru on ru.criterion_id = r.criterion_id and ru.enabled
       where not exists (
         select 1 from coach_rule_firings f
          where f.rule_id = ru.id and f.agent_id = s.agent_id
            and f.fired_at > now() - make_interval(days => ru.cooldown_days))
    ),
    judged as materialized (
      select k.id as rule_id, k.name as rule_name, k.criterion_id, k.action, k.course_id, k.due_in_days, k.priority,
             k.agent_id, k.timezone,
             case when k.condition = 'consecutive_fails' then cf.n = k.fail_count and cf.all_failed
                  else ab.n >= k.min_evaluations and ab.points * 100 < k.threshold_pct * ab.max_points end as fires,
             coalesce(cf.ids, ab.ids) as trigger_ids
        from candidates k
        -- The last fail_count results, newest first (criterion_results_agent).
        cross join lateral (
          select count(*)::int as n, bool_and(not x.passed) as all_failed,
                 array_agg(x.evaluation_id order by x.scored_at desc) as ids
            from (select h.evaluation_id, h.scored_at, h.effective_passed as passed
                    from criterion_results h
                   where k.condition = 'consecutive_fails' and h.agent_id = k.agent_id and h.criterion_id = k.criterion_id
                     and h.current and h.released and h.scored_at <= k.as_of
                   -- The index's own order (desc nulls last): the scan stops after fail_count rows, no sort.
                   order by h.scored_at desc nulls last
                   limit k.fail_count) x
        ) cf
        -- Points over max points in the window ending at this evaluation (criterion_results_agent).
        cross join lateral (
          select count(*)::int as n, sum(h.effective_score)::bigint as points, sum(h.max_points)::bigint as max_points,
                 (array_agg(h.evaluation_id order by h.scored_at desc))[1:${MAX_TRIGGER_EVALUATIONS}] as ids
            from criterion_results h
           where k.condition = 'average_below' and h.agent_id = k.agent_id and h.criterion_id = k.criterion_id
             and h.current and h.released and h.scored_at <= k.as_of and h.scored_at > k.as_of - make_interval(days => k.window_days)
        ) ab
    ),
    fired as materialized (
      select j.*, co.version as course_version, co.title as course_title, gen_random_uuid() as assignment_id,
             (current_timestamp at time zone j.timezone)::date + j.due_in_days as due_date,
             j.action = 'assign_course' and (
               exists (select 1 from coach_assignments a
                        where a.agent_id = j.agent_id and a.course_id = j.course_id and a.status in ('assigned', 'in_progress'))
               -- Two rules with one course firing together: the first assigns it, the other finds it assigned.
               or row_number() over (partition by j.course_id order by j.rule_id) > 1
             ) as already_open
        from judged j
        left join coach_courses co on co.id = j.course_id
       where j.fires and (j.action = 'generate_course' or co.status <> 'archived')
    ),
    claimed as (
      insert into coach_rule_firings (tenant_id, rule_id, agent_id, evaluation_id, outcome, assignment_id)
      select ${tenantId}, f.rule_id, f.agent_id, ${msg.evaluation_id}::uuid,
             case when f.action = 'generate_course' then 'generation_queued'
                  when f.already_open then 'already_assigned' else 'assigned' end,
             case when f.action = 'assign_course' and not f.already_open then f.assignment_id end
        from fired f
      on conflict do nothing
      returning rule_id, outcome
    ),
    assigned as (
      insert into coach_assignments (id, tenant_id, course_id, course_version, agent_id, assigned_by, due_date, priority,
                                     reason, rule_id, trigger_evaluation_ids)
      select f.assignment_id, ${tenantId}, f.course_id, f.course_version, f.agent_id, null, f.due_date, f.priority,
             'rule', f.rule_id, f.trigger_ids
        from claimed c join fired f on f.rule_id = c.rule_id
       where c.outcome = 'assigned'
      on conflict (tenant_id, agent_id, course_id) where status in ('assigned', 'in_progress') do nothing
      returning id, rule_id, course_id, due_date
    )
    select c.rule_id, f.rule_name, f.criterion_id, c.outcome, a.id as assignment_id, a.course_id, f.course_title,
           a.due_date::text as due_date, f.priority, s.agent_id, s.team_id, s.department_id
      from claimed c
      join fired f on f.rule_id = c.rule_id
      left join assigned a on a.rule_id = c.rule_id
      cross join subject s
    union all
    -- Generate firings an earlier run recorded but whose course is not assigned yet: a crash between
    -- that run's commit and its send would otherwise lose them. coach-generate is idempotent.
    select f.rule_id, ru.name, ru.criterion_id, 'generation_pending', null, null, null, null, ru.priority,
           s.agent_id, s.team_id, s.department_id
      from subject s
      join coach_rule_firings f on f.evaluation_id = s.evaluation_id and f.agent_id = s.agent_id
                                and f.outcome = 'generation_queued'
      join coach_rules ru on ru.id = f.rule_id and ru.enabled
     where not exists (select 1 from coach_assignments a
                        where a.rule_id = f.rule_id and a.agent_id = f.agent_id and a.reason = 'generated'
                          and f.evaluation_id = any(a.trigger_evaluation_ids))`;
}

/** The `coaching` step. Returns what fired, for the log and for tests. */
export async function applyCoachingRules(ctx: Ctx, msg: CoachingMessage): Promise<FiringRow[]> {
  const [result] = await ctx.db.run((q) => [q.execute(judgeAndFire(msg.tenant_id, msg))]);
  const rows = result.rows as unknown as FiringRow[];
  for (const r of rows) {
    if (r.outcome === 'assigned' && r.assignment_id) {
      await pushToHub(
        ctx,
        assignedEvent(r, {
          assignment_id: r.assignment_id,
          course_id: r.course_id!,
          course_title: r.course_title,
          reason: 'rule',
          rule_id: r.rule_id,
          rule_name: r.rule_name,
          criterion_id: r.criterion_id,
          evaluation_id: msg.evaluation_id,
          due_date: r.due_date,
          priority: r.priority,
        }),
      );
    }
    if (r.outcome === 'generation_queued' || r.outcome === 'generation_pending') {
      await ctx.pipeline.send({
        step: 'coach-generate',
        tenant_id: msg.tenant_id,
        rule_id: r.rule_id,
        agent_id: r.agent_id,
        evaluation_id: msg.evaluation_id,
        criterion_id: r.criterion_id,
      });
    }
  }
  const fired = rows.filter((r) => r.outcome !== 'generation_pending');
  if (fired.length)
    ctx.log.info('coaching rules fired', {
      call_id: msg.call_id,
      evaluation_id: msg.evaluation_id,
      firings: fired.map((r) => ({ rule_id: r.rule_id, outcome: r.outcome, assignment_id: r.assignment_id })),
    });
  return rows;
}

// ---- coach-generate -----------------------------------------------------------------------------

/**
 * What writes a course for an agent from its own evaluations and returns the draft's id.
 * `trigger` names the firing (`<rule>:<agent>:<evaluation>`), so a step retried after the course
 * was written, but before it was assigned, gets the same course back (see `courseWriter`).
 */
export type CourseGenerator = (
  ctx: ServiceContext,
  input: { agentId: string; weaknessAreas: string[]; callIds?: string[]; requestedBy: string | null; trigger?: string },
) => Promise<{ course_id: string }>;

/**
 * The course writer the pipeline runs `coach-generate` with: the same generation as
 * `POST /api/ai-coach/generate-course`. The firing key doubles as the generation's idempotency
 * key, so a step retried after the course was written gets that course back instead of a second
 * model call and a second draft.
 */
export const courseWriter: CourseGenerator = (ctx, input) =>
  generateCourse(ctx, {
    agentId: input.agentId,
    weaknessAreas: input.weaknessAreas,
    callIds: input.callIds,
    requestedBy: input.requestedBy,
    ...(input.trigger ? { idempotencyKey: `coach-generate:${input.trigger}` } : {}),
  });

export const firingKey = (msg: Pick<GenerateMessage, 'rule_id' | 'agent_id' | 'evaluation_id'>) =>
  `${msg.rule_id}:${msg.agent_id}:${msg.evaluation_id}`;

/**
 * The `coach-generate` step: a course written for the agent from the evaluations that made the rule
 * fire, assigned with reason `generated`. Firings cannot be updated (they are a ledger), so the
 * generated assignment is found by its rule, agent and triggering evaluation
 * (`trigger_evaluation_ids` holds it): when one exists the step is done, and nothing is generated
 * twice for a retried or duplicated message that arrives after the assignment. A disabled or
 * deleted rule generates nothing.
 */
export async function generateAndAssign(
  ctx: Ctx,
  msg: GenerateMessage,
  generate: CourseGenerator,
): Promise<{ assignment_id: string | null; course_id: string | null; generated: boolean }> {
  const key = firingKey(msg);
  const [firing, rules, done, triggers, agents] = await ctx.db.run((q) => [
    q.execute(sql`
      select 1 from coach_rule_firings
       where rule_id = ${msg.rule_id}::uuid and agent_id = ${msg.agent_id}::uuid
         and evaluation_id = ${msg.evaluation_id}::uuid and outcome = 'generation_queued'`),
    q.execute(sql`select name, enabled, due_in_days, priority from coach_rules where id = ${msg.rule_id}::uuid`),
    q.execute(sql`
      select id from coach_assignments
       where rule_id = ${msg.rule_id}::uuid and agent_id = ${msg.agent_id}::uuid and reason = 'generated'
         and ${msg.evaluation_id}::uuid = any(trigger_evaluation_ids)
       limit 1`),
    // The evaluations that made the rule fire, as of the triggering one, and their calls.
    q.execute(sql`
      select h.evaluation_id, h.call_id
        from coach_rules ru
        join criterion_results e0 on e0.evaluation_id = ${msg.evaluation_id}::uuid and e0.criterion_id = ru.criterion_id
        cross join lateral (
          select h.evaluation_id, h.call_id, h.scored_at
            from criterion_results h
           where h.agent_id = ${msg.agent_id}::uuid and h.criterion_id = ru.criterion_id and h.current and h.released
             and h.scored_at <= e0.scored_at
             and (ru.condition = 'consecutive_fails' or h.scored_at > e0.scored_at - make_interval(days => ru.window_days))
           order by h.scored_at desc nulls last
           limit case when ru.condition = 'consecutive_fails' then ru.fail_count else ${MAX_TRIGGER_EVALUATIONS} end
        ) h
       where ru.id = ${msg.rule_id}::uuid
       order by h.scored_at desc`),
    q.execute(sql`
      select u.team_id, u.department_id, coalesce(o.timezone, 'UTC') as timezone
        from users u left join organizations o on o.id = u.organization_id
       where u.id = ${msg.agent_id}::uuid and u.status = 'active'`),
  ]);
  const rule = rules.rows[0] as { name: string; enabled: boolean; due_in_days: number; priority: string } | undefined;
  const agent = agents.rows[0] as
    { team_id: string | null; department_id: string | null; timezone: string } | undefined;
  const existing = (done.rows[0] as { id: string } | undefined)?.id;
  if (!firing.rows.length || !rule?.enabled || !agent || existing)
    return { assignment_id: existing ?? null, course_id: null, generated: false };

  const pairs = triggers.rows as { evaluation_id: string; call_id: string }[];
  const evaluationIds = [
    msg.evaluation_id,
    ...pairs.map((p) => p.evaluation_id).filter((id) => id !== msg.evaluation_id),
  ];
  const callIds = [...new Set(pairs.map((p) => p.call_id))];
  const { course_id: courseId } = await generate(ctx, {
    agentId: msg.agent_id,
    weaknessAreas: [msg.criterion_id],
    callIds,
    requestedBy: null,
    trigger: key,
  });

  const [, inserted, titled] = await ctx.db.run((q) => [
    // Duplicates of this step queue up here, so the second one sees the first one's assignment.
    q.execute(sql`select 1 from coach_rules where id = ${msg.rule_id}::uuid for no key update`),
    q.execute(sql`
      insert into coach_assignments (tenant_id, course_id, course_version, agent_id, assigned_by, due_date, priority,
                                     reason, rule_id, trigger_evaluation_ids)
      select ${msg.tenant_id}, c.id, c.version, ${msg.agent_id}::uuid, null,
             (current_timestamp at time zone ${agent.timezone})::date + ${rule.due_in_days}::int,
             ${rule.priority}, 'generated', ${msg.rule_id}::uuid, ${sql.param(evaluationIds)}::uuid[]
        from coach_courses c
       where c.id = ${courseId}::uuid
         and not exists (select 1 from coach_assignments a
                          where a.rule_id = ${msg.rule_id}::uuid and a.agent_id = ${msg.agent_id}::uuid
                            and a.reason = 'generated' and ${msg.evaluation_id}::uuid = any(a.trigger_evaluation_ids))
      on conflict (tenant_id, agent_id, course_id) where status in ('assigned', 'in_progress') do nothing
      returning id, due_date::text as due_date`),
    q.execute(sql`select title from coach_courses where id = ${courseId}::uuid`),
  ]);
  const created = inserted.rows[0] as { id: string; due_date: string } | undefined;
  if (created) {
    const placement = agent;
    const course = titled.rows[0] as { title: string } | undefined;
    await pushToHub(
      ctx,
      assignedEvent(
        { agent_id: msg.agent_id, team_id: placement.team_id, department_id: placement.department_id },
        {
          assignment_id: created.id,
          course_id: courseId,
          course_title: course?.title ?? null,
          reason: 'generated',
          rule_id: msg.rule_id,
          rule_name: rule.name,
          criterion_id: msg.criterion_id,
          evaluation_id: msg.evaluation_id,
          due_date: created.due_date,
          priority: rule.priority,
        },
      ),
    );
    ctx.log.info('generated course assigned', { rule_id: msg.rule_id, course_id: courseId, assignment_id: created.id });
  }
  return { assignment_id: created?.id ?? null, course_id: courseId, generated: true };
}
