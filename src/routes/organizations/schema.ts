import { z } from '@hono/zod-openapi';
import { Timestamp } from '../shared/schemas';

const name = z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters');
const optionalText = (max: number) => z.string().trim().max(max, `must be at most ${max} characters`).nullish();

export const Organization = z
  .object({
    id: z.uuid(),
    name: z.string(),
    industry: z.string().nullable(),
    size: z.string().nullable(),
    timezone: z.string(),
    users_count: z.number().int(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi('Organization');

const validTimeZone = (tz: string) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

export const CreateOrganization = z
  .strictObject({
    name,
    industry: optionalText(100),
    size: z.enum(['1-10', '11-50', '51-200', '201-1000', '1000+']).nullish(),
    timezone: z.string().refine(validTimeZone, 'must be an IANA time zone such as "Europe/Berlin"').optional(),
  })
  .openapi('CreateOrganization');

export const Department = z
  .object({
    id: z.uuid(),
    organization_id: z.uuid(),
    name: z.string(),
    description: z.string().nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi('Department');

export const CreateDepartment = z.strictObject({ name, description: optionalText(2000) }).openapi('CreateDepartment');

export const Team = z
  .object({
    id: z.uuid(),
    organization_id: z.uuid(),
    department_id: z.uuid().nullable(),
    team_lead_id: z.uuid().nullable(),
    name: z.string(),
    members_count: z.number().int(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi('Team');

export const CreateTeam = z
  .strictObject({
    name,
    department_id: z.uuid('must be a UUID').nullish(),
    team_lead_id: z.uuid('must be a UUID').nullish(),
  })
  .openapi('CreateTeam');
