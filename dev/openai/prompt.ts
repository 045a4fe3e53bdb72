/**
 * Reads the call transcript and the evaluation criteria out of chat messages, tolerating the
 * ways a prompt is usually written. Any system, developer or user message may hold either.
 *
 * Transcript, one utterance per line (times in seconds unless marked; the label before the
 * colon is the speaker):
 *     [12.3s] Agent: Thank you for calling...      [12.3s - 15.0s] A: ...     [00:12] Customer: ...
 *     (12.3s) Caller: ...                          Agent [12.3s]: ...          [12300ms] Speaker B: ...
 *     Agent: ...   Customer: ...   A: ...   B: ...   Speaker 1: ...   (no time: estimated from word counts)
 *   or JSON: an AssemblyAI transcript (`utterances`, times in ms) or an array of
 *   `{speaker, text, start_seconds|start_ms|start}` objects.
 *   Agent labels: Agent, Rep, Representative, Advisor, Associate, Operator, A, Speaker A, 1, Channel 1.
 *   Customer labels: Customer, Caller, Client, B, Speaker B, 2, Channel 2. Any other label (a first
 *   name) takes the agent role if it speaks first, else the customer role.
 *
 * Criteria: preferably JSON (a fenced ```json block, or JSON starting on its own line), either an
 * array of `{id, name, max_points, description}` or an object holding one under a key like
 * `criteria`; `key`/`criterion_id`, `title`, `points`/`max_score`/`weight` are accepted too. An
 * item with `category: "compliance"` (or `compliance: true`) is also a compliance rule, and an
 * array under a key like `compliance_rules` lists rules (`{id, name|rule, description}` or strings).
 * Without JSON, bullet lines that state points are read:
 *     - greeting (Greeting, max 10 points): The agent greets the customer...
 *     1. [closing] Closing - 15 pts - Asks if there is anything else...
 */
import type { ChatMessage } from './request.ts';

export type Role = 'agent' | 'customer';

export interface Utterance {
  index: number;
  role: Role;
  label: string;
  text: string;
  startSeconds: number;
  endSeconds: number;
}

export interface Criterion {
  id: string;
  name: string;
  maxPoints: number;
  description: string;
  weight: number | undefined;
  compliance: boolean;
  /** Failing it fails the whole call (`auto_fail: true`). */
  autoFail: boolean;
}

export interface ComplianceRule {
  id: string;
  name: string;
  description: string;
}

export interface CallPrompt {
  utterances: Utterance[];
  criteria: Criterion[];
  complianceRules: ComplianceRule[];
}

const WORDS_PER_SECOND = 2.6;

export function parsePrompt(messages: ChatMessage[]): CallPrompt {
  const texts = messages.filter((m) => m.role !== 'assistant').map((m) => m.text);
  const json = texts.flatMap(extractJson);

  let utterances = texts.flatMap((t) => parseTranscriptLines(t));
  if (utterances.length === 0) utterances = json.flatMap((v) => findJsonTranscript(v));
  assignRoles(utterances);
  fillTimes(utterances);

  let criteria = json.flatMap((v) => findCriteria(v));
  if (criteria.length === 0) criteria = texts.flatMap(parseCriteriaBullets);
  criteria = dedupe(criteria, (c) => c.id);
  const complianceRules = dedupe(
    json.flatMap((v) => findComplianceRules(v)),
    (r) => r.id,
  );
  const timed = utterances.map((u, index) => ({
    index,
    role: u.role ?? 'agent',
    label: u.label,
    text: u.text,
    startSeconds: u.startSeconds ?? 0,
    endSeconds: u.endSeconds ?? 0,
  }));
  return { utterances: timed, criteria, complianceRules };
}

// ---- transcript lines -------------------------------------------------------------------

