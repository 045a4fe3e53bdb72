/**
 * The JSON request body: `{query, params?, arrayMode?}` or `{queries: [...]}`.
 * Mirrors the proxy's serde types (an untagged enum tried single-first), and
 * its `json_to_pg_text`: the driver sends every param as a string or null, but
 * the proxy also takes JSON booleans, numbers, objects and arrays.
 */
import { NeonHttpError } from './errors.ts';

export interface QueryData {
  query: string;
  params: (string | null)[];
  /** Overrides the `Neon-Array-Mode` header for this statement. */
  arrayMode: boolean | undefined;
}

export type Payload = { kind: 'single'; query: QueryData } | { kind: 'batch'; queries: QueryData[] };

const parseError = (reason: string) => new NeonHttpError(400, `could not parse the HTTP request body: ${reason}`);

export function parsePayload(body: Buffer): Payload {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw parseError(err instanceof Error ? err.message : String(err));
  }
  const single = toQueryData(json);
  if (single) return { kind: 'single', query: single };
  const batch = isObject(json) ? json['queries'] : undefined;
  if (Array.isArray(batch)) {
    const queries = batch.map(toQueryData);
    if (queries.every((q): q is QueryData => q !== undefined)) return { kind: 'batch', queries };
  }
  // serde's wording when neither variant of the untagged enum fits.
  throw parseError('data did not match any variant of untagged enum Payload');
}

function toQueryData(v: unknown): QueryData | undefined {
  if (!isObject(v)) return undefined;
  const { query, params = [], arrayMode } = v;
  if (typeof query !== 'string') return undefined;
  if (!Array.isArray(params)) return undefined;
  if (arrayMode !== undefined && arrayMode !== null && typeof arrayMode !== 'boolean') return undefined;
  return { query, params: params.map(jsonToPgText), arrayMode: arrayMode ?? undefined };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A top-level param: strings pass through unescaped, other scalars and objects as JSON text. */
export function jsonToPgText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return jsonArrayToPgArray(v);
  return JSON.stringify(v);
}

/**
 * A JSON array becomes a Postgres array literal. Inside it, strings are quoted
 * and escaped (the proxy reuses JSON string syntax) and objects become quoted
 * JSON text; Postgres checks the element type.
 */
function jsonArrayToPgArray(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (Array.isArray(v)) return `{${v.map(jsonArrayToPgArray).join(',')}}`;
  if (typeof v === 'object') return JSON.stringify(JSON.stringify(v));
  return JSON.stringify(v);
}
