import type { TenantHub } from '../durable-objects/tenant-hub';
import type { Role } from './auth/roles';
import type { TenantDb } from './db/tenant-db';
import type { Bindings, Config } from './env';
import type { Logger } from './lib/log';
import type { PipelineMessage } from './pipeline/messages';

/** A person, from a verified Keycloak access token. */
export interface UserActor {
  kind: 'user';
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

/** The platform's own work: a pipeline step or a cron job, named for the audit trail. */
export interface SystemActor {
  kind: 'system';
  job: 'pipeline' | 'sweeper' | 'readiness' | 'scheduler';
}

/** A provider's callback, trusted for its tenant only once its signature checks out. */
export interface WebhookActor {
  kind: 'webhook';
  provider: 'twilio' | 'generic' | 'assemblyai';
}

/** A machine client of one tenant acting with a granted role (API keys). */
export interface ApiClientActor {
  kind: 'api_client';
  clientId: string;
  role: Role;
}

export type Actor = UserActor | SystemActor | WebhookActor | ApiClientActor;

/** What the pipeline queue offers services: a message, optionally delayed. */
export interface PipelineQueue {
  send(message: PipelineMessage, delaySeconds?: number): Promise<void>;
}

/**
 * What every service receives, whoever calls: never a Hono context, never a Request. Built by
 * `serviceContext()` for requests, queue messages, cron runs and webhooks alike.
 */
export interface ServiceContext<A extends Actor = Actor> {
  actor: A;
  /** The tenant acted on: the caller's, the one a super admin named, or the message's. */
  tenantId: string | null;
  /** The request id, or the queue message / cron run id, for logs and the audit trail. */
  requestId: string;
  /** Structured logs carrying this context's request id, tenant and actor on every line. */
  log: Logger;
  config: Config;
  db: TenantDb;
  audio: R2Bucket;
  pipeline: PipelineQueue;
  /** The tenant's live command-center hub. */
  hub(tenantId: string): DurableObjectStub<TenantHub>;
}

/** The context of an API request made with a user's token. */
export type UserContext = ServiceContext<UserActor>;

export type AppEnv = {
  Bindings: Bindings;
  Variables: {
    requestId: string;
    config: Config;
    actor: UserActor;
    ctx: UserContext;
    /** Whoever the request acts as once known (a user, a verified webhook), for the request log. */
    caller: ServiceContext;
  };
};