const TS = String.raw`\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?|\d+(?:\.\d+)?\s*(?:ms|s|sec|secs|seconds)?`;
const RANGE = String.raw`[\[(]\s*(${TS})\s*(?:(?:-|–|—|→|->|to)\s*(${TS})\s*)?[\])]`;
const LABEL = String.raw`[^\[\]():\n]{1,40}?`;
const TIME_FIRST = new RegExp(String.raw`^\s*(?:[-*•]\s+)?${RANGE}\s*(${LABEL})\s*:\s+(.+)$`, 'i');
const LABEL_FIRST = new RegExp(String.raw`^\s*(?:[-*•]\s+)?(${LABEL})\s*${RANGE}\s*:\s+(.+)$`, 'i');
const BARE =
  /^\s*(?:[-*•]\s+)?\**(agent|customer|caller|client|rep|representative|advisor|adviser|associate|operator|speaker\s*[a-z0-9]{1,2}|channel\s*\d|[AB12])\**\s*:\s+(.+)$/i;

type RawUtterance = Omit<Utterance, 'index' | 'role' | 'startSeconds' | 'endSeconds'> & {
  role?: Role;
  startSeconds: number | undefined;
  endSeconds: number | undefined;
};

function parseTranscriptLines(text: string): RawUtterance[] {
  const out: RawUtterance[] = [];
  for (const raw of text.split(/\r?\n/)) {
    // Markdown emphasis around labels or times ("**[3.2s] Agent:**") is decoration, not content.
    const line = raw.replace(/\*\*|__/g, '');
    let m = TIME_FIRST.exec(line);
    if (m) {
      out.push({
        label: cleanLabel(m[3]!),
        text: m[4]!.trim(),
        startSeconds: seconds(m[1]!),
        endSeconds: m[2] ? seconds(m[2]) : undefined,
      });
      continue;
    }
    m = LABEL_FIRST.exec(line);
    // A bare number after a label is more likely points ("Greeting (10): ...") than a time.
    if (m && /[a-z:]/i.test(m[2]!) && !/^\d+\.?$/.test(m[1]!.trim())) {
      out.push({
        label: cleanLabel(m[1]!),
        text: m[4]!.trim(),
        startSeconds: seconds(m[2]!),
        endSeconds: m[3] ? seconds(m[3]) : undefined,
      });
      continue;
    }
    m = BARE.exec(line);
    if (m) out.push({ label: cleanLabel(m[1]!), text: m[2]!.trim(), startSeconds: undefined, endSeconds: undefined });
  }
  return out;
}

function cleanLabel(label: string): string {
  return label.replace(/\*+/g, '').trim();
}

/** "12.3s", "12300ms", "00:12", "1:02:03.5", "12.3" (seconds) → seconds. */
function seconds(ts: string): number {
  const t = ts.trim().toLowerCase();
  if (t.includes(':')) return t.split(':').reduce((acc, part) => acc * 60 + Number(part), 0);
  const n = Number.parseFloat(t);
  return t.endsWith('ms') ? n / 1000 : n;
}

const AGENT_LABEL =
  /^(agent|rep|representative|advisor|adviser|associate|operator|consultant|support|a|speaker\s*a|speaker\s*1|channel\s*1|1)$|\bagent\b|representative/i;
const CUSTOMER_LABEL =
  /^(customer|caller|client|member|patient|b|speaker\s*b|speaker\s*2|channel\s*2|2)$|\bcustomer\b|\bcaller\b/i;

function assignRoles(utterances: RawUtterance[]): void {
  const byLabel = new Map<string, Role>();
  for (const u of utterances) {
    if (u.role) continue;
    const key = u.label.toLowerCase();
    let role = byLabel.get(key);
    if (!role) {
      if (AGENT_LABEL.test(u.label)) role = 'agent';
      else if (CUSTOMER_LABEL.test(u.label)) role = 'customer';
      else role = [...byLabel.values()].includes('agent') ? 'customer' : 'agent';
      byLabel.set(key, role);
    }
    u.role = role;
  }
}

/** Missing times are estimated from word counts, so evidence still carries plausible offsets. */
function fillTimes(utterances: RawUtterance[]): void {
  let clock = 0;
  for (const u of utterances) {
    const spoken = u.text.split(/\s+/).length / WORDS_PER_SECOND;
    u.startSeconds ??= Math.round(clock * 10) / 10;
    u.endSeconds ??= Math.round((u.startSeconds + spoken) * 10) / 10;
    clock = u.endSeconds + 0.5;
  }
}

// ---- JSON blocks ------------------------------------------------------------------------

