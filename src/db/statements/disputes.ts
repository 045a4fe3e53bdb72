/**
 * The statements of disputes. Each move checks its preconditions in SQL, in the statement that
 * writes, and answers one row of flags the service turns into an outcome; the disputes policies
 * hold the database to the same state machine (final states are final, an agent only withdraws,
 * nobody decides a dispute of their own call).
 */
import { sql, type SQL } from 'drizzle-orm';
import type { DisputeDecision, DisputeStatus } from '../schema';

/** Days after the evaluation's release an agent may dispute it, unless `disputes.window_days` says otherwise. */
export const DEFAULT_WINDOW_DAYS = 7;
/** Pending (open or in review) disputes per evaluation, unless `disputes.max_open_per_evaluation` says otherwise. */
export const DEFAULT_MAX_OPEN = 1;

/** A number setting of the tenant's `disputes` category, clamped to [min, max], else the default, as SQL. */
const disputeSetting = (key: string, fallback: number, min: number, max: number) =>
  sql`coalesce((select case when jsonb_typeof(s."values" -> ${key}::text) = 'number'
                            then least(greatest(floor((s."values" ->> ${key}::text)::numeric), ${min}::numeric), ${max}::numeric)::int end
                from settings s where s.category = 'disputes'), ${fallback}::int)`;

export const windowDays = disputeSetting('window_days', DEFAULT_WINDOW_DAYS, 0, 365);
export const maxOpenPerEvaluation = disputeSetting('max_open_per_evaluation', DEFAULT_MAX_OPEN, 1, 20);

/** Serialises the disputes of one call, so two at once cannot both pass the limit. */
export const lockCallDisputes = (callId: string) =>
  sql`select pg_advisory_xact_lock(hashtextextended('disputes:' || ${callId}::text, 0))`;

export interface OpenItem {
  criterion_id: string;
  proposed_score: number;
  reason: string;
}

/**
 * Opens a dispute of the call's current evaluation for the caller, only when the caller is the
 * call's agent, the evaluation is released, its window is still open, the limit of pending
 * disputes is not reached, and every item names a criterion of the evaluation with a proposal
 * within its max points (as the call was scored). Each item records what was in force then.
 */
export function openDispute(input: {
  id: string;
  tenantId: string;
  callId: string;
  actorId: string;
  comment: string | null;
  items: OpenItem[];
}) {
  const items = JSON.stringify(input.items);
  return sql`
    with target as materialized (
      select c.id as call_id, c.agent_id, e.id as evaluation_id, e.released_at,
             e.released_at + ${windowDays} * interval '1 day' as window_ends_at
      from calls c left join evaluations e on e.tenant_id = c.tenant_id and e.call_id = c.id and e.current
      where c.id = ${input.callId}::uuid
    ),
    input as (
      select (x.n - 1)::int as i, x.v ->> 'criterion_id' as criterion_id, (x.v ->> 'proposed_score')::int as proposed_score,
             x.v ->> 'reason' as reason
      from jsonb_array_elements(${items}::jsonb) with ordinality as x(v, n)
    ),
    judged as materialized (
      select i.*, r.criterion_name, r.max_points, r.effective_score, r.effective_passed
      from input i
      left join criterion_results r on r.evaluation_id = (select evaluation_id from target) and r.criterion_id = i.criterion_id
    ),
    checks as (
      select exists (select 1 from target) as found,
             coalesce((select agent_id::text = ${input.actorId} from target), false) as own,
             coalesce((select evaluation_id is not null and released_at is not null from target), false) as released,
             coalesce((select now() < window_ends_at from target), false) as in_window,
             (select window_ends_at from target) as window_ends_at,
             (select count(*)::int from disputes d
               where d.evaluation_id = (select evaluation_id from target) and d.status in ('open', 'in_review')) as pending,
             ${maxOpenPerEvaluation} as max_open,
             coalesce((select jsonb_agg(jsonb_build_object('i', i, 'max_points', max_points,
                                                           'known', effective_score is not null) order by i)
                       from judged), '[]'::jsonb) as judged
    ),
    ok as (
      select c.found and c.own and c.released and c.in_window and c.pending < c.max_open
             and not exists (select 1 from judged where max_points is null or effective_score is null
                                                   or proposed_score > max_points) as ok
      from checks c
    ),
    dispute as (
      insert into disputes (id, tenant_id, call_id, evaluation_id, agent_id, comment, window_ends_at)
      select ${input.id}::uuid, ${input.tenantId}, t.call_id, t.evaluation_id, t.agent_id, ${input.comment}, t.window_ends_at
      from target t where (select ok from ok)
      returning id, agent_id
    ),
    items as (
      insert into dispute_items (tenant_id, dispute_id, agent_id, position, criterion_id, criterion_name, max_points,
                                 original_score, original_passed, proposed_score, reason)
      select ${input.tenantId}, d.id, d.agent_id, j.i, j.criterion_id, j.criterion_name, j.max_points, j.effective_score,
             j.effective_passed, j.proposed_score, j.reason
      from judged j cross join dispute d
      returning 1
    )
    select c.*, exists (select 1 from dispute) as opened from checks c`;
}

