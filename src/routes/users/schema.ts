import { z } from '@hono/zod-openapi';
import { ROLES, USER_STATUSES } from '../../db/schema';
import { Timestamp } from '../shared/schemas';

const uuid = z.uuid('must be a UUID');
const personName = z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters');

export const User = z
  .object({
    id: z.uuid(),
    email: z.string(),
    first_name: z.string().nullable(),
    last_name: z.string().nullable(),
    role: z.enum(ROLES),
    status: z.enum(USER_STATUSES),
    organization_id: z.uuid().nullable(),
    department_id: z.uuid().nullable(),
    team_id: z.uuid().nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi('User');

const TenantRole = z.enum(['tenant_admin', 'manager', 'agent']);

export const CreateUser = z
  .strictObject({
    email: z
      .email('must be an email address')
      .max(254)
      .transform((e) => e.toLowerCase()),
    first_name: personName,
    last_name: personName,
    role: TenantRole,
    organization_id: uuid.nullish(),
    department_id: uuid.nullish(),
    team_id: uuid.nullish(),
    password: z.string().min(12, 'must be at least 12 characters').max(256).optional().openapi({
      description: 'Initial password. Without one the user sets a password through Keycloak before logging in.',
    }),
  })
  .openapi('CreateUser');

export const UpdateUser = z
  .strictObject({
    first_name: personName.optional(),
    last_name: personName.optional(),
    organization_id: uuid.nullable().optional(),
    department_id: uuid.nullable().optional(),
    team_id: uuid.nullable().optional(),
    status: z.enum(USER_STATUSES).optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'must change at least one field')
  .openapi('UpdateUser');

export const ListUsersQuery = z.object({
  role: z.enum(ROLES).optional(),
  team_id: uuid.optional(),
  department_id: uuid.optional(),
  organization_id: uuid.optional(),
  status: z.enum(USER_STATUSES).optional(),
  q: z.string().trim().min(1).max(100).optional().openapi({ description: 'Matches email, first or last name' }),
});

export const UserPermissions = z
  .object({
    user_id: z.uuid(),
    roles: z.array(z.enum(ROLES)),
    permissions: z.array(z.string()),
    feature_flags: z.record(z.string(), z.boolean()),
  })
  .openapi('UserPermissions');
