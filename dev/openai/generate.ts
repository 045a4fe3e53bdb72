/**
 * Produces a value that is valid against a structured-outputs JSON schema, walking it the way a
 * model fills it in: property by property, with each property's name (and what the enclosing
 * object describes) choosing meaningful content from the call analysis. Whatever the names do
 * not explain gets deterministic filler that still honours types, enums, bounds and lengths.
 */
import type { CallAnalysis } from './analysis.ts';
import { type Random, streamFor } from './random.ts';
import { asSchema, itemPropertyNames, normalize, propertyNames, type Schema, typeOf, variants } from './schema.ts';
import {
  booleanHint,
  enumHint,
  evidenceSubject,
  isCriterionLike,
  isCriterionVerdict,
  listSubjects,
  numberHint,
  preferNull,
  propertySubject,
  stringHint,
  type Subject,
} from './semantics.ts';

const MAX_DEPTH = 12;
const FILLER_LIST_DEPTH = 6;
const FILLER = [
  'call',
  'review',
  'customer',
  'agent',
  'account',
  'follow-up',
  'quality',
  'service',
  'update',
  'request',
  'details',
  'confirmed',
];

interface Ctx {
  key: string;
  /** The enclosing property's name: `sentiment.customer` reads as "customer sentiment". */
  parentKey: string;
  path: string;
  subject: Subject | undefined;
  depth: number;
}

export function generateFromSchema(root: Schema, analysis: CallAnalysis, seed: number): unknown {
  return new Generator(root, analysis, seed).value(root, {
    key: '',
    parentKey: '',
    path: '$',
    subject: undefined,
    depth: 0,
  });
}

class Generator {
  constructor(
    private readonly root: Schema,
    private readonly a: CallAnalysis,
    private readonly seed: number,
  ) {}

  private random(ctx: Ctx): Random {
    return streamFor(this.seed, ctx.path);
  }

  /** Asks a hint about the property's own name, then about it qualified by its parent's name. */
  private hint<T>(ctx: Ctx, ask: (key: string) => T | undefined): T | undefined {
    return ask(ctx.key) ?? (ctx.parentKey ? ask(`${ctx.parentKey}_${ctx.key}`) : undefined);
  }

  value(schema: Schema, ctx: Ctx): unknown {
    const { options, nullable } = variants(schema, this.root);
    if (options.length === 0) return null;
    if (nullable && (ctx.depth > MAX_DEPTH || preferNull(ctx.key, ctx.subject, this.a))) return null;
    // Past the depth limit, a scalar alternative ends recursive schemas.
    const option =
      ctx.depth > MAX_DEPTH
        ? (options.find((o) => !['object', 'array'].includes(typeOf(o))) ?? options[0]!)
        : options[0]!;
    return this.single(option, ctx);
  }

  private single(s: Schema, ctx: Ctx): unknown {
    if ('const' in s) return s['const'];
    if (Array.isArray(s['enum'])) return this.enumValue(s['enum'], ctx);
    switch (typeOf(s)) {
      case 'object':
        return this.object(s, ctx);
      case 'array':
        return this.array(s, ctx);
      case 'integer':
      case 'number':
        return this.number(s, ctx);
      case 'boolean':
        return this.hint(ctx, (k) => booleanHint(k, ctx.subject, this.a)) ?? this.random(ctx)() < 0.5;
      case 'null':
        return null;
      default:
        return this.string(s, ctx);
    }
  }

  private object(s: Schema, ctx: Ctx): Record<string, unknown> {
    const props = asSchema(s['properties']);
    const names = Object.keys(props);
    let subject = ctx.subject;
    // A root object that is itself one criterion's verdict (one call per criterion) describes the first criterion.
    if (
      !subject &&
      ctx.depth === 0 &&
      isCriterionVerdict(names) &&
      !names.some((n) => this.isCriteriaArray(asSchema(props[n]), n))
    ) {
      const first = this.a.criteria[0];
      if (first) subject = { kind: 'criterion', result: first };
    }
    const out: Record<string, unknown> = {};
    for (const name of names) {
      const schema = asSchema(props[name]);
      out[name] = this.value(schema, {
        key: name,
        parentKey: ctx.key,
        path: `${ctx.path}.${name}`,
        subject: this.propertySubject(name, schema, subject),
        depth: ctx.depth + 1,
      });
    }
    // A record (`z.record`) gets one entry per criterion when its values look like scores, else two filler keys.
    const extra = s['additionalProperties'];
    if (names.length === 0 && typeof extra === 'object' && extra !== null) {
      const valueSchema = asSchema(extra);
      const perCriterion = this.a.criteria.length > 0 && /criteri|score|result/i.test(ctx.key);
      const keys = perCriterion ? this.a.criteria.map((r) => r.criterion.id) : ['item_1', 'item_2'];
      for (const key of keys) {
        const subject = propertySubject(key, this.a);
        out[key] = this.value(valueSchema, {
          key,
          parentKey: ctx.key,
          path: `${ctx.path}.${key}`,
          subject,
          depth: ctx.depth + 1,
        });
      }
    }
    return out;
  }

