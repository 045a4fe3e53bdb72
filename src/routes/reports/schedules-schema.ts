import { z } from '@hono/zod-openapi';
import { REPORT_FORMATS, REPORT_TYPES } from '../../db/schema';
import { CLAIM_INTERVAL_MINUTES } from '../../services/reports/schedule-times';
import { DEFAULT_PERIOD_DAYS, MAX_RECIPIENTS, NEXT_RUNS_SHOWN } from '../../services/reports/schedules';
import { orNull, Timestamp } from '../shared/schemas';

const id = (what: string) => z.uuid({ message: 'must be a UUID' }).optional().openapi({ description: what });

const ScheduleFilters = z
  .strictObject({
    team_id: id("Only this team's agents"),
    department_id: id("Only this department's agents"),
    agent_id: id('Only this agent'),
    criteria_set_id: id('Only calls scored with this criteria set'),
  })
  .openapi('ReportScheduleFilters', {
    description:
      'What each run covers besides its period; every id must name a row of the tenant. The period comes from `period_days`, so `from` and `to` are not accepted here.',
  });

const Name = z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters');
const Type = z.enum(REPORT_TYPES, { message: `must be one of ${REPORT_TYPES.join(', ')}` });
const Format = z.enum(REPORT_FORMATS, { message: `must be one of ${REPORT_FORMATS.join(', ')}` });
const PeriodDays = z
  .number()
  .int('must be a whole number')
  .min(1, 'must be at least 1')
  .max(366, 'must be at most 366')
  .openapi({
    description: `How many days a run covers: those ending the day before the run, in the tenant's time zone (default ${DEFAULT_PERIOD_DAYS})`,
  });
const Schedule = z
  .string()
  .max(200, 'must be at most 200 characters')
  .openapi({
    description: `A five-field cron expression (minute hour day-of-month month day-of-week) in the tenant's time zone; runs at least ${CLAIM_INTERVAL_MINUTES} minutes apart`,
    example: '0 7 * * 1',
  });
const Recipients = z
  .array(z.email({ message: 'must be an email address' }).max(320, 'must be at most 320 characters'))
  .min(1, 'must name at least one recipient')
  .max(MAX_RECIPIENTS, `must name at most ${MAX_RECIPIENTS} recipients`)
  .openapi({
    description:
      "Email addresses of the tenant's active users; any address when the tenant setting `reports.allow_external_recipients` is true",
  });

export const CreateReportSchedule = z
  .strictObject({
    name: Name,
    type: Type,
    format: Format,
    filters: ScheduleFilters.optional(),
    period_days: PeriodDays.optional(),
    schedule: Schedule,
    recipients: Recipients,
  })
  .openapi('CreateReportSchedule');

export const UpdateReportSchedule = z
  .strictObject({
    name: Name.optional(),
    type: Type.optional(),
    format: Format.optional(),
    filters: ScheduleFilters.optional().openapi({ description: 'Replaces the filters as a whole' }),
    period_days: PeriodDays.optional(),
    schedule: Schedule.optional(),
    recipients: Recipients.optional().openapi({
      description: 'Replaces the recipients as a whole, and resumes a schedule paused because its recipients had left',
    }),
  })
  .refine((b) => Object.keys(b).length > 0, 'must change at least one field')
  .openapi('UpdateReportSchedule');

export const ReportSchedule = z
  .object({
    id: z.uuid(),
    name: z.string(),
    type: Type,
    format: Format,
    filters: ScheduleFilters,
    period_days: z.number().int(),
    schedule: z.string(),
    time_zone: z.string().openapi({
      description: "The tenant's time zone, which the schedule and each run's period are read in",
      example: 'America/New_York',
    }),
    next_runs: z.array(Timestamp).openapi({
      description: `The next ${NEXT_RUNS_SHOWN} run times (UTC); empty while the schedule is paused`,
    }),
    recipients: z.array(z.string()),
    paused_reason: orNull(z.string()).openapi({
      description: 'Why the schedule no longer runs (e.g. every recipient has left the tenant); null while it runs',
    }),
    last_run_at: orNull(Timestamp).openapi({ description: 'The run time of the last run started' }),
    created_by: orNull(z.string()),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi('ReportSchedule');
