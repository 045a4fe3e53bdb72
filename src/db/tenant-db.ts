import { sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import {
  Conflict,
  DomainError,
  Forbidden,
  Invalid,
  NotFound,
  TenantSuspended,
  Unauthenticated,
  Unavailable,
} from '../lib/errors';
import type { Config } from '../env';
import { database, type Database } from './client';
import { users } from './schema';
import { signedContextStatement } from './signed-context';
import type { Role } from '../auth/roles';

/** What `set_tenant_context` receives, signed: who acts, on which tenant, for which request or job. */
export interface TenantScope {
  tenantId: string | null;
  /** The audit identity: a user's id, or `system:<job>` / `webhook:<provider>` (see `actorId`). */
  userId: string;
  /** 'system' is the platform's own work (pipeline, cron, webhooks), never a caller. */
  role: Role | 'system';
  requestId: string;
}

/** Claims kept in the caller's `users` row, refreshed on every request in the same transaction. */
export interface ProfileClaims {
  email: string;
  firstName: string | null;
  lastName: string | null;
}

/** A statement, or a skipped one (`cond && q.insert(...)`): its result is then `undefined`. */
type MaybeStatement = BatchItem<'pg'> | undefined | null | false;
type ResultOf<S> = S extends BatchItem<'pg'> ? S['_']['result'] : undefined;
export type BatchResults<T extends readonly MaybeStatement[]> = { -readonly [K in keyof T]: ResultOf<T[K]> };

/** Builds the statements of one transaction from the query builder, synchronously. */
export type StatementsOf<T extends readonly MaybeStatement[]> = (q: QueryBuilder) => readonly [...T];

/** The drizzle query builder as statement builders receive it inside `run`. */
export type QueryBuilder = Database;

/**
 * The only way code reaches the database. The query builder exists only inside `run`'s callback
 * (it is revoked when the callback returns, so a builder kept for later throws instead of quietly
 * running without the tenant context), and `run` sends what the callback built as ONE HTTP
 * transaction preceded by `set_tenant_context(...)` with the context signed (the database
 * verifies it and switches to the runtime role so row-level security applies), and, for tenant
 * users, by the profile sync.
 */
export class TenantDb {
  readonly #db: Database;
  readonly #contextKey: string;

  private constructor(
    db: Database,
    contextKey: string,
    readonly scope: TenantScope,
    private readonly profile: ProfileClaims | null,
  ) {
    this.#db = db;
    this.#contextKey = contextKey;
  }

  static open(config: Config, scope: TenantScope, profile: ProfileClaims | null = null): TenantDb {
    return new TenantDb(database(config), config.databaseContextKey, scope, profile);
  }

  /** The same caller acting on another tenant (a super admin naming it). */
  forTenant(tenantId: string): TenantDb {
    return new TenantDb(this.#db, this.#contextKey, { ...this.scope, tenantId }, null);
  }

  /**
   * A signed switch to another tenant's context for use inside a later `run` (a super admin
   * creating a tenant writes its first rows as that tenant). Signing is asynchronous and `run`'s
   * builder is not, hence made beforehand; it opens one transaction only, like any context.
   */
  async contextSwitch(tenantId: string): Promise<(q: QueryBuilder) => BatchItem<'pg'>> {
    const statement = await this.contextStatement({ ...this.scope, tenantId });
    return (q) => q.execute(statement);
  }

  private contextStatement(scope: TenantScope) {
    const { tenantId, userId, role, requestId } = scope;
    return signedContextStatement(this.#contextKey, { tenantId, actorId: userId, role, requestId });
  }

  async run<const T extends readonly MaybeStatement[]>(build: StatementsOf<T>): Promise<BatchResults<T>> {
    const { tenantId, role } = this.scope;
    const context = await this.contextStatement(this.scope);
    const { proxy, revoke } = Proxy.revocable(this.#db, {});
    let built: readonly MaybeStatement[];
    try {
      built = build(proxy);
    } finally {
      revoke();
    }
    const prelude: BatchItem<'pg'>[] = [this.#db.execute(context)];
    if (this.profile && tenantId) prelude.push(this.syncProfile(tenantId));
    const present = built.filter((s): s is BatchItem<'pg'> => !!s);
    try {
      const results = (await this.#db.batch([...prelude, ...present] as [BatchItem<'pg'>, ...BatchItem<'pg'>[]])).slice(
        prelude.length,
      );
      let next = 0;
      return built.map((s) => (s ? results[next++] : undefined)) as BatchResults<T>;
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
    return this.#db
      .insert(users)
      .values({ id: this.scope.userId, tenantId, email: p.email, firstName: p.firstName, lastName: p.lastName, role })
      .onConflictDoUpdate({
        target: users.id,
        set: { email: p.email, firstName: p.firstName, lastName: p.lastName, role },
        setWhere: sql`(${users.email}, ${users.firstName}, ${users.lastName}, ${users.role})
          is distinct from (excluded.email, excluded.first_name, excluded.last_name, excluded.role)`,
      });
  }
}

/** SQLSTATEs raised by set_tenant_context (migrations/0008). */
const CONTEXT_ERRORS: Record<string, () => DomainError> = {
  QAT01: () => new Unauthenticated(),
  QAT02: () => new TenantSuspended(),
  // The database refused the signed context: a key mismatch between the Worker and the database
  // (a deployment error), never the caller's fault.
  QAT03: () => new Unavailable('The database refused the request context; try again.'),
  QAU01: () => new Forbidden('This user account is not active.'),
};

export const ASSIGNED_COURSE_CONTENT =
  'The content of a course with assignments cannot be replaced; its title, description and status can still change, or create a new course.';

/**
 * Foreign keys without cascade that keep rows in use from disappearing: a delete they stop is a
 * conflict with that use, not bad input.
 */
const IN_USE: Record<string, string> = { coach_progress_lesson_fk: ASSIGNED_COURSE_CONTENT };

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
      if (pg.constraint && pg.constraint in IN_USE) return new Conflict(IN_USE[pg.constraint]!);
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
