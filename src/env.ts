import { z } from 'zod';

/**
 * Every variable the Worker reads, declared once: its name, where it sits in the typed config,
 * and its schema. The `Bindings` type (what wrangler.toml and the deployment secrets provide)
 * and the nested `Config` both come from this one tree.
 */
interface Var<N extends string = string, S extends z.ZodType = z.ZodType> {
  readonly name: N;
  readonly schema: S;
}
const v = <const N extends string, S extends z.ZodType>(name: N, schema: S): Var<N, S> => ({ name, schema });

const trimmedUrl = z.url().transform((u) => u.replace(/\/+$/, ''));
const csv = z
  .string()
  .optional()
  .transform((s) =>
    (s ?? '')
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  );
/** Unset and empty are the same for optional variables (wrangler passes "" for a cleared one). */
const optional = <S extends z.ZodType>(schema: S) =>
  z.preprocess((x) => (x === '' ? undefined : x), schema.optional()) as unknown as z.ZodOptional<S>;
const key32 = z.string().refine((k) => {
  try {
    return atob(k).length === 32;
  } catch {
    return false;
  }
}, 'must be 32 bytes, base64');
const seconds = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

const VARIABLES = {
  environment: v('ENVIRONMENT', z.string().default('production')),
  /** The runtime role's connection string (secret). */
  databaseUrl: v('DATABASE_URL', z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection string')),
  /** Local only: the SQL-over-HTTP endpoint the Neon driver should call instead of Neon's. */
  neonHttpEndpoint: v('NEON_HTTP_ENDPOINT', optional(z.url())),
  keycloak: {
    url: v('KEYCLOAK_URL', trimmedUrl),
    clientId: v('KEYCLOAK_CLIENT_ID', z.string().min(1)),
    clientSecret: v('KEYCLOAK_CLIENT_SECRET', z.string().min(1)),
    audience: v('KEYCLOAK_AUDIENCE', optional(z.string().min(1))),
    /** Browser clients (public, PKCE) whose access tokens the API also accepts as `azp`. */
    frontendClients: v('KEYCLOAK_FRONTEND_CLIENTS', csv),
    adminRealm: v('KEYCLOAK_ADMIN_REALM', z.string().min(1)),
    adminClientId: v('KEYCLOAK_ADMIN_CLIENT_ID', z.string().min(1)),
    adminClientSecret: v('KEYCLOAK_ADMIN_CLIENT_SECRET', z.string().min(1)),
  },
  allowedOrigins: v('ALLOWED_ORIGINS', csv),
  /** How long an unknown `kid` waits before the JWKS is fetched again (ms); tests set 0. */
  jwksCooldownMs: v('JWKS_COOLDOWN_MS', z.coerce.number().int().min(0).default(30_000)),
  /** Public base URL of this API, as providers call it (webhook URLs and Twilio signatures). */
  publicUrl: v('PUBLIC_URL', trimmedUrl),
  assemblyai: {
    apiKey: v('ASSEMBLYAI_API_KEY', z.string().min(1)),
    baseUrl: v('ASSEMBLYAI_BASE_URL', optional(z.url()).default('https://api.assemblyai.com')),
    speechModel: v('ASSEMBLYAI_SPEECH_MODEL', optional(z.string().min(1)).default('universal')),
    /** The value AssemblyAI sends back in the webhook auth header. */
    webhookSecret: v('ASSEMBLYAI_WEBHOOK_SECRET', z.string().min(16, 'must be at least 16 characters')),
  },
  openai: {
    apiKey: v('OPENAI_API_KEY', z.string().min(1)),
    baseUrl: v('OPENAI_BASE_URL', optional(z.url()).default('https://api.openai.com/v1')),
    model: v('OPENAI_MODEL', optional(z.string().min(1)).default('gpt-4o-2024-08-06')),
  },
  twilioMediaBaseUrl: v('TWILIO_MEDIA_BASE_URL', optional(trimmedUrl).default('https://api.twilio.com')),
  /**
   * Local development only: tenants' media origins may be loopback addresses (any port, http), where
   * the stand-ins live. Never set in production; private and link-local addresses stay refused anyway.
   */
  allowLoopbackMediaOrigins: v(
    'ALLOW_LOOPBACK_MEDIA_ORIGINS',
    optional(z.enum(['true', 'false']))
      .default('false')
      .transform((flag) => flag === 'true'),
  ),
  /** Report emails go through Resend's HTTP API (or the local stand-in speaking it, dev/mail). */
  email: {
    apiUrl: v('EMAIL_API_URL', optional(trimmedUrl).default('https://api.resend.com')),
    apiKey: v('EMAIL_API_KEY', z.string().min(1)),
    /** `reports@example.com` or `QA Reports <reports@example.com>`, on a domain verified at the provider. */
    reportsFrom: v(
      'REPORTS_EMAIL_FROM',
      z
        .string()
        .regex(/^(?:[^<>]+ <[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/, 'must be an address or "Name <address>"'),
    ),
  },
  r2: {
    endpoint: v('R2_S3_ENDPOINT', trimmedUrl),
    bucket: v('R2_BUCKET_NAME', z.string().min(1)),
    accessKeyId: v('R2_ACCESS_KEY_ID', z.string().min(1)),
    secretAccessKey: v('R2_SECRET_ACCESS_KEY', z.string().min(1)),
  },
  /** Signs the one-time WebSocket tickets of the command center. */
  ticketSecret: v('TICKET_SECRET', z.string().min(32, 'must be at least 32 characters')),
  /** 32 random bytes, base64: encrypts tenants' integration secrets. */
  secretsKey: v('SECRETS_ENCRYPTION_KEY', key32),
  /**
   * 32 random bytes, base64: signs the tenant context of every database transaction. The same key
   * is registered in the database by its owner (README: "The signed tenant context").
   */
  databaseContextKey: v('DATABASE_CONTEXT_KEY', key32),
  pipeline: {
    pollDelaySeconds: v('PIPELINE_POLL_DELAY_SECONDS', seconds(30)),
    stuckAfterMinutes: v('PIPELINE_STUCK_AFTER_MINUTES', seconds(30)),
    retryBaseSeconds: v('PIPELINE_RETRY_BASE_SECONDS', seconds(10)),
  },
};

interface Tree {
  [key: string]: Var | Tree;
}
type ConfigOf<T> = { [K in keyof T]: T[K] extends Var<string, infer S> ? z.output<S> : ConfigOf<T[K]> };
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
/** Wrangler hands every variable over as a string; the ones whose schema accepts nothing may be unset. */
type VarOf<V> =
  V extends Var<infer N, infer S>
    ? undefined extends z.input<S>
      ? { [P in N]?: string }
      : { [P in N]: string }
    : { [K in keyof V]: VarOf<V[K]> }[keyof V];
type VariablesOf<T> = UnionToIntersection<VarOf<T>>;

export type Config = ConfigOf<typeof VARIABLES>;

/** The Worker's bindings: the resources in wrangler.toml and every variable above. */
export type Bindings = VariablesOf<typeof VARIABLES> & {
  AUDIO: R2Bucket;
  TENANT_HUB: DurableObjectNamespace<import('../durable-objects/tenant-hub').TenantHub>;
  PIPELINE: Queue<import('./pipeline/messages').PipelineMessage>;
  /** Login and refresh limits (Workers Rate Limiting, see wrangler.toml and src/auth/login-limits.ts). */
  LOGIN_ACCOUNT_LIMITER: RateLimit;
  LOGIN_USERNAME_LIMITER: RateLimit;
  AUTH_ADDRESS_LIMITER: RateLimit;
};

function isVar(node: Var | Tree): node is Var {
  return typeof (node as Var).name === 'string' && (node as Var).schema instanceof z.ZodType;
}

function parseTree(tree: Tree, env: Record<string, unknown>, failed: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, node] of Object.entries(tree)) {
    if (!isVar(node)) {
      out[key] = parseTree(node, env, failed);
      continue;
    }
    const result = node.schema.safeParse(env[node.name]);
    if (result.success) out[key] = result.data;
    else failed.push(`${node.name} (${result.error.issues[0]?.message ?? 'invalid'})`);
  }
  return out;
}

const parsed = new WeakMap<object, Config>();

/**
 * Checks the bindings once per isolate (they do not change while it lives). A missing or
 * malformed variable is reported by name and reason, never with its value.
 */
export function loadConfig(env: Bindings): Config {
  const cached = parsed.get(env);
  if (cached) return cached;
  const failed: string[] = [];
  const config = parseTree(VARIABLES, env as unknown as Record<string, unknown>, failed) as Config;
  if (failed.length) throw new ConfigurationError(`invalid configuration: ${failed.join(', ')}`);
  parsed.set(env, config);
  return config;
}

export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}
