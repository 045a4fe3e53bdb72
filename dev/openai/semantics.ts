/**
 * What a property name asks for, given what the generator is describing at that point (a
 * criterion's result, a compliance check, a quoted moment, an insight, or the call as a whole).
 * Each hint returns undefined when the name says nothing useful, and the generator then falls
 * back to filler that is merely valid for the schema.
 */
import type { CallAnalysis, ComplianceResult, CriterionResult, Evidence, Insight } from './analysis.ts';
import { slug } from './prompt.ts';

export type Subject =
  | { kind: 'criterion'; result: CriterionResult }
  | { kind: 'compliance'; result: ComplianceResult }
  | { kind: 'evidence'; evidence: Evidence }
  | { kind: 'insight'; insight: Insight }
  | { kind: 'text'; text: string };

export const SCORE_KEY =
  /^(score|points|points_?awarded|awarded_?points|earned_?points|awarded|earned|rating|value|grade|result_?score|criterion_?score)$/i;
const MAX_KEY = /max|possible|out_?of|available|ceiling/i;
const PASS_KEY =
  /pass|\bmet\b|^met|_met|meets|achiev|compliant|success|satisf|^ok$|present|done|followed|complete|adhere|observed|correct/i;
const FAIL_KEY = /fail|violat|miss|breach|non_?compl|not_?met/i;
const EVIDENCE_KEY =
  /evidence|quote|excerpt|example|citation|moment|highlight|reference|snippet|supporting|timestamps/i;
const REASON_KEY =
  /reason|rational|explan|justif|comment|feedback|note|analysis|assessment|observation|detail|summary|description|why/i;
const ID_KEY = /^(criterion_?|rule_?|check_?)?(id|key|code|slug)$|^criterion$/i;
const NAME_KEY = /name|title|label|criterion|rule|check|requirement|policy|item|regulation/i;

/** A whole answer that is one criterion's verdict (one request per criterion): a score and a pass flag or criterion id, no call-level fields. */
export function isCriterionVerdict(props: string[]): boolean {
  const has = (re: RegExp) => props.some((p) => re.test(p));
  return has(SCORE_KEY) && (has(PASS_KEY) || has(/criterion/i)) && !has(/summary|overall|total|sentiment/i);
}

export function isCriterionLike(props: string[]): boolean {
  const has = (re: RegExp) => props.some((p) => re.test(p));
  return has(SCORE_KEY) && (has(PASS_KEY) || has(EVIDENCE_KEY) || has(REASON_KEY) || has(ID_KEY) || has(/name/i));
}

const TIME_KEY = /start|begin|time|timestamp|offset|^at$|_at$|second|^ts$|position|^ms$/;
/** The quoted moments a subject carries, if it is something that quotes the call. */
function evidenceOf(subject: Subject | undefined): Evidence[] | undefined {
  if (subject?.kind === 'criterion' || subject?.kind === 'compliance') return subject.result.evidence;
  return subject?.kind === 'insight' ? subject.insight.evidence : undefined;
}

const timeUnitIsMs = (key: string) => /ms\b|_ms|millis/i.test(key);
const toUnit = (key: string, seconds: number) =>
  timeUnitIsMs(key) ? Math.round(seconds * 1000) : Math.round(seconds * 1000) / 1000;

