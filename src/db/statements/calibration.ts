/**
 * The statements of calibration sessions. Each write checks its preconditions in SQL, in the same
 * statement as the write they guard, and answers one row of flags the service turns into an
 * outcome. The blind rule is the database's (calibration_scores' policies): these statements
 * never need to filter another grader's scores out, because before a session closes they cannot
 * read them.
 */
import { sql, type SQL } from 'drizzle-orm';
import { coincidenceCells } from './agreement';

const listed = (ids: readonly string[]) =>
  sql`jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb) with ordinality as x(id, n)`;

/**
 * The calls a session names, in order, with each one's current evaluation: the one whose
 * criterion results are current. No current evaluation: not a scored call of this tenant.
 */
function namedCalls(callIds: readonly string[]): SQL {
  return sql`
    select (x.n - 1)::int as i, x.id::uuid as call_id,
           (select r.evaluation_id from criterion_results r where r.call_id = x.id::uuid and r.current limit 1) as evaluation_id
    from ${listed(callIds)}`;
}

/** The graders a session names: role and status (null: not a user of this tenant), and whether they may grade. */
function namedGraders(graderIds: readonly string[]): SQL {
  return sql`
    select (x.n - 1)::int as i, x.id::uuid as grader_id, u.role, u.status,
           coalesce(u.role in ('manager', 'tenant_admin') and u.status = 'active', false) as eligible
    from ${listed(graderIds)} left join users u on u.id = x.id::uuid`;
}

export type NamedCall = { i: number; call_id: string; evaluation_id: string | null };
export type NamedGrader = {
  i: number;
  grader_id: string;
  role: string | null;
  status: string | null;
  eligible: boolean;
};

export const callChecks = (callIds: readonly string[]) => sql`${namedCalls(callIds)} order by x.n`;
export const graderChecks = (graderIds: readonly string[]) => sql`${namedGraders(graderIds)} order by x.n`;

export interface NewSessionRow {
  id: string;
  tenantId: string;
  name: string;
  description: string | null;
  createdBy: string;
  callIds: readonly string[];
  graderIds: readonly string[];
}

/** The session with its calls and graders, written only when every call is scored and every grader may grade. */
export function insertSession(s: NewSessionRow): SQL {
  return sql`
    with named_calls as (${namedCalls(s.callIds)}),
    named_graders as (${namedGraders(s.graderIds)}),
    session as (
      insert into calibration_sessions (id, tenant_id, name, description, created_by)
      select ${s.id}::uuid, ${s.tenantId}, ${s.name}, ${s.description}, ${s.createdBy}
      where not exists (select 1 from named_calls where evaluation_id is null)
        and not exists (select 1 from named_graders where not eligible)
      returning id
    ),
    added_calls as (
      insert into calibration_session_calls (tenant_id, session_id, call_id, evaluation_id, position)
      select ${s.tenantId}, s.id, c.call_id, c.evaluation_id, c.i from session s, named_calls c
      returning 1
    ),
    added_graders as (
      insert into calibration_session_graders (tenant_id, session_id, grader_id)
      select ${s.tenantId}, s.id, g.grader_id from session s, named_graders g
      returning 1
    )
    select count(*)::int as created from session`;
}

/** A session as listed: its fields and how far its graders are. */
export function sessionJson(s: SQL): SQL {
  return sql`jsonb_build_object(
    'id', ${s}.id, 'name', ${s}.name, 'description', ${s}.description, 'status', ${s}.status,
    'created_by', ${s}.created_by, 'created_at', ${s}.created_at, 'updated_at', ${s}.updated_at,
    'closed_by', ${s}.closed_by, 'closed_at', ${s}.closed_at,
    'call_count', (select count(*)::int from calibration_session_calls c where c.session_id = ${s}.id),
    'grader_count', (select count(*)::int from calibration_session_graders g where g.session_id = ${s}.id),
    'scores_given', (select coalesce(sum(g.scored), 0)::int from calibration_session_graders g where g.session_id = ${s}.id))`;
}

export type SessionJson = {
  id: string;
  name: string;
  description: string | null;
  status: 'open' | 'closed';
  created_by: string;
  created_at: string;
  updated_at: string;
  closed_by: string | null;
  closed_at: string | null;
  call_count: number;
  grader_count: number;
  scores_given: number;
};

export const sessionById = (sessionId: string) =>
  sql`select ${sessionJson(sql`s`)} as session from calibration_sessions s where s.id = ${sessionId}::uuid`;

