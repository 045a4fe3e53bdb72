import { z } from '@hono/zod-openapi';
import { GRADING_MODES } from '../../db/schema';
import { Timestamp } from '../shared/schemas';

const text = (max: number) =>
  z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
const prompts = z.array(text(1000)).max(10, 'at most 10 prompts');
const gradingMode = z.enum(GRADING_MODES, { message: `must be one of ${GRADING_MODES.join(', ')}` }).openapi({
  description:
    "ai_auto: the model's score counts at once; ai_review: the model scores, the agent sees it once a manager has reviewed it; manual: no model, a manager scores from the transcript",
});
const templateIds = z
  .array(z.uuid('must be UUIDs of compliance templates (copy a system template first)'))
  .max(10, 'at most 10 templates');

export const Template = z
  .object({
    id: z.string(),
    name: z.string(),
    category: z.string(),
    default_points: z.number().int(),
    auto_fail: z.boolean(),
    description: z.string(),
    evaluation_prompts: z.array(z.string()),
  })
  .openapi('CriterionTemplate');

export const Criterion = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string().nullable(),
    category: z.string(),
    max_points: z.number().int(),
    evaluation_prompts: z.array(z.string()),
    auto_fail: z.boolean(),
    is_custom: z.boolean(),
    template_id: z.string().nullable(),
    is_active: z.boolean(),
    version: z.number().int(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi('Criterion');

export const CriterionVersion = z
  .object({
    version: z.number().int(),
    name: z.string(),
    description: z.string().nullable(),
    category: z.string(),
    max_points: z.number().int(),
    evaluation_prompts: z.array(z.string()),
    auto_fail: z.boolean(),
    created_at: Timestamp,
  })
  .openapi('CriterionVersion');
/** A version's content as the database trigger records it (src/services presents it with its number and time). */
export type CriterionVersionContent = Omit<z.infer<typeof CriterionVersion>, 'version' | 'created_at'>;

export const CriterionWithVersions = Criterion.extend({
  versions: z
    .array(CriterionVersion)
    .openapi({ description: 'Every content version, oldest first; evaluations name the one they were scored with' }),
}).openapi('CriterionWithVersions');

export const CreateCriterion = z
  .strictObject({
    template_id: z
      .string()
      .max(64)
      .optional()
      .openapi({ description: 'Start from a system template; other fields override it' }),
    name: text(200).optional(),
    description: z.string().trim().max(2000).nullish(),
    category: text(64).optional(),
    max_points: z.number().int().min(1).max(100).optional(),
    evaluation_prompts: prompts.optional(),
    auto_fail: z.boolean().optional(),
  })
  .openapi('CreateCriterion');

export const UpdateCriterion = z
  .strictObject({
    name: text(200).optional(),
    description: z.string().trim().max(2000).nullish(),
    category: text(64).optional(),
    max_points: z.number().int().min(1).max(100).optional(),
    evaluation_prompts: prompts.optional(),
    auto_fail: z.boolean().optional(),
    is_active: z.boolean().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'must change at least one field')
  .openapi('UpdateCriterion');

export const CriteriaSet = z
  .object({
    id: z.uuid(),
    name: z.string(),
    criteria_ids: z.array(z.uuid()),
    criteria_count: z.number().int(),
    compliance_template_ids: z.array(z.uuid()).openapi({
      description: "Compliance templates judged with this set; empty means the tenant's default templates",
    }),
    is_default: z.boolean(),
    grading_mode: gradingMode,
    version: z.number().int(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi('CriteriaSet');

export const CreateCriteriaSet = z
  .strictObject({
    name: text(200),
    criteria_ids: z.array(z.uuid('must be UUIDs')).min(1, 'must list at least one criterion').max(50),
    compliance_template_ids: templateIds.optional(),
    is_default: z.boolean().optional(),
    grading_mode: gradingMode.optional().openapi({ description: 'Default ai_auto' }),
  })
  .openapi('CreateCriteriaSet');

export const UpdateCriteriaSet = z
  .strictObject({
    name: text(200).optional(),
    criteria_ids: z.array(z.uuid('must be UUIDs')).min(1, 'must list at least one criterion').max(50).optional(),
    compliance_template_ids: templateIds.optional().openapi({ description: 'Replaces the attached templates' }),
    grading_mode: gradingMode
      .optional()
      .openapi({ description: 'Applies to calls scored from now on; not a new version of the set' }),
  })
  .refine((b) => Object.keys(b).length > 0, 'must change at least one field')
  .openapi('UpdateCriteriaSet');