/** A number the name and subject call for; range fitting happens in the caller. */
export function numberHint(
  key: string,
  subject: Subject | undefined,
  a: CallAnalysis,
  bounds: { min?: number; max?: number },
): number | undefined {
  const k = key.toLowerCase();
  // A quote's time sitting directly on a criterion, check or insight (no nested evidence object).
  const own = evidenceOf(subject);
  if (own && (TIME_KEY.test(k) || /end/.test(k)) && !/score|point/.test(k)) {
    const u = own[0]?.utterance;
    return u ? toUnit(k, /end|stop|until/.test(k) ? u.endSeconds : u.startSeconds) : 0;
  }
  switch (subject?.kind) {
    case 'criterion': {
      const r = subject.result;
      if (/weight/.test(k)) return r.criterion.weight ?? r.criterion.maxPoints;
      if (MAX_KEY.test(k)) return r.criterion.maxPoints;
      if (/percent|pct|ratio/.test(k))
        return bounds.max !== undefined && bounds.max <= 1 ? r.ratio : Math.round(r.ratio * 100);
      if (/confidence|certainty/.test(k)) return 0.7 + 0.25 * Math.abs(r.ratio - 0.5) * 2;
      if (SCORE_KEY.test(k) || /score|points/.test(k)) {
        // A scale of its own in the schema (1-5, 0-100) wins over the criterion's points.
        if (bounds.max !== undefined && bounds.max !== r.criterion.maxPoints) {
          const lo = bounds.min ?? 0;
          return lo + r.ratio * (bounds.max - lo);
        }
        return r.score;
      }
      break;
    }
    case 'compliance':
      if (/confidence/.test(k)) return 0.85;
      if (/score|points/.test(k)) return subject.result.met ? (bounds.max ?? 1) : (bounds.min ?? 0);
      break;
    case 'evidence': {
      const u = subject.evidence.utterance;
      if (/end|stop|until/.test(k)) return toUnit(k, u.endSeconds);
      if (TIME_KEY.test(k)) return toUnit(k, u.startSeconds);
      if (/index|line|turn|utterance/.test(k)) return u.index;
      break;
    }
    case 'insight':
      if (/priority|severity|impact|importance/.test(k)) {
        const level = { low: 0, medium: 0.5, high: 1 }[subject.insight.priority];
        return (bounds.min ?? 1) + level * ((bounds.max ?? 3) - (bounds.min ?? 1));
      }
      break;
  }
  if (/sentiment/.test(k)) {
    const score = /agent/.test(k) ? a.agentSentimentScore : a.sentimentScore;
    const lo = bounds.min ?? -1;
    const hi = bounds.max ?? 1;
    return lo + ((score + 1) / 2) * (hi - lo);
  }
  if (/duration|length_?s/.test(k)) return toUnit(k, a.durationSeconds);
  if (/talk|speaking|speech_?share/.test(k)) {
    return /percent|pct/.test(k) || (bounds.max ?? 1) > 1 ? Math.round(a.agentTalkRatio * 100) : a.agentTalkRatio;
  }
  if (/confidence/.test(k)) return 0.86;
  if (/max_?(points|score)|possible/.test(k)) return a.maxPoints;
  if (/overall|total|final|call_?score|quality|weighted|^score$|percent|grade|rating|qa_?score|^points$/.test(k)) {
    if (/points/.test(k) && bounds.max === undefined) return a.totalPoints;
    if (bounds.max !== undefined) {
      const lo = bounds.min ?? 0;
      return lo + a.overallRatio * (bounds.max - lo);
    }
    return Math.round(a.overallRatio * 100);
  }
  return undefined;
}

export function booleanHint(key: string, subject: Subject | undefined, a: CallAnalysis): boolean | undefined {
  const k = key.toLowerCase();
  if (subject?.kind === 'criterion' && /auto_?fail/.test(k))
    return subject.result.criterion.autoFail && !subject.result.passed;
  if (subject?.kind === 'criterion' || subject?.kind === 'compliance') {
    const ok = subject.kind === 'criterion' ? subject.result.passed : subject.result.met;
    if (FAIL_KEY.test(k)) return !ok;
    if (PASS_KEY.test(k)) return ok;
    if (/applicable|relevant|evaluated/.test(k)) return true;
    if (/critical|auto_?fail/.test(k)) return false;
  }
  if (subject?.kind === 'evidence' && /agent/.test(k)) return subject.evidence.utterance.role === 'agent';
  if (/resolv|first_?call/.test(k)) return a.resolved;
  if (/escalat|supervisor/.test(k)) return a.escalation === 'asked for a supervisor';
  if (/churn|cancel/.test(k)) return a.escalation === 'threatened to cancel';
  if (/verif/.test(k)) return complianceMet(a, /verif|identity/i);
  if (/disclos|record/.test(k)) return complianceMet(a, /disclos|record/i);
  if (/complian/.test(k)) return a.compliance.every((c) => c.met);
  if (/follow_?up|callback|review|flag|attention|needs|coaching/.test(k))
    return a.overallRatio < 0.6 || a.escalation !== undefined;
  if (/pass|acceptable|meets|success/.test(k)) return a.overallRatio >= 0.6;
  if (/refus|error|abusive|profan/.test(k)) return false;
  return undefined;
}

