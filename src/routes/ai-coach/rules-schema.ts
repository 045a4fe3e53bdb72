import { z } from '@hono/zod-openapi';
import { ASSIGNMENT_PRIORITIES } from '../../db/schema';
import { DEFAULT_COOLDOWN_DAYS, DEFAULT_DUE_IN_DAYS, DEFAULT_MIN_EVALUATIONS } from '../../services/ai-coach/rules';
import { orNull, Timestamp } from '../shared/schemas';

const int = (min: number, max: number) =>
  z.number().int('must be a whole number').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);

const ConsecutiveFailsInput = z
  .strictObject({
    type: z.literal('consecutive_fails'),
    count: int(1, 50).openapi({ description: "How many of the agent's latest results of the criterion must all fail" }),
  })
  .openapi('ConsecutiveFailsConditionInput');

const AverageBelowInput = z
  .strictObject({
    type: z.literal('average_below'),
    threshold_pct: int(1, 100).openapi({ description: 'Fires when the percentage of max points falls below this' }),
    window_days: int(1, 365).openapi({ description: 'Over the results of the last this many days' }),
    min_evaluations: int(1, 1000)
      .optional()
      .openapi({
        description: `Results needed in the window before the average counts (default ${DEFAULT_MIN_EVALUATIONS})`,
      }),
  })
  .openapi('AverageBelowConditionInput');

const ConditionInput = z
  .discriminatedUnion('type', [ConsecutiveFailsInput, AverageBelowInput])
  .openapi('CoachRuleConditionInput', { description: 'When the rule fires, judged after each scored call' });

const AssignCourse = z
  .strictObject({
    type: z.literal('assign_course'),
    course_id: z.uuid({ message: 'must be a UUID' }).openapi({ description: 'A course of the tenant, not archived' }),
  })
  .openapi('AssignCourseAction');

const GenerateCourse = z.strictObject({ type: z.literal('generate_course') }).openapi('GenerateCourseAction', {
  description: "A draft course is written from the agent's own evaluations and assigned (a queued step)",
});

const Action = z
  .discriminatedUnion('type', [AssignCourse, GenerateCourse])
  .openapi('CoachRuleAction', { description: 'What the agent gets when the rule fires' });

const Name = z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters');
const CriterionId = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')
  .openapi({ description: "One of the tenant's evaluation criteria (its id), or a platform template key" });
const Priority = z.enum(ASSIGNMENT_PRIORITIES).openapi({ description: 'The priority of the assignments it makes' });

const ruleFields = {
  name: Name,
  criterion_id: CriterionId,
  condition: ConditionInput,
  action: Action,
  cooldown_days: int(0, 365).openapi({
    description: `Days after a firing before the rule may fire again for the same agent (default ${DEFAULT_COOLDOWN_DAYS})`,
  }),
  due_in_days: int(1, 365).openapi({
    description: `Days from the firing to the assignment's due date (default ${DEFAULT_DUE_IN_DAYS})`,
  }),
  priority: Priority,
  enabled: z.boolean().openapi({ description: 'A disabled rule never fires (default true)' }),
};

export const CreateCoachRule = z
  .strictObject({
    ...ruleFields,
    cooldown_days: ruleFields.cooldown_days.optional(),
    due_in_days: ruleFields.due_in_days.optional(),
    priority: Priority.optional(),
    enabled: ruleFields.enabled.optional(),
  })
  .openapi('CreateCoachRule');

export const UpdateCoachRule = z
  .strictObject({
    name: Name.optional(),
    criterion_id: CriterionId.optional(),
    condition: ConditionInput.optional().openapi({ description: 'Replaces the condition as a whole' }),
    action: Action.optional().openapi({ description: 'Replaces the action as a whole' }),
    cooldown_days: ruleFields.cooldown_days.optional(),
    due_in_days: ruleFields.due_in_days.optional(),
    priority: Priority.optional(),
    enabled: ruleFields.enabled.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'must change at least one field')
  .openapi('UpdateCoachRule');

export const ListCoachRulesQuery = z.object({
  criterion_id: CriterionId.optional(),
  enabled: z
    .enum(['true', 'false'], { message: "must be 'true' or 'false'" })
    .transform((v) => v === 'true')
    .optional()
    .openapi({ type: 'string', enum: ['true', 'false'] }),
});

const ConsecutiveFails = z
  .object({ type: z.literal('consecutive_fails'), count: z.number().int() })
  .openapi('ConsecutiveFailsCondition');
const AverageBelow = z
  .object({
    type: z.literal('average_below'),
    threshold_pct: z.number().int(),
    window_days: z.number().int(),
    min_evaluations: z.number().int(),
  })
  .openapi('AverageBelowCondition');

export const CoachRule = z
  .object({
    id: z.uuid(),
    name: z.string(),
    criterion_id: z.string(),
    condition: z.discriminatedUnion('type', [ConsecutiveFails, AverageBelow]).openapi('CoachRuleCondition'),
    action: Action,
    cooldown_days: z.number().int(),
    due_in_days: z.number().int(),
    priority: Priority,
    enabled: z.boolean(),
    created_by: orNull(z.string()),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi('CoachRule');