export const sessionGraders = (sessionId: string) => sql`
  select g.grader_id, g.scored, u.email, u.first_name, u.last_name, u.role
  from calibration_session_graders g join users u on u.tenant_id = g.tenant_id and u.id = g.grader_id
  where g.session_id = ${sessionId}::uuid
  order by u.email, g.grader_id`;

export type SessionGraderRow = {
  grader_id: string;
  scored: number;
  email: string;
  first_name: string | null;
  last_name: string | null;
  role: string;
};

/** The session's calls in order, with the criteria to score as the call was scored (never the AI's results). */
export const sessionCalls = (sessionId: string) => sql`
  select sc.call_id, sc.evaluation_id, c.agent_id, c.started_at, e.created_at as scored_at,
         coalesce((select jsonb_agg(jsonb_build_object(
                    'criterion_id', k.c ->> 'id', 'name', k.c ->> 'name', 'description', k.c ->> 'description',
                    'category', k.c ->> 'category', 'max_points', (k.c ->> 'max_points')::int,
                    'auto_fail', coalesce((k.c ->> 'auto_fail')::boolean, false)) order by k.ord)
                   from jsonb_array_elements(e.criteria_snapshot) with ordinality as k(c, ord)), '[]'::jsonb) as criteria
  from calibration_session_calls sc
  join calls c on c.tenant_id = sc.tenant_id and c.id = sc.call_id
  join evaluations e on e.tenant_id = sc.tenant_id and e.id = sc.evaluation_id
  where sc.session_id = ${sessionId}::uuid
  order by sc.position`;

export type SnapshotCriterion = {
  criterion_id: string;
  name: string;
  description: string | null;
  category: string | null;
  max_points: number;
  auto_fail: boolean;
};

export type SessionCallRow = {
  call_id: string;
  evaluation_id: string;
  agent_id: string | null;
  started_at: string | null;
  scored_at: string;
  criteria: SnapshotCriterion[];
};

/** The caller's own scores in a session (optionally of one call): all a grader may see before it closes. */
export const ownScores = (sessionId: string, graderId: string, callId?: string) => sql`
  select call_id, criterion_id, score, passed, comment, updated_at from calibration_scores
  where session_id = ${sessionId}::uuid and grader_id = ${graderId}::uuid
    ${callId ? sql`and call_id = ${callId}::uuid` : sql``}
  order by call_id, criterion_id`;

export type OwnScoreRow = {
  call_id: string;
  criterion_id: string;
  score: number;
  passed: boolean;
  comment: string | null;
  updated_at: string;
};

export interface ScoreInput {
  criterion_id: string;
  score: number;
  passed: boolean;
  comment?: string | null;
}

/**
 * Saves a grader's scores of one call, replacing earlier ones of the same criteria, only when the
 * session is open, the caller is one of its graders, the call is in it, and every criterion is one
 * of the evaluation's (the version the call was scored with) with the score within its max points.
 * The grader's `scored` count moves in the same statement. An unchanged score is not rewritten,
 * so repeating a request changes nothing, not even the audit trail.
 */
