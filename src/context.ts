import type { Config, Bindings } from './env';
import type { Role } from './auth/roles';
import type { TenantDb } from './db/tenant-db';

/** Who is calling, from a verified access token. */
export interface Actor {
  /** Keycloak `sub`; for tenant users also the primary key of their `users` row. */
  userId: string;
  role: Role;
  realm: string;
  /** The tenant whose realm issued the token; null for the platform realm. */
  homeTenant: string | null;
  email: string | null;
  username: string | null;
  firstName: string | null;
  lastName: string | null;
}

/** What services receive: never a Hono context. */
export interface RequestContext {
  actor: Actor;
  /** The tenant acted on: the home tenant, or the one a super admin named. */
  tenantId: string | null;
  requestId: string;
  config: Config;
  db: TenantDb;
}

export type AppEnv = {
  Bindings: Bindings;
  Variables: {
    requestId: string;
    config: Config;
    actor: Actor;
    ctx: RequestContext;
  };
};
