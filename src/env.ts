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
}

const csv = z
  .string()
  .optional()
  .transform((v) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean));

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