export function saveScores(
  tenantId: string,
  sessionId: string,
  callId: string,
  graderId: string,
  scores: ScoreInput[],
) {
  const input = JSON.stringify(scores.map((s) => ({ ...s, comment: s.comment ?? null })));
  return sql`
    with input as (
      select (x.n - 1)::int as i, x.v ->> 'criterion_id' as criterion_id, (x.v ->> 'score')::int as score,
             (x.v ->> 'passed')::boolean as passed, x.v ->> 'comment' as comment
      from jsonb_array_elements(${input}::jsonb) with ordinality as x(v, n)
    ),
    session as (select s.status from calibration_sessions s where s.id = ${sessionId}::uuid),
    member as (
      select 1 from calibration_session_graders g where g.session_id = ${sessionId}::uuid and g.grader_id = ${graderId}::uuid
    ),
    target as (
      select sc.evaluation_id from calibration_session_calls sc
      where sc.session_id = ${sessionId}::uuid and sc.call_id = ${callId}::uuid
    ),
    criteria as (
      select k.c ->> 'id' as criterion_id, (k.c ->> 'max_points')::int as max_points
      from target t join evaluations e on e.id = t.evaluation_id, jsonb_array_elements(e.criteria_snapshot) as k(c)
    ),
    judged as (select i.*, c.max_points from input i left join criteria c on c.criterion_id = i.criterion_id),
    allowed as (
      select coalesce((select status from session) = 'open', false) and exists (select 1 from member)
         and exists (select 1 from target)
         and not exists (select 1 from judged where max_points is null or score > max_points) as ok
    ),
    saved as (
      insert into calibration_scores as cs (tenant_id, session_id, call_id, grader_id, criterion_id, score, max_points, passed, comment)
      select ${tenantId}, ${sessionId}::uuid, ${callId}::uuid, ${graderId}::uuid, j.criterion_id, j.score, j.max_points,
             j.passed, j.comment
      from judged j where (select ok from allowed)
      on conflict (tenant_id, session_id, call_id, grader_id, criterion_id) do update
        set score = excluded.score, passed = excluded.passed, comment = excluded.comment
        where (cs.score, cs.passed, cs.comment) is distinct from (excluded.score, excluded.passed, excluded.comment)
      returning 1
    ),
    -- The statement's snapshot holds the scores as they were: the count is their keys and these.
    counted as (
      update calibration_session_graders g
         set scored = (select count(*) from (
               select s.call_id, s.criterion_id from calibration_scores s
               where s.session_id = ${sessionId}::uuid and s.grader_id = ${graderId}::uuid
               union select ${callId}::uuid, j.criterion_id from judged j) k)
       where g.session_id = ${sessionId}::uuid and g.grader_id = ${graderId}::uuid and (select ok from allowed)
      returning 1
    )
    select (select status from session) as status, exists (select 1 from member) as grader,
           exists (select 1 from target) as in_session, (select ok from allowed) as saved,
           coalesce((select jsonb_agg(jsonb_build_object('i', i, 'max_points', max_points) order by i) from judged),
                    '[]'::jsonb) as judged`;
}

export type SaveScoresRow = {
  status: 'open' | 'closed' | null;
  grader: boolean;
  in_session: boolean;
  saved: boolean;
  judged: { i: number; max_points: number | null }[];
};

/** Who may close, and whether anything was scored: what the close answers from when it closed nothing. */
export const closeChecks = (sessionId: string) => sql`
  select s.status, s.created_by,
         (select coalesce(sum(g.scored), 0)::int from calibration_session_graders g where g.session_id = s.id) as scored
  from calibration_sessions s where s.id = ${sessionId}::uuid`;

/**
 * Closes an open session that has at least one score, for its creator or a tenant admin
 * (`asAdmin`); calibration_sessions_changes holds the database to the same rule.
 */
export const closeSession = (sessionId: string, actorId: string, asAdmin: boolean) => sql`
  update calibration_sessions s set status = 'closed', closed_at = now(), closed_by = ${actorId}
  where s.id = ${sessionId}::uuid and s.status = 'open' and (s.created_by = ${actorId} or ${asAdmin}::boolean)
    and exists (select 1 from calibration_session_graders g where g.session_id = s.id and g.scored > 0)
  returning s.id`;

/**
 * Per session, call and criterion: the graders' consensus (the median score; passed when more than
 * half passed it, failed when fewer did, null on a tie), the spread (max − min, population standard
 * deviation) and how many graders scored it, over the scores `where` selects.
 */
function consensus(where: SQL): SQL {
  return sql`
    select x.session_id, x.call_id, x.criterion_id, x.max_points,
           percentile_cont(0.5) within group (order by x.score) as score,
           case when 2 * count(*) filter (where x.passed) > count(*) then true
                when 2 * count(*) filter (where x.passed) < count(*) then false end as passed,
           (max(x.score) - min(x.score))::int as range, stddev_pop(x.score)::float8 as sd, count(*)::int as graders
    from calibration_scores x where ${where}
    group by x.session_id, x.call_id, x.criterion_id, x.max_points`;
}

/**
 * A closed session's results per call and criterion (in the session's and the criteria set's
 * order): the AI's result beside the consensus, the spread, and every grader's score with its
 * deviation from the consensus. Bounded by the session's calls × criteria.
 */
