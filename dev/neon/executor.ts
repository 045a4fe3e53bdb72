/**
 * What the HTTP layer needs from a database: a session authenticated as the
 * role from the connection string, that runs one statement at a time with
 * text parameters and hands back rows in Postgres text form.
 */
import type { ConnInfo } from './conn-info.ts';

/** One RowDescription entry, as Postgres sends it. */
export interface FieldInfo {
  name: string;
  tableID: number;
  columnID: number;
  dataTypeID: number;
  dataTypeSize: number;
  dataTypeModifier: number;
}

export interface StatementResult {
  fields: FieldInfo[];
  /** Values in Postgres text output form; SQL NULL is null. */
  rows: (string | null)[][];
  /** First word of the command tag ("" for an empty query). */
  command: string;
  /** The count in the command tag, or null when the tag has none (BEGIN, SET, CREATE TABLE...). */
  rowCount: number | null;
}

export interface Session {
  /** Runs one statement with the extended protocol; throws the server's error as is. */
  query(text: string, params: readonly (string | null)[]): Promise<StatementResult>;
}

export interface SqlExecutor {
  /**
   * Runs `work` on a session logged in as `conn.user` on `conn.database`.
   * A session left inside a transaction afterwards is not reused as is.
   */
  withSession<T>(conn: ConnInfo, work: (session: Session) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Splits a command tag like the proxy's `parse_command_tag`: the first word,
 * then the number after it (for `INSERT oid n` the second number).
 */
export function parseCommandTag(tag: string): { command: string; rowCount: number | null } {
  const space = tag.indexOf(' ');
  if (space < 0) return { command: tag, rowCount: null };
  const command = tag.slice(0, space);
  let rest = tag.slice(space + 1);
  if (command === 'INSERT') {
    const second = rest.indexOf(' ');
    if (second < 0) return { command, rowCount: null };
    rest = rest.slice(second + 1);
  }
  return { command, rowCount: /^\d+$/.test(rest) ? Number(rest) : null };
}
