import { z } from '@hono/zod-openapi';
import { REGULATION_TYPES, REQUIREMENT_SEVERITIES } from '../../db/schema';
import { orNull, Timestamp } from '../shared/schemas';

const text = (max: number) =>
  z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
const examples = z.array(text(500)).max(10, 'at most 10 examples');

export const RegulationType = z.enum(REGULATION_TYPES).openapi('RegulationType');
export const RequirementSeverity = z.enum(REQUIREMENT_SEVERITIES).openapi('RequirementSeverity');

export const ComplianceRequirement = z
  .object({
    key: z.string(),
    title: z.string().nullable(),
    text: z.string(),
    severity: RequirementSeverity,
    must_say: z.array(z.string()),
    must_not_say: z.array(z.string()),
  })
  .openapi('ComplianceRequirement');

const RequirementInput = z
  .strictObject({
    key: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9_.-]{0,63}$/,
        'must be 1-64 lowercase letters, digits, dots, dashes or underscores, starting with a letter or digit',
      )
      .openapi({ description: 'Stable across versions: results and alerts name the requirement by it' }),
    title: text(200).nullish(),
    text: text(2000).openapi({ description: 'What the model judges, phrased so a transcript can decide it' }),
    severity: RequirementSeverity,
    must_say: examples.optional(),
    must_not_say: examples.optional(),
  })
  .openapi('ComplianceRequirementInput');

/** Keys name results and alerts, so a template cannot hold the same key twice. */
const RequirementsInput = z
  .array(RequirementInput)
  .min(1, 'must list at least one requirement')
  .max(50, 'at most 50 requirements')
  .superRefine((list, ctx) => {
    const first = new Map<string, number>();
    list.forEach((r, i) => {
      const seen = first.get(r.key);
      if (seen === undefined) first.set(r.key, i);
      else ctx.addIssue({ code: 'custom', path: [i, 'key'], message: `duplicates requirements.${seen}.key` });
    });
  });

export const ComplianceTemplate = z
  .object({
    id: z.string().openapi({ description: "A UUID for the tenant's templates, the key for system templates" }),
    name: z.string(),
    regulation_type: RegulationType,
    description: z.string().nullable(),
    requirements: z.array(ComplianceRequirement),
    version: z.number().int(),
    is_system: z.boolean(),
    read_only: z.boolean(),
    source_key: z.string().nullable().openapi({ description: 'The system template this one was copied from' }),
    is_default: z.boolean().openapi({ description: 'Judged on calls whose criteria set names no templates' }),
    criteria_set_ids: z.array(z.uuid()).openapi({ description: 'The criteria sets that attach this template' }),
    created_at: orNull(Timestamp),
    updated_at: orNull(Timestamp),
  })
  .openapi('ComplianceTemplate');

export const ComplianceTemplateVersion = z
  .object({
    version: z.number().int(),
    name: z.string(),
    regulation_type: RegulationType,
    description: z.string().nullable(),
    requirements: z.array(ComplianceRequirement),
    created_at: orNull(Timestamp),
  })
  .openapi('ComplianceTemplateVersion');

export const ComplianceTemplateWithVersions = ComplianceTemplate.extend({
  versions: z.array(ComplianceTemplateVersion).openapi({
    description: 'Every content version, oldest first; compliance results name the one they were judged with',
  }),
}).openapi('ComplianceTemplateWithVersions');

export const CreateComplianceTemplate = z
  .strictObject({
    from_system: z
      .string()
      .max(64)
      .optional()
      .openapi({ description: 'Copy a system template (its key); the other fields override the copy' }),
    name: text(200).optional(),
    regulation_type: RegulationType.optional(),
    description: z.string().trim().max(2000).nullish(),
    requirements: RequirementsInput.optional(),
    is_default: z.boolean().optional(),
  })
  .openapi('CreateComplianceTemplate');

export const UpdateComplianceTemplate = z
  .strictObject({
    name: text(200).optional(),
    regulation_type: RegulationType.optional(),
    description: z.string().trim().max(2000).nullish(),
    requirements: RequirementsInput.optional().openapi({ description: 'Replaces the whole list' }),
    is_default: z.boolean().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'must change at least one field')
  .openapi('UpdateComplianceTemplate');

export type RequirementInput = z.infer<typeof RequirementInput>;
export type NewComplianceTemplate = z.infer<typeof CreateComplianceTemplate>;
export type ComplianceTemplateUpdate = z.infer<typeof UpdateComplianceTemplate>;

/** A tenant template's UUID, or a system template's key. */
export const TemplateParams = z.object({
  template_id: z
    .string()
    .regex(
      // No regex flags: the pattern is published in the OpenAPI document, where flags do not exist.
      /^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[a-z][a-z0-9_]{1,63})$/,
      'must be a template UUID or a system template key',
    )
    .openapi({ param: { name: 'template_id', in: 'path' }, example: 'pci_dss' }),
});
