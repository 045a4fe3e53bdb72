/**
 * Structured logs: one JSON object per line, which Workers Logs (and `wrangler tail`) parse into
 * searchable fields. Every line has `level` and `message`; the rest are the fields of the moment
 * (request id, tenant, actor, route, status, duration, call, step...). Nothing here reads a
 * request or its headers, so a token or a secret reaches a log only if a caller passes it in,
 * and fields named like one are blanked even then.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** The fields every part of the system uses, so queries can rely on the names. */
export interface LogFields {
  request_id?: string;
  tenant?: string | null;
  /** `actorId()`: a user id, `system:<job>` or `webhook:<provider>`. */
  actor?: string;
  method?: string;
  /** The matched route pattern (`/api/calls/:id`), never the raw path. */
  route?: string | null;
  status?: number;
  duration_ms?: number;
  call_id?: string;
  step?: string;
  attempt?: number;
  /** An error: name, message and (for unexpected ones) the stack. */
  error?: unknown;
  [field: string]: unknown;
}

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (the request's or the job's context). */
  with(fields: LogFields): Logger;
}

const SECRET_NAME = /authorization|cookie|password|secret|token|signature|api[-_]?key|credential/i;
const REDACTED = '[redacted]';

function safe(value: unknown, depth = 0): unknown {
  if (value instanceof Error) return errorFields(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 4) return '[…]';
  if (Array.isArray(value)) return value.map((v) => safe(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_NAME.test(k) ? REDACTED : safe(v, depth + 1);
  return out;
}

/** An error as log fields: its name and message, its stack, and its cause's. */
export function errorFields(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: String(err) };
  const out: Record<string, unknown> = { name: err.name, message: err.message };
  if (err.stack) out.stack = err.stack;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') out.code = code;
  if (err.cause !== undefined) out.cause = errorFields(err.cause);
  return out;
}

function write(level: LogLevel, message: string, fields: LogFields): void {
  const line: Record<string, unknown> = { level, message };
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined || k === 'level' || k === 'message') continue;
    line[k] = SECRET_NAME.test(k) ? REDACTED : safe(v);
  }
  let text: string;
  try {
    text = JSON.stringify(line);
  } catch {
    text = JSON.stringify({ level, message, log_error: 'fields could not be serialised' });
  }
  // console.error / console.warn keep the level visible to tools that read the stream only.
  if (level === 'error') console.error(text);
  else if (level === 'warn') console.warn(text);
  else console.log(text);
}

export function logger(base: LogFields = {}): Logger {
  return {
    debug: (m, f) => write('debug', m, { ...base, ...f }),
    info: (m, f) => write('info', m, { ...base, ...f }),
    warn: (m, f) => write('warn', m, { ...base, ...f }),
    error: (m, f) => write('error', m, { ...base, ...f }),
    with: (f) => logger({ ...base, ...f }),
  };
}

/** The process-wide logger, for code that has no request or job context. */
export const log = logger();
