import { sql, type SQL } from 'drizzle-orm';
import { tenants, tenantUsage } from '../db/schema';

/**
 * Counts one call (and its stored bytes) against today's quota of the tenant's tier, as a
 * statement that returns a row only when the quota had room and `when` holds. Callers put it in a
 * CTE and make their own write depend on it, so a tenant at its limit gets nothing written.
 */
export function chargeCall(tenantId: string, bytes: number, when: SQL = sql`true`): SQL {
  return sql`
    insert into ${tenantUsage} (tenant_id, day, calls, storage_bytes)
    select ${tenantId}, current_date, 1, ${bytes}::bigint where ${when}
    on conflict (tenant_id, day) do update
      set calls = ${tenantUsage.calls} + 1, storage_bytes = ${tenantUsage.storageBytes} + excluded.storage_bytes
      where ${tenantUsage.calls} < (select (${tenants.limits} ->> 'max_calls_per_day')::int from ${tenants} where ${tenants.id} = ${tenantId})
    returning 1`;
}
