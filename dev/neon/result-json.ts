/**
 * One statement's answer, written as JSON text in the proxy's key order:
 * rowAsArray, fields, rows, command, rowCount. Written by hand rather than
 * with JSON.stringify on an object because row objects keep column order and
 * duplicate column names as Postgres returned them, and json values are
 * embedded verbatim.
 */
import { NeonHttpError } from './errors.ts';
import type { StatementResult } from './executor.ts';
import { type ArrayTypes, pgTextToJson } from './pg-text-json.ts';

export interface OutputMode {
  arrayMode: boolean;
  rawTextOutput: boolean;
  /** Response size cap; the proxy answers 507 past it. */
  maxResponseBytes: number;
}

export function resultToJson(res: StatementResult, mode: OutputMode, types: ArrayTypes): string {
  const fields = res.fields.map((f) =>
    JSON.stringify({
      name: f.name,
      dataTypeID: f.dataTypeID,
      tableID: f.tableID,
      columnID: f.columnID,
      dataTypeSize: f.dataTypeSize,
      dataTypeModifier: f.dataTypeModifier,
      format: 'text',
    }),
  );
  const names = res.fields.map((f) => JSON.stringify(f.name));
  const value = (text: string | null, i: number): string => {
    if (text === null) return 'null';
    if (mode.rawTextOutput) return JSON.stringify(text);
    return pgTextToJson(text, res.fields[i]?.dataTypeID ?? 0, types);
  };

  const rows: string[] = [];
  let size = 0;
  for (const row of res.rows) {
    const values = row.map(value);
    const json = mode.arrayMode
      ? `[${values.join(',')}]`
      : `{${values.map((v, i) => `${names[i] ?? '""'}:${v}`).join(',')}}`;
    size += json.length + 1;
    if (size > mode.maxResponseBytes) {
      throw new NeonHttpError(507, `response is too large (max is ${mode.maxResponseBytes} bytes)`);
    }
    rows.push(json);
  }

  return (
    `{"rowAsArray":${mode.arrayMode},"fields":[${fields.join(',')}],"rows":[${rows.join(',')}],` +
    `"command":${JSON.stringify(res.command)},"rowCount":${res.rowCount === null ? 'null' : res.rowCount}}`
  );
}