export type OpenFlags = {
  found: boolean;
  own: boolean;
  released: boolean;
  in_window: boolean;
  window_ends_at: string | null;
  pending: number;
  max_open: number;
  judged: { i: number; max_points: number | null; known: boolean }[];
  opened: boolean;
};

/** What every move answers from when it moved nothing: the dispute as it was. */
export const disputeState = (disputeId: string) => sql`
  select d.status, d.agent_id::text as agent_id, d.call_id, d.evaluation_id from disputes d where d.id = ${disputeId}::uuid`;

export type DisputeStateRow = { status: DisputeStatus; agent_id: string; call_id: string; evaluation_id: string };

/** Takes an open dispute in review, for someone who is not its agent. */
export const takeInReview = (disputeId: string, actorId: string) => sql`
  update disputes set status = 'in_review', reviewer_id = ${actorId}, review_started_at = now()
  where id = ${disputeId}::uuid and status = 'open' and agent_id::text <> ${actorId}
  returning id`;

/** Withdraws a pending dispute, for its agent only. */
export const withdraw = (disputeId: string, actorId: string) => sql`
  update disputes set status = 'withdrawn', closed_at = now()
  where id = ${disputeId}::uuid and status in ('open', 'in_review') and agent_id::text = ${actorId}
  returning id`;

/** Locks a pending dispute for its resolution: a withdrawal at the same time waits, then finds it resolved. */
export const lockPendingDispute = (disputeId: string) =>
  sql`select id from disputes where id = ${disputeId}::uuid and status in ('open', 'in_review') for update`;

/** The condition under which a resolution applies: the dispute is in review and the decider is not its agent. */
export const resolvable = (disputeId: string, actorId: string) => sql`exists (
  select 1 from disputes d where d.id = ${disputeId}::uuid and d.status = 'in_review' and d.agent_id::text <> ${actorId})`;

export interface Decision {
  criterion_id: string;
  decision: DisputeDecision;
  comment: string;
}

/**
 * Resolves a dispute in review, once its human scores were written in the same transaction (the
 * review items that name it as their source), and records each decision with the value now in
 * force for the criterion.
 */
