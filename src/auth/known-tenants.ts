import { eq } from 'drizzle-orm';
import type { Config } from '../env';
import { tenants } from '../db/schema';
import { TenantDb } from '../db/tenant-db';
import { Forbidden, Unauthenticated } from '../lib/errors';

/**
 * Whether a tenant exists, asked only when a token names a realm this isolate has no key set for
 * yet (see verify-access-token.ts), so a warm request makes no extra round trip. Runs as the
 * platform's own `system:auth` work confined to the tenant named, like any other statement.
 */
export async function tenantExists(config: Config, tenantId: string, requestId: string): Promise<boolean> {
  const db = TenantDb.open(config, { tenantId, userId: 'system:auth', role: 'system', requestId });
  try {
    const [rows] = await db.run((q) => [q.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, tenantId))]);
    return rows.length > 0;
  } catch (err) {
    // set_tenant_context refuses an unknown tenant; a suspended one exists and is refused later.
    if (err instanceof Unauthenticated) return false;
    if (err instanceof Forbidden) return true;
    throw err;
  }
}
