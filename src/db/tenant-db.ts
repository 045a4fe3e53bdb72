import { sql } from 'drizzle-orm';
import type { BatchItem, BatchResponse } from 'drizzle-orm/batch';
import { Conflict, DomainError, Forbidden, Invalid, NotFound, Unauthenticated, Unavailable } from '../lib/errors';
import type { Database } from './client';
import { users } from './schema';
import type { Role } from '../auth/roles';

export interface TenantScope {
  tenantId: string | null;
  userId: string;
  /** 'system' is the platform's own work (the pipeline, the sweeper), never a caller. */
  role: Role | 'system';
  requestId: string;
}

/** Claims kept in the caller's `users` row, refreshed on every request in the same transaction. */
export interface ProfileClaims {
  email: string;
  firstName: string | null;
  lastName: string | null;
}

type Statements = readonly [BatchItem<'pg'>, ...BatchItem<'pg'>[]];

/**
 * The only way request code reaches the database. `run` sends the statements as ONE HTTP
 * transaction, always preceded by `set_tenant_context(...)` (which switches to the runtime role,
 * so row-level security applies) and, for tenant users, by the profile sync. Reads and writes
 * that depend on each other are written as single statements, so a request costs one round trip.
 */
export class TenantDb {
  constructor(
    readonly q: Database,
    readonly scope: TenantScope,
    private readonly profile: ProfileClaims | null,
  ) {}

  /** The same caller acting on another tenant (a super admin naming it). */
  forTenant(tenantId: string): TenantDb {
    return new TenantDb(this.q, { ...this.scope, tenantId }, null);
  }

  async run<T extends Statements>(statements: T): Promise<BatchResponse<T>> {
    const { tenantId, userId, role, requestId } = this.scope;
    const prelude: BatchItem<'pg'>[] = [
      this.q.execute(sql`select set_tenant_context(${tenantId ?? ''}, ${userId}, ${role}, ${requestId})`),
    ];
    if (this.profile && tenantId) prelude.push(this.syncProfile(tenantId));
    try {
      const results = await this.q.batch([...prelude, ...statements] as unknown as Statements);
      return results.slice(prelude.length) as unknown as BatchResponse<T>;
    } catch (err) {
      const translated = translateDatabaseError(err);
      // A super admin named a tenant that does not exist: that is a 404, not a bad token.
      if (translated instanceof Unauthenticated && role === 'super_admin') throw new NotFound('Tenant');
      throw translated;
    }
  }

  /** Creates the caller's row on first sight and keeps name, email and role in step with the token. */
  private syncProfile(tenantId: string) {
    const p = this.profile!;
    // Only callers with a token have a profile, and their role is always a tenant role.
    const role = this.scope.role as Role;
    return this.q
      .insert(users)
      .values({ id: this.scope.userId, tenantId, email: p.email, firstName: p.firstName, lastName: p.lastName, role })
      .onConflictDoUpdate({
        target: users.id,
        set: { email: p.email, firstName: p.firstName, lastName: p.lastName, role },
        setWhere: sql`(${users.email}, ${users.firstName}, ${users.lastName}, ${users.role}) is distinct from (excluded.email, excluded.first_name, excluded.last_name, excluded.role)`,
      });
  }
}

/** SQLSTATEs raised by set_tenant_context (migrations/0002). */
const CONTEXT_ERRORS: Record<string, () => DomainError> = {
  QAT01: () => new Unauthenticated(),
  QAT02: () => new Forbidden('This tenant is suspended.'),
  QAU01: () => new Forbidden('This user account is not active.'),
};

export function translateDatabaseError(err: unknown): Error {
  // drizzle wraps driver errors; the SQLSTATE lives on the cause.
  const source = (err as { cause?: unknown })?.cause ?? err;
  const pg = source as { code?: string; constraint?: string; message?: string; name?: string };
  const code = typeof pg.code === 'string' ? pg.code : '';
  if (code in CONTEXT_ERRORS) return CONTEXT_ERRORS[code]!();
  switch (code) {
    case '23505':
      return new Conflict(`A record with the same ${uniqueFieldOf(pg.constraint)} already exists.`);
    case '23503':
      return new Invalid('A referenced record does not exist in this tenant.', [
        { field: referenceFieldOf(pg.constraint), message: 'does not exist' },
      ]);
    case '23514':
    case '22P02':
    case '22023':
      return new Invalid('A value is out of range or malformed.');
    case '42501':
      return new Forbidden();
  }
  if (!code && pg.name === 'NeonDbError') return new Unavailable('The database is unavailable; try again.');
  return err instanceof Error ? err : new Error(String(err));
}

function uniqueFieldOf(constraint: string | undefined): string {
  if (!constraint) return 'key';
  if (constraint.endsWith('_email')) return 'email';
  if (constraint.endsWith('_name')) return 'name';
  if (constraint.includes('subdomain')) return 'subdomain';
  if (constraint.endsWith('_pkey')) return 'id';
  return 'key';
}

function referenceFieldOf(constraint: string | undefined): string {
  const m = constraint?.match(/_(organization|department|team_lead|team)_fk$/);
  return m ? `${m[1]}_id` : 'reference';
}
