/**
 * OpenAI rejects a `strict: true` schema that does not meet structured outputs' rules, before
 * generating anything. Checking the same rules here means a product schema that would fail
 * against the real API (an `.optional()` field, an open object) fails locally too.
 */
import { invalidRequest } from './errors.ts';
import { asSchema, type Schema, stringList } from './schema.ts';

export function checkStrictSchema(name: string, schema: Schema): void {
  const fail = (context: string[], message: string): never => {
    const ctx = context.map((c) => `'${c}'`).join(', ');
    throw invalidRequest(
      `Invalid schema for response_format '${name}': In context=(${ctx}${context.length === 1 ? ',' : ''}), ${message}`,
      'response_format',
      'invalid_json_schema',
    );
  };
  if (schema['type'] !== 'object' || 'anyOf' in schema) {
    throw invalidRequest(
      `Invalid schema for response_format '${name}': schema must be a JSON Schema of 'type: "object"', got 'type: "${String(schema['type'] ?? 'None')}"'.`,
      'response_format',
      'invalid_json_schema',
    );
  }

  const visit = (node: Schema, context: string[]): void => {
    const type = node['type'];
    const isObject =
      type === 'object' || (Array.isArray(type) && type.includes('object')) || node['properties'] !== undefined;
    if (isObject && node['$ref'] === undefined) {
      if (node['additionalProperties'] !== false)
        fail(context, "'additionalProperties' is required to be supplied and to be false.");
      const keys = Object.keys(asSchema(node['properties']));
      const required = stringList(node['required']);
      const missing = keys.find((k) => !required.includes(k));
      if (missing !== undefined || !Array.isArray(node['required'])) {
        fail(
          context,
          `'required' is required to be supplied and to be an array including every key in properties.${missing ? ` Missing '${missing}'.` : ''}`,
        );
      }
      const extra = required.find((k) => !keys.includes(k));
      if (extra !== undefined) fail(context, `'required' present but '${extra}' is not in 'properties'.`);
    }
    for (const [key, child] of Object.entries(asSchema(node['properties'])))
      visit(asSchema(child), [...context, 'properties', key]);
    if (node['items'] !== undefined && !Array.isArray(node['items']))
      visit(asSchema(node['items']), [...context, 'items']);
    for (const keyword of ['anyOf', 'oneOf', 'allOf', 'prefixItems']) {
      const list = node[keyword];
      if (Array.isArray(list)) list.forEach((child, i) => visit(asSchema(child), [...context, keyword, String(i)]));
    }
    for (const keyword of ['$defs', 'definitions']) {
      for (const [key, child] of Object.entries(asSchema(node[keyword])))
        visit(asSchema(child), [...context, keyword, key]);
    }
  };
  visit(schema, []);
}