function complianceMet(a: CallAnalysis, which: RegExp): boolean | undefined {
  const c = a.compliance.find((x) => which.test(`${x.id} ${x.name}`));
  return c?.met;
}

export function stringHint(key: string, subject: Subject | undefined, a: CallAnalysis): string | undefined {
  const k = key.toLowerCase();
  switch (subject?.kind) {
    case 'criterion': {
      const r = subject.result;
      if (ID_KEY.test(k)) return r.criterion.id;
      if (EVIDENCE_KEY.test(k)) return r.evidence[0]?.quote ?? '';
      if (/suggest|improve|coach|recommend|tip|action|next/.test(k))
        return r.passed ? 'No change needed; keep doing this.' : r.coaching;
      if (/status|result|outcome|verdict/.test(k)) return r.passed ? 'pass' : 'fail';
      if (/name|title|label|criterion/.test(k)) return r.criterion.name;
      if (REASON_KEY.test(k)) return r.reasoning;
      break;
    }
    case 'compliance': {
      const c = subject.result;
      if (ID_KEY.test(k) || /type|kind|code/.test(k)) return c.id;
      if (EVIDENCE_KEY.test(k)) return c.evidence[0]?.quote ?? '';
      if (/severity|risk|priority/.test(k)) return c.severity;
      if (/status|result|outcome|verdict/.test(k)) return c.met ? 'met' : 'not met';
      if (NAME_KEY.test(k)) return c.name;
      if (REASON_KEY.test(k)) return c.reasoning;
      break;
    }
    case 'evidence': {
      const e = subject.evidence;
      if (/speaker|role|who|party|^by$|said_?by/.test(k)) return e.utterance.role;
      if (/end/.test(k)) return clock(e.utterance.endSeconds);
      if (/time|timestamp|start|^at$/.test(k)) return clock(e.utterance.startSeconds);
      if (/quote|text|excerpt|utterance|snippet|content|statement|transcript|line|said|words/.test(k)) return e.quote;
      if (REASON_KEY.test(k) || /context|relevance|label|title/.test(k)) {
        return e.note ?? `The ${e.utterance.role} said this at ${clock(e.utterance.startSeconds)}.`;
      }
      return e.quote;
    }
    case 'insight': {
      const i = subject.insight;
      if (/title|headline|label|heading|^name$/.test(k)) return i.title;
      if (/area|skill|focus|competenc|dimension|topic|categor/.test(k)) return i.area;
      if (/type|kind/.test(k)) return i.kind;
      if (/suggest|recommend|action|tip|next/.test(k)) return i.suggestion;
      if (/criteri/.test(k)) return i.criterionId ?? '';
      if (/priority|severity|impact|importance/.test(k)) return i.priority;
      if (EVIDENCE_KEY.test(k)) return i.evidence[0]?.quote ?? '';
      return i.text;
    }
    case 'text':
      return subject.text;
  }

  const top = (kind: Insight['kind']) => a.insights.find((i) => i.kind === kind)?.text;
  if (/summary|synopsis|overview|abstract|recap/.test(k)) return a.summary;
  if (/sentiment|mood|tone|emotion/.test(k)) return /agent/.test(k) ? a.agentSentiment : a.sentiment;
  if (/agent_?name/.test(k)) return a.agentName ?? '';
  if (/customer_?name|caller_?name/.test(k)) return a.customerName ?? '';
  if (/company|organi[sz]ation|brand/.test(k)) return a.company ?? '';
  if (/language|^lang/.test(k)) return 'en';
  if (/title|headline/.test(k)) return `${capitalise(topicNoun(a.topic))}: ${a.resolved ? 'resolved' : 'unresolved'}`;
  if (/resolution|outcome|disposition|status/.test(k)) {
    return a.resolved
      ? 'Resolved on the call'
      : a.escalation
        ? `Unresolved; the customer ${a.escalation}`
        : 'Not resolved';
  }
  if (/topic|reason|intent|purpose|subject|issue|call_?type|categor|driver/.test(k)) return topicNoun(a.topic);
  if (/coach|recommend|improve|suggest|tip/.test(k))
    return top('improvement') ?? 'Keep following the current approach; no coaching needed.';
  if (/next_?step|follow_?up|action/.test(k)) {
    return a.resolved && !a.escalation
      ? 'No follow-up needed.'
      : (top('improvement') ?? 'Follow up with the customer.');
  }
  if (/strength|did_?well|positive/.test(k)) return top('strength') ?? 'No notable strengths.';
  if (/risk|concern|problem/.test(k)) return top('risk') ?? 'No significant risks identified.';
  if (EVIDENCE_KEY.test(k)) return a.highlights[0]?.quote ?? '';
  if (REASON_KEY.test(k) || /overall|verdict|evaluation/.test(k)) return overallVerdict(a);
  return undefined;
}

