import type { ServiceContext } from '../context';
import { Invalid } from '../lib/errors';

/** The tenant a request acts on; a super admin must name one for tenant-scoped resources. */
export function tenantOf(ctx: ServiceContext): string {
  if (ctx.tenantId) return ctx.tenantId;
  throw new Invalid('Name the tenant to act on with the X-Tenant-Id header.', [
    { field: 'X-Tenant-Id', message: 'is required for platform administrators' },
  ]);
}

/** Postgres timestamps arrive as text; the API speaks ISO 8601. */
export function iso(value: string): string;
export function iso(value: string | null): string | null;
export function iso(value: string | null): string | null {
  return value === null ? null : new Date(value).toISOString();
}