  /** A single evidence object quotes the first moment of its parent; a property named after a criterion describes it. */
  private propertySubject(name: string, schema: Schema, parent: Subject | undefined): Subject | undefined {
    const option = variants(schema, this.root).options[0];
    if (option && typeOf(option) === 'object') {
      const evidence = evidenceSubject(name, parent, this.a);
      if (evidence) return evidence;
    }
    return parent ?? propertySubject(name, this.a);
  }

  private isCriteriaArray(schema: Schema, key: string): boolean {
    const s = variants(schema, this.root).options[0];
    if (!s || typeOf(s) !== 'array') return false;
    return isCriterionLike(itemPropertyNames(s, this.root)) || /criteri|scores|breakdown/i.test(key);
  }

  private array(s: Schema, ctx: Ctx): unknown[] {
    const min = typeof s['minItems'] === 'number' ? s['minItems'] : 0;
    const max = typeof s['maxItems'] === 'number' ? s['maxItems'] : Number.POSITIVE_INFINITY;
    const tuple = Array.isArray(s['prefixItems'])
      ? s['prefixItems']
      : Array.isArray(s['items'])
        ? s['items']
        : undefined;
    if (tuple) {
      return tuple.map((item, i) =>
        this.value(asSchema(item), { ...ctx, key: ctx.key, path: `${ctx.path}[${i}]`, depth: ctx.depth + 1 }),
      );
    }
    const itemSchema = asSchema(s['items']);
    const itemOption = variants(itemSchema, this.root).options[0];
    const itemIsObject = itemOption !== undefined && typeOf(itemOption) === 'object';
    const itemProps = itemIsObject ? propertyNames(itemOption, this.root) : [];

    let subjects: (Subject | undefined)[];
    const listed = ctx.depth > MAX_DEPTH ? [] : listSubjects(ctx.key, itemProps, itemIsObject, ctx.subject, this.a);
    if (listed) {
      subjects = listed.slice(0, max);
      // Too few meaningful entries for minItems: repeat them, or fall back to filler.
      for (let i = 0; subjects.length < min; i++) subjects.push(listed.length ? listed[i % listed.length] : undefined);
    } else {
      // Filler lists shrink with depth, so recursive schemas (trees) stay small.
      const preferred = ctx.depth > FILLER_LIST_DEPTH ? 0 : 1 + Math.floor(this.random(ctx)() * 3);
      subjects = Array.from({ length: Math.max(min, Math.min(max, preferred)) }, () => undefined);
    }

    const out = subjects.map((subject, i) =>
      this.value(itemSchema, {
        key: ctx.key,
        parentKey: ctx.parentKey,
        path: `${ctx.path}[${i}]`,
        // Filler items keep describing the parent; padded meaningful lists do not.
        subject: subject ?? (listed ? undefined : ctx.subject),
        depth: ctx.depth + 1,
      }),
    );
    return s['uniqueItems'] === true ? this.unique(out, itemSchema, ctx, min) : out;
  }

  private unique(items: unknown[], itemSchema: Schema, ctx: Ctx, min: number): unknown[] {
    const seen = new Set<string>();
    const out = items.filter((v) => !seen.has(JSON.stringify(v)) && (seen.add(JSON.stringify(v)), true));
    for (let i = 0; out.length < min && i < 50; i++) {
      const v = this.value(itemSchema, {
        ...ctx,
        subject: undefined,
        path: `${ctx.path}[extra${i}]`,
        depth: ctx.depth + 1,
      });
      if (!seen.has(JSON.stringify(v))) {
        seen.add(JSON.stringify(v));
        out.push(v);
      }
    }
    return out;
  }

  private enumValue(values: unknown[], ctx: Ctx): unknown {
    const strings = values.filter((v): v is string => typeof v === 'string');
    if (strings.length === values.length && strings.length) {
      return (
        this.hint(ctx, (k) => enumHint(strings, k, ctx.subject, this.a)) ??
        strings[Math.floor(this.random(ctx)() * strings.length)]
      );
    }
    const numbers = values.filter((v): v is number => typeof v === 'number');
    if (numbers.length === values.length && numbers.length) {
      // e.g. a 1-5 rating as an enum: the hinted value, snapped to the nearest allowed one.
      const bounds = { min: Math.min(...numbers), max: Math.max(...numbers) };
      const hint = this.hint(ctx, (k) => numberHint(k, ctx.subject, this.a, bounds));
      if (hint !== undefined)
        return numbers.reduce((best, n) => (Math.abs(n - hint) < Math.abs(best - hint) ? n : best));
    }
    return values[Math.floor(this.random(ctx)() * values.length)];
  }