function overallVerdict(a: CallAnalysis): string {
  const pct = Math.round(a.overallRatio * 100);
  const weakest = a.criteria.filter((r) => !r.passed).map((r) => r.criterion.name.toLowerCase());
  return weakest.length
    ? `The call scored ${pct}%. It fell short on ${weakest.join(', ')}.`
    : `The call scored ${pct}% and met every criterion.`;
}

/** Which list an array of this name should describe, or undefined for plain filler. */
export function listSubjects(
  key: string,
  itemProps: string[],
  itemIsObject: boolean,
  parent: Subject | undefined,
  a: CallAnalysis,
): Subject[] | undefined {
  const k = key.toLowerCase();
  const criteria = (keep: (r: CriterionResult) => boolean) =>
    a.criteria.filter(keep).map<Subject>((result) => ({ kind: 'criterion', result }));
  const compliance = (keep: (r: ComplianceResult) => boolean) =>
    a.compliance.filter(keep).map<Subject>((result) => ({ kind: 'compliance', result }));
  const insights = (keep: (i: Insight) => boolean) =>
    a.insights.filter(keep).map<Subject>((insight) => ({ kind: 'insight', insight }));

  if (/violation|breach/.test(k) || (/complian|polic|disclos/.test(k) && /flag|issue|fail|miss|problem/.test(k)))
    return compliance((c) => !c.met);
  if (/complian|regulat|polic|disclos|checklist/.test(k)) return compliance(() => true);
  if (/(passed|met|achieved)_?(criteria|items|ids)?$|criteria_?(passed|met)/.test(k) && !itemIsObject)
    return criteria((r) => r.passed);
  if (/(failed|missed|unmet)_?(criteria|items|ids)?$|criteria_?(failed|missed)/.test(k) && !itemIsObject)
    return criteria((r) => !r.passed);
  if (
    itemIsObject &&
    (isCriterionLike(itemProps) ||
      /criteri|rubric|scorecard|breakdown|evaluation|scores|assessment|ratings|dimensions/.test(k))
  ) {
    return criteria(() => true);
  }
  if (EVIDENCE_KEY.test(k))
    return (evidenceOf(parent) ?? a.highlights).map<Subject>((evidence) => ({ kind: 'evidence', evidence }));
  // Suggestions inside one insight are about that insight, not the whole call.
  if (parent?.kind === 'insight' && /suggest|recommend|action|step|tip/.test(k))
    return [{ kind: 'text', text: parent.insight.suggestion }];
  if (/emotion|feeling|mood/.test(k) && !itemIsObject)
    return a.emotions.map<Subject>((text) => ({ kind: 'text', text }));
  if (/strength|positive|did_?well|praise|compliment/.test(k)) return insights((i) => i.kind === 'strength');
  if (/risk|concern|red_?flag|alert|escalat|issue/.test(k)) return insights((i) => i.kind === 'risk');
  if (
    /improve|coach|weak|opportunit|suggest|recommend|development|negative|tip|action|area|lesson|next_?step/.test(k)
  ) {
    return insights((i) => i.kind === 'improvement');
  }
  if (/insight|feedback|observation|finding|takeaway|note|highlight/.test(k)) return insights(() => true);
  if (/topic|tag|keyword|label|categor/.test(k) && !itemIsObject) {
    const tags = [
      topicNoun(a.topic),
      a.resolved ? 'resolved' : 'unresolved',
      ...(a.escalation ? ['escalation'] : []),
      `${a.sentiment} sentiment`,
    ];
    return tags.map<Subject>((text) => ({ kind: 'text', text }));
  }
  return undefined;
}

