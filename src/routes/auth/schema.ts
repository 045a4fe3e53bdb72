import { z } from '@hono/zod-openapi';
import { ROLES } from '../../auth/roles';
import { TenantJsonMap } from '../shared/schemas';

export const LoginBody = z
  .strictObject({
    username: z.string().trim().min(1, 'is required').max(255),
    password: z.string().min(1, 'is required').max(1024),
    tenant_id: z
      .string()
      .regex(/^[a-z][a-z0-9-]{1,38}[a-z0-9]$/, 'must be a tenant id such as "acme" (or "platform")')
      .openapi({ example: 'acme' }),
  })
  .openapi('LoginRequest', { example: { username: 'manager@acme.test', password: 'dev-password', tenant_id: 'acme' } });

export const RefreshBody = z
  .strictObject({ refresh_token: z.string().min(1, 'is required').max(8192) })
  .openapi('RefreshRequest');

export const LogoutBody = RefreshBody;

export const TokenResponse = z
  .object({
    access_token: z.string(),
    refresh_token: z.string().nullable(),
    token_type: z.literal('Bearer'),
    expires_in: z.number(),
    refresh_expires_in: z.number().nullable(),
    user_info: z.object({
      id: z.string(),
      email: z.string().nullable(),
      first_name: z.string().nullable(),
      last_name: z.string().nullable(),
      role: z.enum(ROLES).nullable(),
      tenant_id: z.string().nullable(),
    }),
  })
  .openapi('TokenResponse');

export const UserProfile = z
  .object({
    id: z.string(),
    email: z.string().nullable(),
    first_name: z.string().nullable(),
    last_name: z.string().nullable(),
    role: z.enum(ROLES),
    status: z.string(),
    organization_id: z.string().nullable(),
    department_id: z.string().nullable(),
    team_id: z.string().nullable(),
    created_at: z.string().nullable(),
  })
  .openapi('UserProfile');

export const ProfileResponse = z
  .object({
    user_profile: UserProfile,
    permissions: z.array(z.string()),
    tenant_info: z
      .object({
        tenant_id: z.string(),
        display_name: z.string(),
        tier: z.string(),
        status: z.string(),
        branding: TenantJsonMap("The tenant's branding; keys chosen by the tenant"),
        features: TenantJsonMap('Per-tenant switches and options (a feature key to its value)'),
      })
      .nullable(),
  })
  .openapi('ProfileResponse');

export const ChangePasswordBody = z
  .strictObject({
    current_password: z.string().min(1, 'is required').max(1024),
    new_password: z.string().min(12, 'must be at least 12 characters').max(256, 'must be at most 256 characters'),
  })
  .refine((b) => b.current_password !== b.new_password, {
    path: ['new_password'],
    message: 'must differ from the current password',
  })
  .openapi('ChangePasswordRequest');