  private number(s: Schema, ctx: Ctx): number {
    const integer = s['type'] === 'integer';
    let lo = typeof s['minimum'] === 'number' ? s['minimum'] : undefined;
    let hi = typeof s['maximum'] === 'number' ? s['maximum'] : undefined;
    const epsilon = integer ? 1 : 0.01;
    if (typeof s['exclusiveMinimum'] === 'number') lo = Math.max(lo ?? -Infinity, s['exclusiveMinimum'] + epsilon);
    if (typeof s['exclusiveMaximum'] === 'number') hi = Math.min(hi ?? Infinity, s['exclusiveMaximum'] - epsilon);
    // zod writes "any integer" as ±MAX_SAFE_INTEGER bounds; those are not a scale.
    const scaleLo = lo !== undefined && Math.abs(lo) < 1e9 ? lo : undefined;
    const scaleHi = hi !== undefined && Math.abs(hi) < 1e9 ? hi : undefined;

    let v = this.hint(ctx, (k) => numberHint(k, ctx.subject, this.a, { min: scaleLo, max: scaleHi }));
    if (v === undefined) {
      const from = scaleLo ?? 0;
      const to = scaleHi ?? (integer ? from + 10 : from + 1);
      v = from + this.random(ctx)() * (to - from);
    }
    v = integer ? Math.round(v) : Math.round(v * 100) / 100;
    if (lo !== undefined && v < lo) v = integer ? Math.ceil(lo) : lo;
    if (hi !== undefined && v > hi) v = integer ? Math.floor(hi) : hi;
    const step = s['multipleOf'];
    if (typeof step === 'number' && step > 0) {
      // Snap after clamping, then step back inside the bounds if snapping left them.
      v = Math.round(v / step) * step;
      if (lo !== undefined && v < lo) v = Math.ceil(lo / step) * step;
      if (hi !== undefined && v > hi) v = Math.floor(hi / step) * step;
      v = Number(v.toFixed(10));
    }
    return v;
  }

  private string(s: Schema, ctx: Ctx): string {
    const random = this.random(ctx);
    const format = typeof s['format'] === 'string' ? s['format'] : undefined;
    let text =
      (format && formatted(format, random)) ??
      this.hint(ctx, (k) => stringHint(k, ctx.subject, this.a)) ??
      filler(random);
    const pattern = typeof s['pattern'] === 'string' ? safeRegExp(s['pattern']) : undefined;
    if (pattern && !pattern.test(text)) {
      text = [uuid(random), slugLike(random), String(Math.floor(random() * 1e6))].find((c) => pattern.test(c)) ?? text;
    }
    const minLength = typeof s['minLength'] === 'number' ? s['minLength'] : 0;
    const maxLength = typeof s['maxLength'] === 'number' ? s['maxLength'] : Number.POSITIVE_INFINITY;
    while (text.length < minLength) text = `${text}${text ? ' ' : ''}${filler(random)}`;
    if (text.length > maxLength) text = truncate(text, maxLength);
    return text;
  }
}

/** Cuts at a word boundary where possible, so a shortened summary still reads as text. */
function truncate(text: string, max: number): string {
  if (max <= 0) return '';
  const cut = text.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return space > max * 0.6 ? cut.slice(0, space) : cut;
}

function filler(random: Random): string {
  const words = Array.from(
    { length: 3 + Math.floor(random() * 4) },
    () => FILLER[Math.floor(random() * FILLER.length)]!,
  );
  const sentence = words.join(' ');
  return `${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}.`;
}

function hex(random: Random, length: number): string {
  return Array.from({ length }, () => Math.floor(random() * 16).toString(16)).join('');
}

function uuid(random: Random): string {
  const h = hex(random, 32);
  const variant = '89ab'[Math.floor(random() * 4)];
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function slugLike(random: Random): string {
  return `item-${hex(random, 6)}`;
}

function formatted(format: string, random: Random): string | undefined {
  const day = new Date(
    Date.UTC(2025, 0, 1) + Math.floor(random() * 365) * 86_400_000 + Math.floor(random() * 86_400) * 1000,
  );
  switch (format) {
    case 'date-time':
      return day.toISOString();
    case 'date':
      return day.toISOString().slice(0, 10);
    case 'time':
      return day.toISOString().slice(11, 19);
    case 'duration':
      return `PT${1 + Math.floor(random() * 9)}M${Math.floor(random() * 60)}S`;
    case 'email':
      return `agent.${hex(random, 4)}@example.com`;
    case 'hostname':
      return 'example.com';
    case 'ipv4':
      return `192.0.2.${1 + Math.floor(random() * 250)}`;
    case 'ipv6':
      return `2001:db8::${hex(random, 4)}`;
    case 'uuid':
      return uuid(random);
    case 'uri':
    case 'url':
      return `https://example.com/calls/${hex(random, 8)}`;
    default:
      return undefined;
  }
}

function safeRegExp(source: string): RegExp | undefined {
  try {
    return new RegExp(source, 'u');
  } catch {
    return undefined;
  }
}

/** Removes a required key from the top-level object: valid JSON that fails the schema. */
export function breakRequired(value: unknown, root: Schema): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { unexpected: value };
  const required = normalize(root, root)['required'];
  const key = Array.isArray(required)
    ? (required.find((k) => typeof k === 'string' && k in value) as string | undefined)
    : undefined;
  const copy = { ...(value as Record<string, unknown>) };
  if (key !== undefined) delete copy[key];
  else copy['__unexpected__'] = true;
  return copy;
}
