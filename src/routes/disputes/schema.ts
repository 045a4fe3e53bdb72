import { z } from '@hono/zod-openapi';
import { DISPUTE_DECISIONS, DISPUTE_STATUSES } from '../../db/schema';
import { OlderThanHours, orNull, Timestamp } from '../shared/schemas';

const Text = (max: number) =>
  z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
const CriterionId = z.string().min(1, 'must not be empty').max(100, 'must be at most 100 characters');
const Points = z.number().int('must be a whole number').min(0, 'must be at least 0').max(100, 'must be at most 100');

/** Each criterion at most once in a list of items. */
function once<T extends { criterion_id: string }>(list: T[], ctx: z.RefinementCtx) {
  const seen = new Set<string>();
  list.forEach((item, i) => {
    if (seen.has(item.criterion_id))
      ctx.addIssue({ code: 'custom', path: [i, 'criterion_id'], message: 'is already named earlier in the list' });
    seen.add(item.criterion_id);
  });
}

export const OpenDispute = z
  .strictObject({
    items: z
      .array(
        z.strictObject({
          criterion_id: CriterionId,
          proposed_score: Points.openapi({
            description: "0..max_points of the criterion as the call was scored (the evaluation's criteria snapshot)",
          }),
          reason: Text(2000),
        }),
      )
      .min(1, 'must dispute at least one criterion')
      .max(50, 'must hold at most 50 items')
      .superRefine(once),
    comment: z.string().trim().max(2000, 'must be at most 2000 characters').nullish(),
  })
  .openapi('OpenDispute');

export const ResolveDispute = z
  .strictObject({
    items: z
      .array(
        z
          .strictObject({
            criterion_id: CriterionId,
            decision: z.enum(DISPUTE_DECISIONS).openapi({
              description:
                "upheld: the value in force stays (an earlier human score is kept); overturned: the agent's proposal; modified: the score given here",
            }),
            score: Points.optional().openapi({
              description: "Only with modified; passed follows at the tenant's passing percentage (qa.passing_score)",
            }),
            comment: Text(2000),
          })
          .superRefine((d, ctx) => {
            if (d.decision === 'modified' && d.score === undefined)
              ctx.addIssue({ code: 'custom', path: ['score'], message: 'is required when the decision is modified' });
            if (d.decision !== 'modified' && d.score !== undefined)
              ctx.addIssue({ code: 'custom', path: ['score'], message: 'is given only when the decision is modified' });
          }),
      )
      .min(1, 'must decide at least one criterion')
      .max(50, 'must hold at most 50 items')
      .superRefine(once),
    comment: z.string().trim().max(2000, 'must be at most 2000 characters').nullish(),
  })
  .openapi('ResolveDispute', { description: 'Every item of the dispute is decided, in this one request' });

export const ListDisputesQuery = z.object({
  status: z.enum(DISPUTE_STATUSES).optional(),
  agent_id: z.uuid('must be a UUID').optional(),
  team_id: z.uuid('must be a UUID').optional(),
  older_than_hours: OlderThanHours('Opened'),
});

const Value = z.object({ score: z.number().int(), passed: z.boolean() });

export const Dispute = z
  .object({
    id: z.uuid(),
    call_id: z.uuid(),
    evaluation_id: z.uuid(),
    status: z.enum(DISPUTE_STATUSES).openapi({
      description:
        'open → in_review → resolved; or withdrawn by its agent; or expired when the window passed while open',
    }),
    agent: z.object({ id: z.uuid(), team_id: orNull(z.uuid()), name: orNull(z.string()) }),
    comment: orNull(z.string()),
    window_ends_at: Timestamp.openapi({
      description: "The evaluation's release plus the tenant's disputes.window_days (default 7), fixed when opened",
    }),
    opened_at: Timestamp,
    age_hours: z.number().int(),
    reviewer_id: orNull(z.string()),
    review_started_at: orNull(Timestamp),
    resolved_by: orNull(z.string()),
    resolution_comment: orNull(z.string()),
    closed_at: orNull(Timestamp).openapi({ description: 'When it was resolved, withdrawn or expired' }),
    updated_at: Timestamp,
    items: z.array(
      z
        .object({
          criterion_id: z.string(),
          name: z.string(),
          max_points: z.number().int(),
          original: Value.openapi({ description: 'The value in force when the dispute was opened' }),
          proposed_score: z.number().int(),
          reason: z.string(),
          decision: orNull(z.enum(DISPUTE_DECISIONS)),
          decided: orNull(Value).openapi({ description: 'The value in force after the resolution' }),
          decision_comment: orNull(z.string()),
        })
        .openapi('DisputeItem'),
    ),
  })
  .openapi('Dispute');
