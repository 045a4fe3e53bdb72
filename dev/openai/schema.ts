/**
 * The JSON Schema subset structured outputs use, reduced to something a generator can walk:
 * `$ref` followed (JSON pointers into `$defs`/`definitions`, or `#` for recursion), `allOf`
 * merged, and nullability (`anyOf` with `{type:"null"}` or `type: [..., "null"]`) split off.
 */
export type Schema = Record<string, unknown>;

export function asSchema(value: unknown): Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Schema) : {};
}

/** Follows a local `$ref`; unknown or remote refs resolve to the empty (any) schema. */
export function resolveRef(ref: string, root: Schema): Schema {
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return {};
  let node: unknown = root;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    node = asSchema(node)[key];
    if (node === undefined) return {};
  }
  return asSchema(node);
}

/** Resolves refs (with a hop limit against ref cycles) and folds `allOf` into one schema. */
export function normalize(schema: Schema, root: Schema): Schema {
  let current = schema;
  for (let hops = 0; typeof current['$ref'] === 'string' && hops < 32; hops++) {
    const { $ref, ...siblings } = current;
    current = { ...resolveRef($ref as string, root), ...siblings };
  }
  if (Array.isArray(current['allOf'])) {
    const { allOf, ...rest } = current;
    let merged: Schema = rest;
    for (const part of allOf as unknown[]) {
      const p = normalize(asSchema(part), root);
      merged = {
        ...p,
        ...merged,
        properties: { ...asSchema(p['properties']), ...asSchema(merged['properties']) },
        required: [...new Set([...stringList(p['required']), ...stringList(merged['required'])])],
      };
    }
    current = merged;
  }
  return current;
}

export interface Variants {
  /** The non-null alternatives, each normalized. */
  options: Schema[];
  nullable: boolean;
}

/** Splits a schema into its non-null alternatives and whether null is allowed. */
export function variants(schema: Schema, root: Schema): Variants {
  const s = normalize(schema, root);
  const union = (s['anyOf'] ?? s['oneOf']) as unknown;
  if (Array.isArray(union)) {
    const { anyOf: _a, oneOf: _o, ...base } = s;
    let nullable = false;
    const options: Schema[] = [];
    for (const branch of union) {
      const v = variants({ ...base, ...asSchema(branch) }, root);
      nullable ||= v.nullable;
      options.push(...v.options);
    }
    return { options, nullable };
  }
  const type = s['type'];
  if (Array.isArray(type)) {
    const types = type.filter((t): t is string => typeof t === 'string');
    const nonNull = types.filter((t) => t !== 'null');
    const nullable = nonNull.length < types.length || (Array.isArray(s['enum']) && s['enum'].includes(null));
    return { options: nonNull.map((t) => ({ ...s, type: t })), nullable };
  }
  if (type === 'null') return { options: [], nullable: true };
  if (Array.isArray(s['enum']) && s['enum'].includes(null)) {
    const values = s['enum'].filter((v) => v !== null);
    return { options: values.length ? [{ ...s, enum: values }] : [], nullable: true };
  }
  return { options: [s], nullable: false };
}

/** The single type a normalized, non-union schema describes. */
export function typeOf(s: Schema): string {
  if (typeof s['type'] === 'string') return s['type'];
  if ('const' in s) return jsonType(s['const']);
  if (Array.isArray(s['enum']) && s['enum'].length) return jsonType(s['enum'][0]);
  if (s['properties'] || s['additionalProperties'] !== undefined) return 'object';
  if (s['items'] || s['prefixItems']) return 'array';
  return 'string';
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

export function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Property names of an object schema (after normalizing), in declaration order. */
export function propertyNames(schema: Schema, root: Schema): string[] {
  const s = normalize(schema, root);
  return Object.keys(asSchema(s['properties']));
}

/** Property names of the items of an array schema, or [] when items are not objects. */
export function itemPropertyNames(schema: Schema, root: Schema): string[] {
  const item = variants(asSchema(normalize(schema, root)['items']), root).options[0];
  return item ? propertyNames(item, root) : [];
}
