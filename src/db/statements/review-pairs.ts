import { sql } from 'drizzle-orm';
import type { DayRange } from './calibration';

/**
 * The pairs of AI score and human score that reviews and resolved disputes leave, for the agreement
 * figures: every criterion a human scored (or confirmed) beside the model's own result for it, on
 * the day and week of the AI's scoring (the tenant's days). Manual evaluations have no model score
 * to pair and are left out. `source` is the item's: `review` or `dispute`.
 */
export const reviewPairs = (range: DayRange) => sql`
  select r.score::float8 as ai_score, r.passed as ai_passed, i.score::float8 as human_score, i.passed as human_passed,
         r.criterion_id, r.criterion_name, r.max_points,
         date_trunc('week', analytics_day(r.tenant_id, r.agent_id, r.scored_at))::date as week, i.source::text as source
  from evaluation_review_items i
  join criterion_results r on r.tenant_id = i.tenant_id and r.evaluation_id = i.evaluation_id and r.criterion_id = i.criterion_id
  join evaluations e on e.tenant_id = i.tenant_id and e.id = i.evaluation_id
  where e.grading_mode <> 'manual'
    and analytics_day(r.tenant_id, r.agent_id, r.scored_at) between ${range.from} and ${range.to}`;
