import { z } from 'zod';

/** Bindings and variables as wrangler.toml and the deployment secrets declare them. */
export interface Bindings {
  ENVIRONMENT: string;
  /** The runtime role's connection string (secret). */
  DATABASE_URL: string;
  /** Local only: the SQL-over-HTTP endpoint the Neon driver should call instead of Neon's. */
  NEON_HTTP_ENDPOINT?: string;
  KEYCLOAK_URL: string;
  KEYCLOAK_CLIENT_ID: string;
  KEYCLOAK_CLIENT_SECRET: string;
  KEYCLOAK_AUDIENCE?: string;
  KEYCLOAK_ADMIN_REALM: string;
  KEYCLOAK_ADMIN_CLIENT_ID: string;
  KEYCLOAK_ADMIN_CLIENT_SECRET: string;
  ALLOWED_ORIGINS?: string;
  /** Test hook: how long an unknown `kid` waits before the JWKS is fetched again (ms). */
  JWKS_COOLDOWN_MS?: string;

  AUDIO: R2Bucket;
  TENANT_HUB: DurableObjectNamespace<import('../durable-objects/tenant-hub').TenantHub>;
  /** Signs the one-time WebSocket tickets of the command center. */
  TICKET_SECRET: string;
  PIPELINE: Queue<import('./pipeline/messages').PipelineMessage>;
  /** Public base URL of this API, as providers call it (webhook URLs and Twilio signatures). */
  PUBLIC_URL: string;
  ASSEMBLYAI_API_KEY: string;
  ASSEMBLYAI_BASE_URL?: string;
  ASSEMBLYAI_SPEECH_MODEL?: string;
  /** Value AssemblyAI sends back in the webhook auth header. */
  ASSEMBLYAI_WEBHOOK_SECRET: string;
  OPENAI_API_KEY: string;
  OPENAI_BASE_URL?: string;
  OPENAI_MODEL?: string;
  TWILIO_MEDIA_BASE_URL?: string;
  R2_S3_ENDPOINT: string;
  R2_BUCKET_NAME: string;
  R2_ACCESS_KEY_ID: string;
  R2_SECRET_ACCESS_KEY: string;
  /** Local only: the Worker answers presigned R2 requests itself on /__r2. */
  R2_LOCAL_GATEWAY?: string;
  /** 32 random bytes, base64: encrypts tenants' integration secrets. */
  SECRETS_ENCRYPTION_KEY: string;
  PIPELINE_POLL_DELAY_SECONDS?: string;
  PIPELINE_STUCK_AFTER_MINUTES?: string;
  PIPELINE_RETRY_BASE_SECONDS?: string;
}

const csv = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

const ConfigSchema = z.object({
  environment: z.string().default('production'),
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection string'),
  neonHttpEndpoint: z.url().optional(),
  keycloak: z.object({
    url: z.url().transform((u) => u.replace(/\/+$/, '')),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1),
    audience: z.string().min(1).optional(),
    adminRealm: z.string().min(1),
    adminClientId: z.string().min(1),
    adminClientSecret: z.string().min(1),
  }),
  allowedOrigins: csv,
  jwksCooldownMs: z.coerce.number().int().min(0).default(30_000),
  publicUrl: z.url().transform((u) => u.replace(/\/+$/, '')),
  assemblyai: z.object({
    apiKey: z.string().min(1),
    baseUrl: z.url().default('https://api.assemblyai.com'),
    speechModel: z.string().min(1).default('universal'),
    webhookSecret: z.string().min(16, 'must be at least 16 characters'),
  }),
  openai: z.object({
    apiKey: z.string().min(1),
    baseUrl: z.url().default('https://api.openai.com/v1'),
    model: z.string().min(1).default('gpt-4o-2024-08-06'),
  }),
  twilioMediaBaseUrl: z
    .url()
    .default('https://api.twilio.com')
    .transform((u) => u.replace(/\/+$/, '')),
  r2: z.object({
    endpoint: z.url().transform((u) => u.replace(/\/+$/, '')),
    bucket: z.string().min(1),
    accessKeyId: z.string().min(1),
    secretAccessKey: z.string().min(1),
    localGateway: z.boolean(),
  }),
  ticketSecret: z.string().min(32, 'must be at least 32 characters'),
  secretsKey: z.string().refine((k) => {
    try {
      return atob(k).length === 32;
    } catch {
      return false;
    }
  }, 'must be 32 bytes, base64'),
  pipeline: z.object({
    pollDelaySeconds: z.coerce.number().int().min(1).default(30),
    stuckAfterMinutes: z.coerce.number().int().min(1).default(30),
    retryBaseSeconds: z.coerce.number().int().min(1).default(10),
  }),
});

export type Config = z.infer<typeof ConfigSchema>;

const parsed = new WeakMap<object, Config>();

/**
 * Checks the bindings once per isolate (they do not change while it lives). A missing or
 * malformed variable is reported by name, without its value.
 */
export function loadConfig(env: Bindings): Config {
  const cached = parsed.get(env);
  if (cached) return cached;
  const result = ConfigSchema.safeParse({
    environment: env.ENVIRONMENT,
    databaseUrl: env.DATABASE_URL,
    neonHttpEndpoint: env.NEON_HTTP_ENDPOINT || undefined,
    keycloak: {
      url: env.KEYCLOAK_URL,
      clientId: env.KEYCLOAK_CLIENT_ID,
      clientSecret: env.KEYCLOAK_CLIENT_SECRET,
      audience: env.KEYCLOAK_AUDIENCE || undefined,
      adminRealm: env.KEYCLOAK_ADMIN_REALM,
      adminClientId: env.KEYCLOAK_ADMIN_CLIENT_ID,
      adminClientSecret: env.KEYCLOAK_ADMIN_CLIENT_SECRET,
    },
    allowedOrigins: env.ALLOWED_ORIGINS,
    jwksCooldownMs: env.JWKS_COOLDOWN_MS,
    publicUrl: env.PUBLIC_URL,
    assemblyai: {
      apiKey: env.ASSEMBLYAI_API_KEY,
      baseUrl: env.ASSEMBLYAI_BASE_URL || undefined,
      speechModel: env.ASSEMBLYAI_SPEECH_MODEL || undefined,
      webhookSecret: env.ASSEMBLYAI_WEBHOOK_SECRET,
    },
    openai: {
      apiKey: env.OPENAI_API_KEY,
      baseUrl: env.OPENAI_BASE_URL || undefined,
      model: env.OPENAI_MODEL || undefined,
    },
    twilioMediaBaseUrl: env.TWILIO_MEDIA_BASE_URL || undefined,
    r2: {
      endpoint: env.R2_S3_ENDPOINT,
      bucket: env.R2_BUCKET_NAME,
      accessKeyId: env.R2_ACCESS_KEY_ID,
      secretAccessKey: env.R2_SECRET_ACCESS_KEY,
      localGateway: env.R2_LOCAL_GATEWAY === 'true',
    },
    secretsKey: env.SECRETS_ENCRYPTION_KEY,
    ticketSecret: env.TICKET_SECRET,
    pipeline: {
      pollDelaySeconds: env.PIPELINE_POLL_DELAY_SECONDS,
      stuckAfterMinutes: env.PIPELINE_STUCK_AFTER_MINUTES,
      retryBaseSeconds: env.PIPELINE_RETRY_BASE_SECONDS,
    },
  });
  if (!result.success) {
    const fields = result.error.issues.map((i) => i.path.join('.')).join(', ');
    throw new ConfigurationError(`invalid configuration: ${fields}`);
  }
  parsed.set(env, result.data);
  return result.data;
}

export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}