export function resolveDispute(disputeId: string, actorId: string, comment: string | null, decisions: Decision[]) {
  return sql`
    with resolved as (
      update disputes d set status = 'resolved', resolved_by = ${actorId}, resolution_comment = ${comment}, closed_at = now()
      where d.id = ${disputeId}::uuid and d.status = 'in_review' and d.agent_id::text <> ${actorId}
        and exists (select 1 from evaluation_review_items i where i.source = 'dispute' and i.source_id = d.id)
      returning d.id, d.evaluation_id
    ),
    decided as (
      update dispute_items di
         set decision = x.decision, decided_score = r.effective_score, decided_passed = r.effective_passed,
             decision_comment = x.comment
      from jsonb_to_recordset(${JSON.stringify(decisions)}::jsonb) as x(criterion_id text, decision text, comment text),
           resolved d, criterion_results r
      where di.dispute_id = d.id and di.criterion_id = x.criterion_id
        and r.evaluation_id = d.evaluation_id and r.criterion_id = x.criterion_id
      returning 1
    )
    select exists (select 1 from resolved) as resolved, (select count(*)::int from decided) as decided`;
}

/**
 * Open disputes whose window has passed, across tenants (the platform job), a batch at a time.
 * No RETURNING: the platform job reads lapsed open disputes only, not the expired rows it leaves.
 */
export const expireLapsed = (limit: number) => sql`
  update disputes set status = 'expired', closed_at = now()
  where id in (select id from disputes where status = 'open' and window_ends_at <= now() order by window_ends_at limit ${limit})
    and status = 'open' and window_ends_at <= now()`;

/** A dispute as shown: its fields, its agent, and its items in the order they were given. */
export function disputeJson(d: SQL): SQL {
  return sql`jsonb_build_object(
    'id', ${d}.id, 'call_id', ${d}.call_id, 'evaluation_id', ${d}.evaluation_id, 'status', ${d}.status,
    'agent', jsonb_build_object('id', ${d}.agent_id, 'team_id', u.team_id,
                                'name', coalesce(nullif(trim(concat_ws(' ', u.first_name, u.last_name)), ''), u.email)),
    'comment', ${d}.comment, 'window_ends_at', ${d}.window_ends_at, 'opened_at', ${d}.created_at,
    'reviewer_id', ${d}.reviewer_id, 'review_started_at', ${d}.review_started_at, 'resolved_by', ${d}.resolved_by,
    'resolution_comment', ${d}.resolution_comment, 'closed_at', ${d}.closed_at, 'updated_at', ${d}.updated_at,
    'age_hours', floor(extract(epoch from now() - ${d}.created_at) / 3600)::int,
    'items', coalesce((select jsonb_agg(jsonb_build_object(
                 'criterion_id', i.criterion_id, 'name', i.criterion_name, 'max_points', i.max_points,
                 'original', jsonb_build_object('score', i.original_score, 'passed', i.original_passed),
                 'proposed_score', i.proposed_score, 'reason', i.reason, 'decision', i.decision,
                 'decided', case when i.decision is null then null
                                 else jsonb_build_object('score', i.decided_score, 'passed', i.decided_passed) end,
                 'decision_comment', i.decision_comment) order by i.position)
               from dispute_items i where i.tenant_id = ${d}.tenant_id and i.dispute_id = ${d}.id), '[]'::jsonb))`;
}

export type DisputeJson = {
  id: string;
  call_id: string;
  evaluation_id: string;
  status: DisputeStatus;
  agent: { id: string; team_id: string | null; name: string | null };
  comment: string | null;
  window_ends_at: string;
  opened_at: string;
  reviewer_id: string | null;
  review_started_at: string | null;
  resolved_by: string | null;
  resolution_comment: string | null;
  closed_at: string | null;
  updated_at: string;
  age_hours: number;
  items: {
    criterion_id: string;
    name: string;
    max_points: number;
    original: { score: number; passed: boolean };
    proposed_score: number;
    reason: string;
    decision: DisputeDecision | null;
    decided: { score: number; passed: boolean } | null;
    decision_comment: string | null;
  }[];
};

export const disputeById = (disputeId: string) => sql`
  select ${disputeJson(sql`d`)} as dispute
  from disputes d left join users u on u.tenant_id = d.tenant_id and u.id = d.agent_id
  where d.id = ${disputeId}::uuid`;