/** Fenced blocks, then JSON values that start a line (or follow a colon), parsed where valid. */
export function extractJson(text: string): unknown[] {
  const found: unknown[] = [];
  for (const m of text.matchAll(/```(?:json)?\s*\n([\s\S]*?)```/gi)) {
    const value = tryParse(m[1]!);
    if (value !== undefined) found.push(value);
  }
  const stripped = text.replace(/```(?:json)?\s*\n[\s\S]*?```/gi, '');
  for (let i = 0; i < stripped.length; i++) {
    const c = stripped[i];
    if (c !== '{' && c !== '[') continue;
    const before = stripped.slice(stripped.lastIndexOf('\n', i - 1) + 1, i);
    if (before.trim() !== '' && !/[:=]\s*$/.test(before)) continue;
    const end = balancedEnd(stripped, i);
    if (end < 0) continue;
    const value = tryParse(stripped.slice(i, end + 1));
    if (value !== undefined && typeof value === 'object') {
      found.push(value);
      i = end;
    }
  }
  return found;
}

function balancedEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Visits every array in a JSON value with the key it sits under. */
function* arraysIn(value: unknown, key = ''): Generator<{ key: string; items: unknown[] }> {
  if (Array.isArray(value)) {
    yield { key, items: value };
    for (const v of value) yield* arraysIn(v, key);
  } else if (isObj(value)) {
    for (const [k, v] of Object.entries(value)) yield* arraysIn(v, k);
  }
}

function findJsonTranscript(value: unknown): RawUtterance[] {
  for (const { items } of arraysIn(value)) {
    const rows = items.filter(isObj).filter((o) => typeof o['text'] === 'string' && o['speaker'] !== undefined);
    if (rows.length < 2 || rows.length < items.length / 2) continue;
    // AssemblyAI's `start`/`end` are ms; explicit suffixes win.
    const msStart = rows.every((r) => r['start'] === undefined || Number.isInteger(r['start']));
    const time = (r: Obj, base: string): number | undefined => {
      for (const k of [`${base}_seconds`, `${base}_time`, `${base}_s`]) if (typeof r[k] === 'number') return r[k];
      if (typeof r[`${base}_ms`] === 'number') return (r[`${base}_ms`] as number) / 1000;
      if (typeof r[base] === 'number') return msStart ? (r[base] as number) / 1000 : (r[base] as number);
      return undefined;
    };
    return rows.map((r) => ({
      label: String(r['speaker']),
      text: String(r['text']),
      startSeconds: time(r, 'start'),
      endSeconds: time(r, 'end'),
    }));
  }
  return [];
}

// ---- criteria ---------------------------------------------------------------------------

const POINT_KEYS = [
  'max_points',
  'maxPoints',
  'max_score',
  'maxScore',
  'points',
  'max',
  'maximum_points',
  'possible_points',
  'score_max',
];
const ID_KEYS = ['id', 'key', 'criterion_id', 'criterionId', 'code', 'slug'];
const NAME_KEYS = ['name', 'title', 'label', 'criterion'];
const DESCRIPTION_KEYS = ['description', 'desc', 'guidance', 'instructions', 'details', 'definition'];

function findCriteria(value: unknown): Criterion[] {
  const out: Criterion[] = [];
  for (const { key, items } of arraysIn(value)) {
    const objects = items.filter(isObj);
    if (objects.length === 0 || objects.length < items.length) continue;
    const named = objects.filter((o) => pick(o, NAME_KEYS, 'string') ?? pick(o, ID_KEYS, 'string'));
    const scored = objects.filter(
      (o) => pick(o, POINT_KEYS, 'number') !== undefined || typeof o['weight'] === 'number',
    );
    const keyed = /criteri|rubric|scorecard|questions|items/i.test(key);
    if (
      named.length === objects.length &&
      (scored.length === objects.length || keyed) &&
      !/complian|rules|polic/i.test(key)
    ) {
      out.push(...objects.map(toCriterion));
    }
  }
  return out;
}

