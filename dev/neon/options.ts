/**
 * Per-request output and transaction options from the `Neon-*` headers,
 * parsed like the proxy's `HttpHeaders::try_parse`: anything but the exact
 * string `true` is false, and an unknown isolation level is a 400 for every
 * request, single query or batch.
 */
import { NeonHttpError } from './errors.ts';

export type IsolationLevel = 'ReadUncommitted' | 'ReadCommitted' | 'RepeatableRead' | 'Serializable';

export interface RequestOptions {
  rawTextOutput: boolean;
  arrayMode: boolean;
  isolationLevel: IsolationLevel | undefined;
  readOnly: boolean;
  deferrable: boolean;
}

const ISOLATION_SQL: Record<IsolationLevel, string> = {
  ReadUncommitted: 'READ UNCOMMITTED',
  ReadCommitted: 'READ COMMITTED',
  RepeatableRead: 'REPEATABLE READ',
  Serializable: 'SERIALIZABLE',
};

const LEVELS: ReadonlySet<string> = new Set(Object.keys(ISOLATION_SQL));

/** Lower-cased names, as Hono's `c.req.header()` gives them. */
type Headers = Record<string, string | undefined>;

const isTrue = (v: string | undefined) => v === 'true';

export function parseRequestOptions(headers: Headers): RequestOptions {
  const level = headers['neon-batch-isolation-level'];
  let isolationLevel: IsolationLevel | undefined;
  if (level !== undefined) {
    if (!LEVELS.has(level)) {
      throw new NeonHttpError(400, 'invalid isolation level');
    }
    isolationLevel = level as IsolationLevel;
  }
  return {
    rawTextOutput: isTrue(headers['neon-raw-text-output']),
    arrayMode: isTrue(headers['neon-array-mode']),
    isolationLevel,
    readOnly: isTrue(headers['neon-batch-read-only']),
    deferrable: isTrue(headers['neon-batch-deferrable']),
  };
}

/** The statement that opens a batch's transaction, with the modes the headers asked for. */
export function beginStatement(opts: RequestOptions): string {
  const modes: string[] = [];
  if (opts.isolationLevel) modes.push(`ISOLATION LEVEL ${ISOLATION_SQL[opts.isolationLevel]}`);
  if (opts.readOnly) modes.push('READ ONLY');
  if (opts.deferrable) modes.push('DEFERRABLE');
  return modes.length ? `BEGIN ${modes.join(', ')}` : 'BEGIN';
}

/** The proxy echoes the batch options it applied back as response headers (only true values). */
export function batchEchoHeaders(opts: RequestOptions): Record<string, string> {
  const out: Record<string, string> = {};
  if (opts.readOnly) out['Neon-Batch-Read-Only'] = 'true';
  if (opts.deferrable) out['Neon-Batch-Deferrable'] = 'true';
  if (opts.isolationLevel) out['Neon-Batch-Isolation-Level'] = opts.isolationLevel;
  return out;
}
