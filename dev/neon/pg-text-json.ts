/**
 * Without `Neon-Raw-Text-Output: true` the proxy turns Postgres text into JSON
 * itself (json.rs `pg_text_to_json`): bool → true/false, int2/int4 → number,
 * float4/float8 → number (NaN and infinities stay strings), json/jsonb →
 * embedded as is, arrays → JSON arrays, everything else (int8 and numeric
 * included) → string. The output here is JSON text, so json values and big
 * numbers inside them pass through untouched.
 */
import type { Session } from './executor.ts';

const BOOL = 16;
const INT2 = 21;
const INT4 = 23;
const FLOAT4 = 700;
const FLOAT8 = 701;
const JSON_OID = 114;
const JSONB = 3802;

/**
 * Knows which type OIDs are arrays and of what. Asks pg_type once per unseen
 * OID, since enum and domain arrays get OIDs only the database knows.
 */
export class ArrayTypes {
  /** array OID → element OID; 0 for a known non-array type. */
  readonly #elements = new Map<number, number>();

  async learn(session: Session, oids: readonly number[]): Promise<void> {
    const unknown = [...new Set(oids)].filter((oid) => !this.#elements.has(oid));
    if (unknown.length === 0) return;
    const res = await session.query(
      `SELECT oid::int4, CASE WHEN typcategory = 'A' THEN typelem::int4 ELSE 0 END
         FROM pg_catalog.pg_type WHERE oid = ANY($1::oid[])`,
      [`{${unknown.join(',')}}`],
    );
    for (const oid of unknown) this.#elements.set(oid, 0);
    for (const [oid, elem] of res.rows) this.#elements.set(Number(oid), Number(elem));
  }

  elementOf(oid: number): number {
    return this.#elements.get(oid) ?? 0;
  }
}

/** Thrown when Postgres text cannot be read; the proxy answers 500 "could not parse postgres response". */
export class PgTextError extends Error {}

export function pgTextToJson(text: string, typeOid: number, types: ArrayTypes): string {
  const elem = types.elementOf(typeOid);
  if (elem !== 0) return parseArray(text, elem, types);
  switch (typeOid) {
    case BOOL:
      return text === 't' ? 'true' : 'false';
    case INT2:
    case INT4: {
      if (!/^[+-]?\d+$/.test(text)) throw new PgTextError(`parse int error: ${text}`);
      return String(Number(text));
    }
    case FLOAT4:
    case FLOAT8: {
      const n = Number(text);
      if (Number.isNaN(n) && text !== 'NaN') throw new PgTextError(`parse float error: ${text}`);
      return Number.isFinite(n) ? JSON.stringify(n) : JSON.stringify(text);
    }
    case JSON_OID:
    case JSONB:
      return text;
    default:
      return JSON.stringify(text);
  }
}

/**
 * Reads an array's text form (`{1,2}`, `{{a,"b c"},{NULL,"x\"y"}}`,
 * `[0:1]={1,2}`) into a JSON array, converting each element by its type.
 * Like the proxy: ',' is the delimiter and bounds decoration is dropped.
 */
function parseArray(text: string, elem: number, types: ArrayTypes): string {
  let src = text;
  if (src.startsWith('[')) {
    const eq = src.indexOf('=');
    if (eq < 0) throw new PgTextError('unbalanced array');
    src = src.slice(eq + 1);
  }
  const reader = { src: src.trimStart(), pos: 0 };
  const json = readList(reader, elem, types);
  if (reader.pos !== reader.src.length) throw new PgTextError('unbalanced array');
  return json;
}

interface Reader {
  src: string;
  pos: number;
}

function readList(r: Reader, elem: number, types: ArrayTypes): string {
  if (r.src[r.pos] !== '{') throw new PgTextError('unbalanced array');
  r.pos++;
  const items: string[] = [];
  skipSpace(r);
  // An empty array reads as [] (not as one empty-string element).
  const empty = r.src[r.pos] === '}';
  while (!empty) {
    items.push(readItem(r, elem, types));
    if (r.src[r.pos] === ',') {
      r.pos++;
      continue;
    }
    break;
  }
  if (r.src[r.pos] !== '}') throw new PgTextError('unbalanced array');
  r.pos++;
  skipSpace(r);
  return `[${items.join(',')}]`;
}

function readItem(r: Reader, elem: number, types: ArrayTypes): string {
  skipSpace(r);
  if (r.src[r.pos] === '{') return readList(r, elem, types);
  if (r.src[r.pos] === '"') {
    r.pos++;
    let out = '';
    for (;;) {
      const ch = r.src[r.pos++];
      if (ch === undefined) throw new PgTextError('unbalanced quoted string');
      if (ch === '"') break;
      if (ch === '\\') {
        const escaped = r.src[r.pos++];
        if (escaped === undefined) throw new PgTextError('unbalanced quoted string');
        out += escaped;
      } else {
        out += ch;
      }
    }
    skipSpace(r);
    return pgTextToJson(out, elem, types);
  }
  let end = r.pos;
  while (end < r.src.length && r.src[end] !== ',' && r.src[end] !== '}') end++;
  if (end >= r.src.length) throw new PgTextError('unbalanced array');
  const item = r.src.slice(r.pos, end).trimEnd();
  r.pos = end;
  return item === 'NULL' ? 'null' : pgTextToJson(item, elem, types);
}

function skipSpace(r: Reader): void {
  while (r.pos < r.src.length && /\s/.test(r.src[r.pos] ?? '')) r.pos++;
}