export const sessionResults = (sessionId: string) => sql`
  with agreed as (${consensus(sql`x.session_id = ${sessionId}::uuid`)})
  select sc.call_id, sc.evaluation_id, k.c ->> 'id' as criterion_id, r.criterion_name, r.max_points,
         r.score as ai_score, r.passed as ai_passed, a.score::float8 as consensus_score, a.passed as consensus_passed,
         a.range, a.sd, coalesce(a.graders, 0) as graders,
         coalesce((select jsonb_agg(jsonb_build_object('grader_id', x.grader_id, 'score', x.score, 'passed', x.passed,
                                                       'comment', x.comment, 'deviation', x.score - a.score)
                                    order by x.grader_id)
                   from calibration_scores x
                   where x.session_id = sc.session_id and x.call_id = sc.call_id and x.criterion_id = r.criterion_id),
                  '[]'::jsonb) as scores
  from calibration_session_calls sc
  join evaluations e on e.tenant_id = sc.tenant_id and e.id = sc.evaluation_id
  cross join lateral jsonb_array_elements(e.criteria_snapshot) with ordinality as k(c, ord)
  join criterion_results r on r.tenant_id = sc.tenant_id and r.evaluation_id = sc.evaluation_id and r.criterion_id = k.c ->> 'id'
  left join agreed a on a.call_id = sc.call_id and a.criterion_id = r.criterion_id
  where sc.session_id = ${sessionId}::uuid
  order by sc.position, k.ord`;

export type ResultRow = {
  call_id: string;
  evaluation_id: string;
  criterion_id: string;
  criterion_name: string;
  max_points: number;
  ai_score: number;
  ai_passed: boolean;
  consensus_score: number | null;
  consensus_passed: boolean | null;
  range: number | null;
  sd: number | null;
  graders: number;
  scores: { grader_id: string; score: number; passed: boolean; comment: string | null; deviation: number }[];
};

/** The graders' scores of a session as ratings: a unit is a call, a rater a grader. */
export const sessionRatings = (sessionId: string) => sql`
  select x.criterion_id, x.max_points, x.call_id::text as unit, x.grader_id::text as rater, x.score as value
  from calibration_scores x where x.session_id = ${sessionId}::uuid`;

/** Krippendorff's coincidence matrix between a session's graders, per criterion. */
export const sessionCoincidence = (sessionId: string) => coincidenceCells(sessionRatings(sessionId));

/** First and last day (inclusive) as SQL date expressions, evaluated once per statement. */
export interface DayRange {
  from: SQL;
  to: SQL;
}

/** The AI's criterion results of closed sessions' evaluations scored on a day of `range` (the tenant's days). */
const closedInRange = (range: DayRange) => sql`
  select sc.session_id, sc.call_id, r.criterion_id, r.criterion_name, r.max_points, r.score, r.passed,
         analytics_day(r.tenant_id, r.agent_id, r.scored_at) as day
  from calibration_sessions s
  join calibration_session_calls sc on sc.tenant_id = s.tenant_id and sc.session_id = s.id
  join criterion_results r on r.tenant_id = sc.tenant_id and r.evaluation_id = sc.evaluation_id
  where s.status = 'closed'
    and analytics_day(r.tenant_id, r.agent_id, r.scored_at) between ${range.from} and ${range.to}`;

/**
 * The pairs of AI score and calibration consensus of closed sessions, for the agreement figures:
 * `ai_score, ai_passed, human_score, human_passed, criterion_id, criterion_name, max_points, week,
 * source`. The period and the week are those of the AI's scoring (the evaluation), in the
 * tenant's days; `week` is the Monday it starts on. A call calibrated in two sessions gives two
 * pairs: each session is a separate human judgement. `human_passed` is null on a tie.
 */
export const calibrationConsensusPairs = (range: DayRange) => sql`
  select ai.score::float8 as ai_score, ai.passed as ai_passed, a.score::float8 as human_score,
         a.passed as human_passed, ai.criterion_id, ai.criterion_name, ai.max_points,
         date_trunc('week', ai.day)::date as week, 'calibration'::text as source
  from (${closedInRange(range)}) ai
  join (${consensus(sql`x.session_id in (select s.id from calibration_sessions s where s.status = 'closed')`)}) a
    on a.session_id = ai.session_id and a.call_id = ai.call_id and a.criterion_id = ai.criterion_id
   and a.max_points = ai.max_points`;

/**
 * The graders' scores behind those pairs, as ratings (a unit is a session's call): where humans
 * overlap, their agreement with each other (Krippendorff's alpha) bounds what to expect of the AI.
 */
export const calibrationRatings = (range: DayRange) => sql`
  select x.criterion_id, x.max_points, ai.session_id::text || '/' || ai.call_id::text as unit,
         x.grader_id::text as rater, x.score as value
  from (${closedInRange(range)}) ai
  join calibration_scores x on x.session_id = ai.session_id and x.call_id = ai.call_id
   and x.criterion_id = ai.criterion_id and x.max_points = ai.max_points`;
