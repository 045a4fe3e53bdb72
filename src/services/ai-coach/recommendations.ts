/**
 * Recommendations for an agent: its skill gaps per criterion (beside its team and tenant), the
 * published courses that train them, and the few gaps to work on first with quotes from its own
 * calls. Everything comes from one statement (db/statements/skill-gaps.ts), one round trip.
 *
 * A criterion is a gap when, over the window, any of these holds:
 * - the agent's last `GAP_CONSECUTIVE_FAILS` (2) or more results of it failed in a row;
 * - the agent scores below `GAP_THRESHOLD_PCT` (70%) of its max points;
 * - the agent scores more than `GAP_MARGIN_PCT` (5) points below the tenant's percentage.
 * Improvement areas are the gaps with at least two evidence quotes (so the agent can see why),
 * lowest percentage first, at most five.
 */
import type { ServiceContext, UserContext } from '../../context';
import { atLeast } from '../../auth/roles';
import {
  skillGaps as skillGapsStatement,
  type SkillGapRow,
  type SkillGapsResult,
} from '../../db/statements/skill-gaps';
import { NotFound } from '../../lib/errors';
import { iso, tenantOf } from '../scope';

export const DEFAULT_WINDOW_DAYS = 90;
export const MAX_IMPROVEMENT_AREAS = 5;
export const MIN_EVIDENCE_QUOTES = 2;

export type SkillGap = SkillGapRow;

async function load(ctx: ServiceContext, agentId: string, windowDays: number, withCourses: boolean) {
  const tenantId = tenantOf(ctx);
  const [result] = await ctx.db.run((q) => [skillGapsStatement(q, { tenantId, agentId, windowDays, withCourses })]);
  const row = result.rows[0] as unknown as SkillGapsResult | undefined;
  // Not a user of this tenant, or a user who is not an agent: neither has recommendations.
  if (!row?.agent || row.agent.role !== 'agent') throw new NotFound('Agent');
  const criteria = row.criteria.map((c) => ({
    ...c,
    last_scored_at: iso(c.last_scored_at),
    evidence: c.evidence.map((e) => ({ ...e, scored_at: iso(e.scored_at) })),
  }));
  return { criteria, courses: row.courses };
}

/**
 * Every criterion the agent has current results for in the window, gaps first (`is_gap`,
 * `gap_reasons`), with evidence from its most recent failed results. Also what course generation
 * reads when no weakness areas are given.
 */
export async function skillGaps(ctx: ServiceContext, agentId: string, windowDays = DEFAULT_WINDOW_DAYS) {
  return (await load(ctx, agentId, windowDays, false)).criteria;
}

/**
 * An agent reads only its own recommendations: another agent's id answers 404, as an id that
 * does not exist does, so ids cannot be probed.
 */
export async function recommendationsFor(ctx: UserContext, agentId: string, windowDays = DEFAULT_WINDOW_DAYS) {
  if (!atLeast(ctx.actor.role, 'manager') && agentId !== ctx.actor.userId) throw new NotFound('Agent');
  const { criteria, courses } = await load(ctx, agentId, windowDays, true);
  return {
    agent_id: agentId,
    window_days: windowDays,
    skill_gaps: criteria,
    recommended_courses: courses,
    improvement_areas: criteria
      .filter((c) => c.is_gap && c.evidence.length >= MIN_EVIDENCE_QUOTES)
      .slice(0, MAX_IMPROVEMENT_AREAS)
      .map((c) => ({
        criterion_id: c.criterion_id,
        name: c.name,
        category: c.category,
        agent_pct: c.agent_pct,
        team_pct: c.team_pct,
        tenant_pct: c.tenant_pct,
        consecutive_fails: c.consecutive_fails,
        gap_reasons: c.gap_reasons,
        evidence: c.evidence,
      })),
  };
}
