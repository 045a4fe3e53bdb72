/**
 * The secrets the Worker gets locally (`npm run dev`, `npm test`, `npm run bench`). Development
 * values only: production sets each with `wrangler secret put`.
 */
export const DEV_SECRETS = {
  KEYCLOAK_CLIENT_SECRET: 'dev-secret',
  KEYCLOAK_ADMIN_CLIENT_SECRET: 'dev-admin-secret',
  ASSEMBLYAI_API_KEY: 'dev-assemblyai-key',
  ASSEMBLYAI_WEBHOOK_SECRET: 'dev-assemblyai-webhook-secret',
  OPENAI_API_KEY: 'dev-openai-key',
  // Resend's keys start with re_; the mail stand-in (dev/mail) checks this one.
  EMAIL_API_KEY: 're_dev_local_mail_key',
  R2_ACCESS_KEY_ID: 'devr2accesskey000000',
  R2_SECRET_ACCESS_KEY: 'dev-r2-secret-access-key-0000000000000000',
  TICKET_SECRET: 'dev-command-center-ticket-secret-0123456789',
  // 32 bytes, base64.
  SECRETS_ENCRYPTION_KEY: 'ZGV2LW9ubHktc2VjcmV0cy1rZXktMzItYnl0ZXMhISE=',
  // 32 bytes, base64; also registered in the local database (dev/db/context-key.ts).
  DATABASE_CONTEXT_KEY: 'ZGV2LW9ubHktZGF0YWJhc2UtY29udGV4dC1rZXktMzI=',
} as const;
