/**
 * The connection string the Worker uses locally: the runtime role `qa_app` (NOBYPASSRLS), so
 * row-level security applies exactly as on Neon. The host is only a label here (the driver is
 * pointed at the stand-in); the database is the one in DATABASE_URL, or PGlite's.
 */
export function runtimeDatabaseUrl(adminUrl: string | undefined): string {
  const db = adminUrl ? new URL(adminUrl).pathname.slice(1) || 'postgres' : 'postgres';
  return `postgresql://qa_app:qa_app@db.localtest.me/${db}`;
}
