import { z } from '@hono/zod-openapi';
import { JsonObject, TenantJsonMap, Timestamp } from '../shared/schemas';

const key = z
  .string()
  .regex(/^[a-z][a-z0-9_.-]{1,63}$/, 'must be 2-64 lowercase letters, digits, dots, dashes or underscores');

export const FeatureFlag = z
  .object({
    feature_key: z.string(),
    description: z.string().nullable(),
    enabled: z.boolean(),
    rollout_percentage: z.number().int(),
    target_roles: z.array(z.string()),
    updated_at: Timestamp,
  })
  .openapi('FeatureFlag');

export const PutFeatureFlag = z
  .strictObject({
    feature_key: key,
    enabled: z.boolean(),
    rollout_percentage: z.number().int().min(0).max(100).optional(),
    target_roles: z
      .array(z.enum(['tenant_admin', 'manager', 'agent']))
      .max(3)
      .optional(),
    description: z.string().max(500).nullish(),
  })
  .openapi('PutFeatureFlag');

export const SettingsCategory = z
  .object({
    category: z.string(),
    settings: TenantJsonMap('The settings of the category; keys chosen by the tenant (a null in PUT removes one)'),
    updated_at: Timestamp,
  })
  .openapi('SettingsCategory');

export const PutSettings = z.strictObject({ category: key, settings: JsonObject }).openapi('PutSettings', {
  description:
    'Settings the platform reads (others are kept for the tenant): qa.passing_score (70), qa.alert_below_score (60), reports.expiry_days (7, 1-90), disputes.window_days (7, 0-365: days after an evaluation is released that its agent may dispute it), disputes.max_open_per_evaluation (1, 1-20: pending disputes per evaluation)',
});

export const AuditLog = z
  .object({
    id: z.uuid().openapi({ description: 'Random: says nothing about other rows or other tenants' }),
    tenant_id: z.string().openapi({ description: 'The tenant the change belongs to', example: 'acme' }),
    actor_id: z.string().nullable(),
    actor_role: z.string().nullable(),
    action: z.string(),
    entity_type: z.string(),
    entity_id: z.string().nullable(),
    changes: z
      .record(z.string(), z.unknown())
      .nullable()
      .openapi({
        description:
          'What changed, recorded by the database: for an update, each changed column as {"from": old, "to": new}; ' +
          'for an insert or delete, the row itself (without timestamps). A value over 1 KiB of JSON is replaced by ' +
          '{"omitted": true, "bytes", "sha256"}; a changed column that large also lists what changed inside it: ' +
          '"changes" (changed keys of an object) or "items" (changed elements of an array, at most 50, with ' +
          '"index" and their changed keys) and "items_changed"',
        example: { status: { from: 'active', to: 'suspended' } },
      }),
    request_id: z.string().nullable(),
    created_at: Timestamp,
  })
  .openapi('AuditLog');

const date = z.iso
  .datetime({ offset: true, message: 'must be an ISO 8601 date-time' })
  .or(z.iso.date({ message: 'must be an ISO 8601 date' }));

export const AuditQuery = z.object({
  from_date: date.optional(),
  to_date: date.optional(),
  user_id: z.string().max(100).optional(),
  action: z.string().max(100).optional().openapi({ example: 'users.update' }),
  entity_type: z.string().max(100).optional(),
});
