import type { TenantLimits } from '../db/schema';

/** What each tier includes by default; a super admin may override a tenant's limits. */
export const TIER_LIMITS: Record<'default' | 'standard' | 'enterprise', TenantLimits> = {
  default: { max_users: 25, max_calls_per_day: 200, max_storage_gb: 10, max_upload_mb: 50 },
  standard: { max_users: 250, max_calls_per_day: 5_000, max_storage_gb: 250, max_upload_mb: 200 },
  enterprise: { max_users: 10_000, max_calls_per_day: 100_000, max_storage_gb: 10_000, max_upload_mb: 500 },
};
