/**
 * `POST /sql`, following the proxy's `handle_db_inner` step by step:
 * connection string → Neon-* headers → body → login → statements.
 * A single query runs alone (Postgres wraps it in an implicit transaction);
 * a batch runs inside BEGIN … COMMIT and is all-or-nothing: on the first
 * error it rolls back and answers only that error.
 */
import { parseConnInfo } from './conn-info.ts';
import { NeonHttpError, errorBody, toNeonHttpError } from './errors.ts';
import type { Session, SqlExecutor } from './executor.ts';
import { batchEchoHeaders, beginStatement, parseRequestOptions, type RequestOptions } from './options.ts';
import { type QueryData, parsePayload } from './payload.ts';
import { ArrayTypes, PgTextError } from './pg-text-json.ts';
import { resultToJson } from './result-json.ts';

export interface SqlRequest {
  headers: Record<string, string | string[] | undefined>;
  /** Reads the body; rejects with a 413 NeonHttpError past the size limit. */
  readBody(): Promise<Buffer>;
}

export interface SqlResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface SqlHandlerDeps {
  executor: SqlExecutor;
  types: ArrayTypes;
  maxResponseBytes: number;
  /** Called once per statement sent to the database on the caller's behalf. */
  onQuery(): void;
}

const JSON_HEADERS = { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*' };

export async function handleSql(req: SqlRequest, deps: SqlHandlerDeps): Promise<SqlResponse> {
  try {
    const conn = parseConnInfo(req.headers['neon-connection-string'], req.headers['authorization']);
    const opts = parseRequestOptions(req.headers);
    const payload = parsePayload(await req.readBody());

    if (payload.kind === 'single') {
      const body = await deps.executor.withSession(conn, (s) => runStatement(s, payload.query, opts, deps));
      return { status: 200, headers: { ...JSON_HEADERS }, body };
    }
    const results = await deps.executor.withSession(conn, (s) => runBatch(s, payload.queries, opts, deps));
    const body = `{"results":[${results.join(',')}]}`;
    if (body.length > deps.maxResponseBytes) {
      throw new NeonHttpError(507, `response is too large (max is ${deps.maxResponseBytes} bytes)`);
    }
    return { status: 200, headers: { ...JSON_HEADERS, ...batchEchoHeaders(opts) }, body };
  } catch (err) {
    const e = err instanceof PgTextError ? new NeonHttpError(500, 'could not parse postgres response') : err;
    const httpErr = toNeonHttpError(e);
    if (httpErr.status >= 500) console.error('[neon-http]', httpErr.message);
    return { status: httpErr.status, headers: { ...JSON_HEADERS }, body: errorBody(httpErr) };
  }
}

async function runBatch(
  session: Session,
  queries: QueryData[],
  opts: RequestOptions,
  deps: SqlHandlerDeps,
): Promise<string[]> {
  await session.query(beginStatement(opts), []);
  const results: string[] = [];
  try {
    for (const q of queries) results.push(await runStatement(session, q, opts, deps));
  } catch (err) {
    // The failed statement's error is the answer; a failing ROLLBACK must not replace it.
    await session.query('ROLLBACK', []).catch(() => undefined);
    throw err;
  }
  await session.query('COMMIT', []);
  return results;
}

async function runStatement(
  session: Session,
  q: QueryData,
  opts: RequestOptions,
  deps: SqlHandlerDeps,
): Promise<string> {
  deps.onQuery();
  const res = await session.query(q.query, q.params);
  if (!opts.rawTextOutput)
    await deps.types.learn(
      session,
      res.fields.map((f) => f.dataTypeID),
    );
  return resultToJson(
    res,
    {
      arrayMode: q.arrayMode ?? opts.arrayMode,
      rawTextOutput: opts.rawTextOutput,
      maxResponseBytes: deps.maxResponseBytes,
    },
    deps.types,
  );
}