function toCriterion(o: Obj): Criterion {
  const name = (pick(o, NAME_KEYS, 'string') as string | undefined) ?? String(pick(o, ID_KEYS, 'string'));
  const id = (pick(o, ID_KEYS, 'string') as string | undefined) ?? slug(name);
  const weight = typeof o['weight'] === 'number' ? o['weight'] : undefined;
  const category = `${String(o['category'] ?? '')} ${String(o['type'] ?? '')}`;
  return {
    id,
    name,
    maxPoints: (pick(o, POINT_KEYS, 'number') as number | undefined) ?? weight ?? 10,
    description: (pick(o, DESCRIPTION_KEYS, 'string') as string | undefined) ?? '',
    weight,
    compliance: /complian/i.test(category) || o['compliance'] === true || o['is_compliance'] === true,
    autoFail: o['auto_fail'] === true || o['autoFail'] === true,
  };
}

function findComplianceRules(value: unknown): ComplianceRule[] {
  const out: ComplianceRule[] = [];
  for (const { key, items } of arraysIn(value)) {
    if (!/complian|rules|polic|checks|requirements/i.test(key)) continue;
    for (const item of items) {
      if (typeof item === 'string') out.push({ id: slug(item), name: item, description: item });
      else if (isObj(item)) {
        const name = (pick(item, [...NAME_KEYS, 'rule', 'requirement'], 'string') ?? pick(item, ID_KEYS, 'string')) as
          string | undefined;
        if (!name) continue;
        out.push({
          id: (pick(item, ID_KEYS, 'string') as string | undefined) ?? slug(name),
          name,
          description: (pick(item, DESCRIPTION_KEYS, 'string') as string | undefined) ?? name,
        });
      }
    }
  }
  return out;
}

const POINTS_IN_LINE =
  /\bmax(?:imum)?[_ ]?(?:points|score)?\s*[:=]?\s*(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)\s*(?:points|pts|pt)\b/i;

function parseCriteriaBullets(text: string): Criterion[] {
  const out: Criterion[] = [];
  for (const line of text.split(/\r?\n/)) {
    const bullet = /^\s*(?:[-*•]|\d+[.)])\s+(.+)$/.exec(line);
    if (!bullet) continue;
    const body = bullet[1]!;
    const points = POINTS_IN_LINE.exec(body);
    if (!points) continue;
    const maxPoints = Number(points[1] ?? points[2]);
    const explicitId =
      /\bid\s*[:=]\s*`?([\w.-]+)`?/i.exec(body)?.[1] ??
      /\[([\w.-]+)\]/.exec(body)?.[1] ??
      /`([\w.-]+)`/.exec(body)?.[1];
    const explicitName = /\bname\s*[:=]\s*([^,;|)]+)/i.exec(body)?.[1]?.trim();
    // "description: ...", else the text after "): ", " - 15 pts - " or ": ".
    const description =
      /\bdescription\s*[:=]\s*(.+)$/i.exec(body)?.[1]?.trim() ??
      /(?:\)\s*[:\-–—]|\s[-–—]\s[^-–—]*\s[-–—]\s|:\s)\s*([^:]+)$/.exec(body)?.[1]?.trim() ??
      '';
    // "greeting (Greeting, max 10 points): ..." → id before the parenthesis, name inside it.
    const lead = body
      .replace(/\[[\w.-]+\]|`[\w.-]+`/g, '')
      .split(/[(:–—]|\s-\s/)[0]!
      .trim();
    const inParens = /\(([^,)]+),/.exec(body)?.[1]?.trim();
    const name = explicitName ?? (inParens && !POINTS_IN_LINE.test(inParens) ? inParens : lead) ?? lead;
    const id = explicitId ?? (inParens && /^[\w.-]+$/.test(lead) ? lead : slug(name));
    if (!name) continue;
    out.push({
      id,
      name,
      maxPoints,
      description,
      weight: undefined,
      compliance: /complian/i.test(body),
      autoFail: /auto[_ -]?fail/i.test(body),
    });
  }
  return out;
}

function pick(o: Obj, keys: string[], type: 'string' | 'number'): string | number | undefined {
  for (const k of keys) if (typeof o[k] === type && o[k] !== '') return o[k] as string | number;
  return undefined;
}

export function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_|_$/g, '')
      .slice(0, 48) || 'item'
  );
}

function dedupe<T>(items: T[], key: (t: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((i) => !seen.has(key(i)) && (seen.add(key(i)), true));
}
