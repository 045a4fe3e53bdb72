import { z } from '@hono/zod-openapi';
import { TENANT_STATUSES, TENANT_TIERS } from '../../db/schema';
import { JsonObject, TenantIdSchema, TenantJsonMap, Timestamp } from '../shared/schemas';

const Limits = z.object({
  max_users: z.number().int(),
  max_calls_per_day: z.number().int(),
  max_storage_gb: z.number(),
  max_upload_mb: z.number(),
});

export const Tenant = z
  .object({
    tenant_id: z.string(),
    display_name: z.string(),
    subdomain: z.string(),
    tier: z.enum(TENANT_TIERS),
    status: z.enum(TENANT_STATUSES),
    limits: Limits,
    settings: TenantJsonMap('Tenant-wide settings; keys chosen by the tenant'),
    branding: TenantJsonMap("Logo, colours and names the tenant's clients render; keys chosen by the tenant"),
    features: TenantJsonMap('Per-tenant switches and options (a feature key to its value)'),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi('Tenant');

export const CreatedTenant = Tenant.extend({ admin_user_id: z.uuid(), realm: z.string() }).openapi('CreatedTenant');

export const CreateTenant = z
  .strictObject({
    tenant_id: TenantIdSchema.refine((v) => v !== 'platform', 'is reserved'),
    display_name: z.string().trim().min(1, 'must not be empty').max(200),
    subdomain: z
      .string()
      .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a DNS label (lowercase letters, digits, dashes)'),
    tier: z.enum(TENANT_TIERS).default('default'),
    admin: z
      .strictObject({
        email: z
          .email('must be an email address')
          .max(254)
          .transform((e) => e.toLowerCase()),
        first_name: z.string().trim().min(1).max(100),
        last_name: z.string().trim().min(1).max(100),
        password: z.string().min(12, 'must be at least 12 characters').max(256),
      })
      // The realm's password policy (notEmail, notUsername) would refuse it after the realm exists.
      .refine((a) => a.password.toLowerCase() !== a.email, {
        path: ['password'],
        message: 'must not be the email address',
      }),
  })
  .openapi('CreateTenant');

export const UpdateTenant = z
  .strictObject({
    display_name: z.string().trim().min(1).max(200).optional(),
    settings: JsonObject.optional(),
    branding: JsonObject.optional(),
    features: JsonObject.optional(),
    tier: z.enum(TENANT_TIERS).optional().openapi({ description: 'super_admin only' }),
    status: z.enum(TENANT_STATUSES).optional().openapi({ description: 'super_admin only' }),
    limits: Limits.partial().strict().optional().openapi({ description: 'super_admin only' }),
  })
  .refine((b) => Object.keys(b).length > 0, 'must change at least one field')
  .openapi('UpdateTenant');

export const TenantUsage = z
  .object({
    tenant_id: z.string(),
    users: z.object({
      total: z.number().int(),
      active: z.number().int(),
      by_role: z.record(z.string(), z.number().int()),
    }),
    calls: z.object({ total: z.number().int(), this_month: z.number().int(), today: z.number().int() }),
    storage_gb: z.number(),
    storage_bytes: z.number().int(),
    limits: Limits,
  })
  .openapi('TenantUsage');

export const ListTenantsQuery = z.object({
  status: z.enum(TENANT_STATUSES).optional(),
  tier: z.enum(TENANT_TIERS).optional(),
});