/** Subjects for an object's named properties: `{ greeting: {...}, closing: {...} }` keyed by criterion id. */
export function propertySubject(key: string, a: CallAnalysis): Subject | undefined {
  const s = slug(key);
  const result = a.criteria.find(
    (r) => r.criterion.id === key || slug(r.criterion.id) === s || slug(r.criterion.name) === s,
  );
  if (result) return { kind: 'criterion', result };
  const check = a.compliance.find((c) => c.id === key || slug(c.id) === s);
  return check ? { kind: 'compliance', result: check } : undefined;
}

/** The first quoted moment of what is being described (or of the call), for a single evidence object. */
export function evidenceSubject(key: string, parent: Subject | undefined, a: CallAnalysis): Subject | undefined {
  if (!EVIDENCE_KEY.test(key)) return undefined;
  const first = (evidenceOf(parent) ?? a.highlights)[0];
  return first ? { kind: 'evidence', evidence: first } : undefined;
}

/** Whether a nullable property is better answered with null than with made-up content. */
export function preferNull(key: string, subject: Subject | undefined, a: CallAnalysis): boolean {
  const k = key.toLowerCase();
  if (/error|warning|refusal/.test(k)) return true;
  const quotes = evidenceOf(subject);
  if (quotes && (EVIDENCE_KEY.test(k) || (TIME_KEY.test(k) && !/score|point/.test(k)))) return quotes.length === 0;
  if (subject?.kind === 'criterion' && /suggest|improve|coach|recommend/.test(k)) return subject.result.passed;
  if (!subject && EVIDENCE_KEY.test(k)) return a.highlights.length === 0;
  if (/agent_?name/.test(k)) return !a.agentName;
  if (/customer_?name|caller_?name/.test(k)) return !a.customerName;
  if (/company|brand/.test(k)) return !a.company;
  if (!subject && /escalat/.test(k) && !/^(is|was|has)_|_(flag|requested)$/.test(k)) return !a.escalation;
  return false;
}

