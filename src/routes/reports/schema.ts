import { z } from '@hono/zod-openapi';
import { REPORT_FORMATS, REPORT_STATUSES, REPORT_TYPES } from '../../db/schema';
import { MAX_RANGE_DAYS } from '../../services/analytics';
import { orNull, Timestamp } from '../shared/schemas';

const Day = (what: string) =>
  z.iso
    .date({ message: 'must be a date, YYYY-MM-DD' })
    .optional()
    .openapi({
      description: `${what} (inclusive), a day of the tenant's time zone; give both ends or neither; at most ${MAX_RANGE_DAYS} days`,
      example: '2026-11-01',
    });
const OptionalUuid = (what: string) => z.uuid({ message: 'must be a UUID' }).optional().openapi({ description: what });

export const ReportType = z.enum(REPORT_TYPES).openapi({
  description:
    'call_scores: one row per scored call with a column per criterion; agent_performance: the analytics figures per agent; compliance: one row per call and requirement; coaching_progress: assignments, completion and quiz scores',
});
export const ReportFormat = z.enum(REPORT_FORMATS);
export const ReportStatus = z.enum(REPORT_STATUSES).openapi({
  description:
    'queued → generating → ready, or failed (with failure_reason); ready becomes expired when the file is removed',
});

export const ReportFiltersInput = z
  .strictObject({
    from_date: Day('First day'),
    to_date: Day('Last day'),
    team_id: OptionalUuid('Only agents of this team'),
    department_id: OptionalUuid('Only agents of this department'),
    agent_id: OptionalUuid('Only this agent'),
    criteria_set_id: OptionalUuid(
      'Criterion columns of this set; call_scores and compliance: only calls scored with it',
    ),
  })
  .openapi('ReportFiltersInput', { description: 'Without a range: the last 30 days up to the tenant’s today' });

export const ReportFilters = z
  .object({
    from_date: z.string(),
    to_date: z.string(),
    team_id: orNull(z.string()),
    department_id: orNull(z.string()),
    agent_id: orNull(z.string()),
    criteria_set_id: orNull(z.string()),
  })
  .openapi('ReportFilters', { description: 'What the report covers, the period resolved to days' });

export const CreateReport = z
  .strictObject({ type: ReportType, format: ReportFormat, filters: ReportFiltersInput.optional() })
  .openapi('CreateReport');

export const Report = z
  .object({
    report_id: z.string(),
    type: ReportType,
    title: z.string(),
    format: ReportFormat,
    status: ReportStatus,
    failure_reason: orNull(z.string()),
    filters: ReportFilters,
    requested_by: z.string().openapi({ description: 'The user who asked, or system:scheduler' }),
    schedule_id: orNull(z.string()),
    filename: orNull(z.string()),
    size_bytes: orNull(z.number().int()),
    row_count: orNull(z.number().int()),
    download_url: orNull(z.string()).openapi({ description: 'Set once ready' }),
    created_at: Timestamp,
    completed_at: orNull(Timestamp),
    expires_at: orNull(Timestamp).openapi({
      description: 'When the file is removed (tenant setting reports.expiry_days, default 7)',
    }),
  })
  .openapi('Report');

export const ListReportsQuery = z.object({
  status: ReportStatus.optional(),
  type: ReportType.optional(),
});
