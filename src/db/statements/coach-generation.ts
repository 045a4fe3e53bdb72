/**
 * The statements of course generation: what the model is given (one agent's failing results and
 * their evidence), checked and charged to the day's quota in one statement, and the refund when
 * nothing came of it.
 */
import { sql } from 'drizzle-orm';
import { criterionResults, evaluations, idempotencyKeys, tenants, tenantUsage, users, calls } from '../schema';
import type { QueryBuilder } from '../tenant-db';
import { chargeCall } from './calls';

/** How much evidence one course is written from: enough to teach from, small enough for one prompt. */
export const GROUNDING_LIMITS = { results: 20, resultsPerCriterion: 5, quotesPerResult: 3 } as const;

/** One failing result with what the model is shown of it. */
export interface GroundingResult {
  evaluation_id: string;
  call_id: string;
  criterion_id: string;
  criterion_name: string;
  category: string;
  score: number;
  max_points: number;
  scored_at: string;
  reasoning: string | null;
  evidence: { quote: string; start_seconds: number | null }[];
}

export interface GroundingFlags {
  agent_found: boolean;
  is_agent: boolean;
  /** Positions in `call_ids` of calls that are not this agent's (or not there at all). */
  foreign_calls: number[];
  /** The agent has at least one current scored result. */
  scored: boolean;
  /** Positions in the given weakness areas that match none of the agent's current results. */
  unmatched_areas: number[];
  /** The weakness areas used, given or defaulted, in order. */
  areas: string[];
  results: GroundingResult[];
  /** A stored answer exists for the caller's Idempotency-Key: nothing was checked or charged. */
  replay: boolean;
  charged: boolean;
  /** The day the charge was counted on, for a refund. */
  day: string;
  max_calls_per_day: number | null;
}

/**
 * Everything generation needs before the model is called, in one statement: the agent (an
 * agent of this tenant), the named calls (all the agent's), the weakness areas (given, or the
 * default ones), the most recent failing current results for them with their evaluations'
 * reasoning and evidence, and only when all of that holds, one charge against the day's quota.
 * A request whose Idempotency-Key already has an answer is neither checked nor charged.
 */
export function generationGrounding(
  q: QueryBuilder,
  input: {
    tenantId: string;
    agentId: string;
    weaknessAreas: string[];
    callIds: string[];
    idempotency: { actorId: string; key: string } | null;
  },
) {
  const { tenantId, agentId } = input;
  const agent = sql`${agentId}::uuid`;
  const callIds = sql`${sql.param(input.callIds)}::uuid[]`;
  const areas = sql`select a.area, a.i from unnest(${sql.param(input.weaknessAreas)}::text[]) with ordinality as a(area, i)`;
  const replay = input.idempotency
    ? sql`exists (select 1 from ${idempotencyKeys} k where k.actor_id = ${input.idempotency.actorId}
                   and k.key = ${input.idempotency.key} and k.created_at > now() - interval '24 hours')`
    : sql`false`;
  // The agent's counted results, through the criterion_results_agent index (tenant, agent, ...) where current and released.
  const ofAgent = sql`r.tenant_id = ${tenantId} and r.agent_id = ${agent} and r.current and r.released`;
  const L = GROUNDING_LIMITS;
  return q.execute<{ [K in keyof GroundingFlags]: GroundingFlags[K] }>(sql`
    with agent as (select role from ${users} where id = ${agent}),
    foreign_calls as (
      select coalesce(array_agg((x.i - 1)::int order by x.i), '{}') as idx
        from unnest(${callIds}) with ordinality as x(id, i)
       where not exists (select 1 from ${calls} c where c.id = x.id and c.agent_id = ${agent})
    ),
    areas as (${areas}),
    unmatched as (
      select coalesce(array_agg((a.i - 1)::int order by a.i), '{}') as idx from areas a
       where not exists (select 1 from ${criterionResults} r where ${ofAgent} and (r.criterion_id = a.area or r.category = a.area))
    ),
    failing as (
      select r.*, row_number() over (partition by r.criterion_id order by r.scored_at desc, r.evaluation_id) as nth
        from ${criterionResults} r
       where ${ofAgent} and not r.effective_passed
         and exists (select 1 from areas a where a.area = r.criterion_id or a.area = r.category)
         and (cardinality(${callIds}) = 0 or r.call_id = any(${callIds}))
    ),
    chosen as (
      select * from failing where nth <= ${L.resultsPerCriterion}::int
       order by scored_at desc, evaluation_id limit ${L.results}::int
    ),
    grounded as (
      select c.evaluation_id, c.call_id, c.criterion_id, c.criterion_name, c.category, c.effective_score as score, c.max_points,
             c.scored_at, x.item ->> 'reasoning' as reasoning,
             coalesce((
               select jsonb_agg(jsonb_build_object('quote', q.ev ->> 'quote',
                                                   'start_seconds', (q.ev ->> 'start_seconds')::float8) order by q.n)
                 from (select ev, n from jsonb_array_elements(
                         case when jsonb_typeof(x.item -> 'evidence') = 'array' then x.item -> 'evidence' else '[]'::jsonb end
                       ) with ordinality as e(ev, n)
                       where coalesce(ev ->> 'quote', '') <> '' order by n limit ${L.quotesPerResult}::int) q
             ), '[]'::jsonb) as evidence
        from chosen c
        join ${evaluations} e on e.id = c.evaluation_id
        left join lateral (
          select item from jsonb_array_elements(e.results) item where item ->> 'criterion_id' = c.criterion_id limit 1
        ) x on true
    ),
    replay as (select ${replay} as seen),
    ok as (
      select not (select seen from replay)
         and exists (select 1 from agent where role = 'agent')
         and cardinality((select idx from foreign_calls)) = 0
         and cardinality((select idx from unmatched)) = 0
         and exists (select 1 from grounded) as ok
    ),
    counted as (${chargeCall(tenantId, 0, sql`(select ok from ok)`)})
    select exists (select 1 from agent) as agent_found,
           exists (select 1 from agent where role = 'agent') as is_agent,
           (select idx from foreign_calls) as foreign_calls,
           exists (select 1 from ${criterionResults} r where ${ofAgent}) as scored,
           (select idx from unmatched) as unmatched_areas,
           coalesce((select array_agg(area order by i) from areas), '{}') as areas,
           coalesce((select jsonb_agg(to_jsonb(g) order by g.scored_at desc, g.evaluation_id) from grounded g), '[]'::jsonb)
             as results,
           (select seen from replay) as replay,
           exists (select 1 from counted) as charged,
           current_date::text as day,
           (select (${tenants.limits} ->> 'max_calls_per_day')::int from ${tenants} where ${tenants.id} = ${tenantId})
             as max_calls_per_day`);
}

/** Gives back a charge that bought nothing (the model failed, or the course could not be stored). */
export function refundCharge(q: QueryBuilder, tenantId: string, day: string) {
  return q.execute(sql`
    update ${tenantUsage} set calls = ${tenantUsage.calls} - 1
     where ${tenantUsage.tenantId} = ${tenantId} and ${tenantUsage.day} = ${day}::date and ${tenantUsage.calls} > 0`);
}