/** The enum value that means what the name asks for (sentiment, pass/fail, severity, role...), if any does. */
export function enumHint(
  values: string[],
  key: string,
  subject: Subject | undefined,
  a: CallAnalysis,
): string | undefined {
  const k = key.toLowerCase();
  const find = (...patterns: RegExp[]) => {
    for (const p of patterns) {
      const v = values.find((x) => p.test(x));
      if (v !== undefined) return v;
    }
    return undefined;
  };
  const passFail = (ok: boolean, ratio: number) =>
    ok
      ? find(
          /^(pass|passed|met|yes|compliant|success|achieved|meets|excellent|good|true|ok|satisf)/i,
          /^(?!.*(not|non|un|fail|partial|no\b)).*(pass|met|yes|good)/i,
        )
      : ratio > 0.3
        ? find(/partial/i, /fail|not|non|unmet|no\b|poor|unsatisf|miss/i)
        : find(/fail|not|non|unmet|^no\b|poor|unsatisf|miss/i);
  const sentiment = (label: string, score: number) =>
    label === 'negative'
      ? find(
          ...(score < -0.75 ? [/very.?neg/i] : []),
          /^neg|^(angry|frustrated|upset|dissatisfied|unhappy|bad|poor|hostile)/i,
          /neg|angry|frustrat|upset|dissatisf|unhappy/i,
        )
      : label === 'positive'
        ? find(
            ...(score > 0.75 ? [/very.?pos/i] : []),
            /^pos|^(happy|satisfied|good|pleased|delighted|great)/i,
            /pos|happy|satisf|pleased/i,
          )
        : find(/neu|mixed|calm|^ok|indiff|fine/i);
  const level = (need: 'high' | 'medium' | 'low') =>
    need === 'high'
      ? find(/high|critical|severe|major|urgent/i)
      : need === 'medium'
        ? find(/med|moderate|normal/i)
        : find(/low|minor|info|none/i);

  let chosen: string | undefined;
  if (subject?.kind === 'criterion' && (ID_KEY.test(k) || /criteri/.test(k))) {
    const c = subject.result.criterion;
    chosen = values.find((v) => v === c.id) ?? values.find((v) => slug(v) === slug(c.id) || slug(v) === slug(c.name));
  } else if (/trend|trajectory|shift|direction|arc/.test(k)) {
    chosen =
      a.sentimentTrend === 'improving'
        ? find(/improv|better|rising|^up|increas|positive/i)
        : a.sentimentTrend === 'declining'
          ? find(/declin|wors|falling|^down|decreas|negative/i)
          : find(/stable|flat|same|steady|unchanged|neutral/i);
  } else if (/sentiment|mood|tone|emotion|feeling/.test(k)) {
    chosen = /agent/.test(k)
      ? sentiment(a.agentSentiment, a.agentSentimentScore)
      : sentiment(a.sentiment, a.sentimentScore);
  } else if (
    subject?.kind === 'criterion' &&
    /status|result|outcome|verdict|rating|grade|assessment|met|pass/.test(k)
  ) {
    chosen = passFail(subject.result.passed, subject.result.ratio);
  } else if (
    subject?.kind === 'compliance' &&
    /status|result|outcome|verdict|rating|grade|assessment|met|pass/.test(k)
  ) {
    chosen = passFail(subject.result.met, subject.result.met ? 1 : 0);
  } else if (/churn|retention|cancel/.test(k)) {
    chosen = level(a.churnRisk);
  } else if (/severity|priority|risk|impact|urgency|level|importance/.test(k)) {
    const overall = a.overallRatio < 0.5 ? 'high' : a.overallRatio < 0.8 ? 'medium' : 'low';
    const need =
      subject?.kind === 'compliance'
        ? subject.result.met
          ? 'low'
          : subject.result.severity
        : subject?.kind === 'insight'
          ? subject.insight.priority
          : overall;
    chosen = level(need);
  } else if (subject?.kind === 'insight' && /type|kind|categor/.test(k)) {
    const { kind, area } = subject.insight;
    if (kind === 'strength') chosen = find(/strength|positive|praise|good|compliment|win/i, /coach/i);
    else if (kind === 'improvement') chosen = find(/improve|coach|opportunit|weak|development|suggest|negative|area/i);
    else if (area === 'Compliance') chosen = find(/complian/i, /risk|alert|issue|concern/i);
    else chosen = find(/customer|churn|escalat|retention/i, /risk|alert|issue|concern/i);
  } else if (/speaker|role|party|who/.test(k) && subject?.kind === 'evidence') {
    chosen =
      subject.evidence.utterance.role === 'agent'
        ? find(/agent|rep|employee|staff|^a$|speaker.?a/i)
        : find(/customer|caller|client|^b$|speaker.?b/i);
  } else if (/resolution|outcome|disposition|status/.test(k)) {
    if (a.resolved) chosen = find(/^resolved|^yes|complete|success|^fixed/i);
    else
      chosen = a.escalation
        ? find(/escalat/i, /unresolved|not|pending|follow/i)
        : find(/unresolved|not|pending|follow|^no/i);
  } else if (/topic|reason|intent|categor|call_?type|driver|issue/.test(k)) {
    const noun = topicNoun(a.topic);
    const word = noun.split(' ')[0]!.slice(0, 5);
    chosen = find(new RegExp(word, 'i'), /other|general|misc/i);
  } else if (/language|^lang/.test(k)) {
    chosen = find(/^en/i);
  }
  if (chosen === undefined) {
    const hint = stringHint(key, subject, a);
    if (hint) chosen = values.find((v) => v.toLowerCase() === hint.toLowerCase());
  }
  return chosen;
}

function topicNoun(topic: string): string {
  return topic.replace(/^(a|an) /, '');
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** mm:ss, for string-typed timestamps. */
function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}
