/**
 * Error bodies exactly as Neon's proxy writes them (sql_over_http.rs `handle`):
 * always the same 17 keys in the same order. For Postgres errors `code` is the
 * SQLSTATE; for the proxy's own errors `code` and `severity` are "" and every
 * other key is null. The driver copies these keys onto `NeonDbError`, and only
 * parses the body when the status is 400.
 */

/** The fields of a Postgres ErrorResponse, as pg and PGlite both expose them. */
export interface PgErrorFields {
  message: string;
  code: string;
  severity?: string | undefined;
  detail?: string | undefined;
  hint?: string | undefined;
  position?: string | undefined;
  internalPosition?: string | undefined;
  internalQuery?: string | undefined;
  where?: string | undefined;
  schema?: string | undefined;
  table?: string | undefined;
  column?: string | undefined;
  dataType?: string | undefined;
  constraint?: string | undefined;
  file?: string | undefined;
  line?: string | undefined;
  routine?: string | undefined;
}

/** An error the stand-in answers with: an HTTP status plus, for Postgres errors, the server's fields. */
export class NeonHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly pg?: PgErrorFields,
  ) {
    super(message);
    this.name = 'NeonHttpError';
  }
}

/** Both pg's and PGlite's DatabaseError carry a SQLSTATE string and a severity. */
export function isPgError(err: unknown): err is PgErrorFields {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; severity?: unknown; message?: unknown };
  return (
    typeof e.code === 'string' &&
    /^[0-9A-Z]{5}$/.test(e.code) &&
    typeof e.severity === 'string' &&
    typeof e.message === 'string'
  );
}

/** A Postgres error raised by a statement (or by connecting): always HTTP 400, like the proxy. */
export function fromPgError(err: PgErrorFields): NeonHttpError {
  return new NeonHttpError(400, err.message, err);
}

/** Wraps anything thrown while talking to the database into what the proxy would answer. */
export function toNeonHttpError(err: unknown): NeonHttpError {
  if (err instanceof NeonHttpError) return err;
  if (isPgError(err)) return fromPgError(err);
  // The proxy maps compute/connection failures that are not Postgres errors to 500.
  const message = err instanceof Error ? err.message : String(err);
  return new NeonHttpError(500, message);
}

export function errorBody(err: NeonHttpError): string {
  const pgErr = err.pg;
  const f = (v: string | undefined): string | null => (pgErr && v !== undefined && v !== '' ? v : null);
  // Key order matches the proxy's json! literal.
  return JSON.stringify({
    message: err.message,
    code: pgErr?.code ?? '',
    detail: f(pgErr?.detail),
    hint: f(pgErr?.hint),
    position: f(pgErr?.position),
    internalPosition: f(pgErr?.internalPosition),
    internalQuery: f(pgErr?.internalQuery),
    severity: pgErr?.severity ?? '',
    where: f(pgErr?.where),
    table: f(pgErr?.table),
    column: f(pgErr?.column),
    schema: f(pgErr?.schema),
    dataType: f(pgErr?.dataType),
    constraint: f(pgErr?.constraint),
    file: f(pgErr?.file),
    line: f(pgErr?.line),
    routine: f(pgErr?.routine),
  });
}

/** Builds a connection-time failure the way Postgres reports it (FATAL), e.g. an unknown role. */
export function fatal(code: string, message: string): NeonHttpError {
  return fromPgError({ message, code, severity: 'FATAL' });
}
