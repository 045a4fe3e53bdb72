import { DEV_SECRETS } from './dev-secrets.ts';
import { runtimeDatabaseUrl } from './db/runtime-url.ts';

/**
 * The Worker's variables and secrets for a local stack, pointing every vendor at its stand-in.
 * Shared by `npm run dev`, the benchmarks and the test configuration.
 */
export function workerVars(urls: {
  apiUrl: string;
  neonUrl: string;
  keycloakUrl: string;
  assemblyaiUrl: string;
  openaiUrl: string;
  twilioUrl: string;
  mailUrl: string;
  databaseUrl?: string;
}): Record<string, string> {
  return {
    ...DEV_SECRETS,
    DATABASE_URL: runtimeDatabaseUrl(urls.databaseUrl),
    NEON_HTTP_ENDPOINT: urls.neonUrl,
    KEYCLOAK_URL: urls.keycloakUrl,
    PUBLIC_URL: urls.apiUrl,
    ASSEMBLYAI_BASE_URL: urls.assemblyaiUrl,
    OPENAI_BASE_URL: urls.openaiUrl,
    TWILIO_MEDIA_BASE_URL: urls.twilioUrl,
    EMAIL_API_URL: urls.mailUrl,
    // The stand-ins that serve recordings listen on 127.0.0.1; production never sets this.
    ALLOW_LOOPBACK_MEDIA_ORIGINS: 'true',
    R2_S3_ENDPOINT: `${urls.apiUrl}/__r2`,
  };
}
