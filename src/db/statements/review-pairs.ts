import { sql } from 'drizzle-orm';
import type { DayRange } from './calibration';

/**
 * The pairs of AI score and human score that reviews and resolved disputes leave, for the agreement
 * figures: every criterion a human scored (or confirmed) beside the model's own result for it, on
 * the day and week of the AI's scoring (the tenant's days). Manual evaluations have no model score
 * to pair and are left out. `source` is the item's: `review` or `dispute`.
 *
 * The day is `analytics_day`'s (the agent's time zone, the agent as the review item records it),
 * but the zone is looked up once per agent (`zones`) rather than once per row: the lookup reads
 * users, organizations and settings through their row policies, and per row it cost milliseconds
 * a pair (bench:analytics).
 */
export const reviewPairs = (range: DayRange) => sql`
  with zones as materialized (
    select a.agent_id, analytics_time_zone(current_tenant(), nullif(a.agent_id, ${NO_AGENT}::uuid)) as tz
    from (select distinct coalesce(agent_id, ${NO_AGENT}::uuid) as agent_id from evaluation_review_items) a
  )
  select r.score::float8 as ai_score, r.passed as ai_passed, i.score::float8 as human_score, i.passed as human_passed,
         r.criterion_id, r.criterion_name, r.max_points, date_trunc('week', d.day)::date as week, i.source::text as source
  from evaluation_review_items i
  join criterion_results r on r.tenant_id = i.tenant_id and r.evaluation_id = i.evaluation_id and r.criterion_id = i.criterion_id
  join evaluations e on e.tenant_id = i.tenant_id and e.id = i.evaluation_id
  join zones z on z.agent_id = coalesce(i.agent_id, ${NO_AGENT}::uuid)
  cross join lateral (select (r.scored_at at time zone z.tz)::date as day) d
  where e.grading_mode <> 'manual' and d.day between ${range.from} and ${range.to}`;

/** Stands in for a call without an agent, so the zones join is a plain equality. */
const NO_AGENT = '00000000-0000-0000-0000-000000000000';
