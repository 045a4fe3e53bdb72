/**
 * A keyword-based "evaluation" of a call: per-criterion scores with quoted evidence, compliance
 * checks, customer sentiment, a summary and coaching insights. Everything is derived from the
 * transcript in the prompt, so different calls get different, sensible results, and the same
 * call always gets the same ones. Criteria of a kind the rubric does not know are scored from a
 * hash, pulled towards how well the agent did on the known kinds.
 */
import { SAMPLE_CRITERIA } from '../samples/criteria.ts';
import type { CallPrompt, ComplianceRule, Criterion, Utterance } from './prompt.ts';
import { hashSeed, streamFor } from './random.ts';
import { AGENT_RUDE, classify, type CriterionKind, CUSTOMER_NEGATIVE, CUSTOMER_POSITIVE, RUBRICS } from './rubric.ts';

export type Sentiment = 'positive' | 'neutral' | 'negative';

export interface Evidence {
  quote: string;
  utterance: Utterance;
  /** Why the moment matters, for "description"-like fields next to a quote. */
  note?: string | undefined;
}

export interface CriterionResult {
  criterion: Criterion;
  kind: CriterionKind | undefined;
  /** 0..1 share of the points. */
  ratio: number;
  score: number;
  passed: boolean;
  evidence: Evidence[];
  reasoning: string;
  coaching: string;
}

export interface ComplianceResult {
  id: string;
  name: string;
  met: boolean;
  evidence: Evidence[];
  reasoning: string;
  severity: 'low' | 'medium' | 'high';
}

export interface Insight {
  kind: 'strength' | 'improvement' | 'risk';
  priority: 'low' | 'medium' | 'high';
  /** What to do about it, for suggestion lists inside an insight. */
  suggestion: string;
  /** The skill or topic it is about (a criterion name, "Compliance", "Escalation"). */
  area: string;
  title: string;
  text: string;
  criterionId: string | undefined;
  evidence: Evidence[];
}

export interface CallAnalysis {
  seed: number;
  utterances: Utterance[];
  criteria: CriterionResult[];
  compliance: ComplianceResult[];
  overallRatio: number;
  totalPoints: number;
  maxPoints: number;
  sentiment: Sentiment;
  /** -1..1 */
  sentimentScore: number;
  agentSentiment: Sentiment;
  agentSentimentScore: number;
  /** How the customer's mood moved from the first half of the call to the second. */
  sentimentTrend: 'improving' | 'stable' | 'declining';
  /** Agent's share of speaking time, 0..1. */
  agentTalkRatio: number;
  /** Emotions the customer voiced, most telling first. */
  emotions: string[];
  churnRisk: 'low' | 'medium' | 'high';
  topic: string;
  summary: string;
  resolved: boolean;
  escalation: string | undefined;
  insights: Insight[];
  highlights: Evidence[];
  agentName: string | undefined;
  customerName: string | undefined;
  company: string | undefined;
  durationSeconds: number;
}

const PASS_RATIO = 0.6;
/** A reviewer quotes a few moments per criterion, not every match. */
const MAX_EVIDENCE = 3;
const PROFILE_KINDS: CriterionKind[] = [
  'greeting',
  'disclosure',
  'verification',
  'empathy',
  'resolution',
  'closing',
  'next_steps',
];

export function analyse(prompt: CallPrompt, seed: number): CallAnalysis {
  const utterances = prompt.utterances;
  const transcriptSeed = hashSeed(utterances.map((u) => u.text).join('\n'));
  // How the call went on the standard points, whatever the form asks: drives summary and unknown criteria.
  const profile = new Map(PROFILE_KINDS.map((k) => [k, evaluateKind(k, utterances)]));
  const quality = mean(
    ['greeting', 'empathy', 'resolution', 'closing'].map((k) => profile.get(k as CriterionKind)!.ratio),
  );

  const form = prompt.criteria.length ? prompt.criteria : SAMPLE_CRITERIA.map(toCriterion);
  const criteria = form.map((c) => scoreCriterion(c, utterances, quality, transcriptSeed));
  const weightOf = (r: CriterionResult) => r.criterion.weight ?? r.criterion.maxPoints;
  const totalWeight = criteria.reduce((n, r) => n + weightOf(r), 0);
  const overallRatio = totalWeight ? criteria.reduce((n, r) => n + weightOf(r) * r.ratio, 0) / totalWeight : quality;

  const customer = utterances.filter((u) => u.role === 'customer');
  const agent = utterances.filter((u) => u.role === 'agent');
  const sentimentScore = lexiconScore(customer, CUSTOMER_POSITIVE, CUSTOMER_NEGATIVE);
  const agentSentimentScore = lexiconScore(agent, RUBRICS.empathy.positive, AGENT_RUDE);
  const resolved = profile.get('resolution')!.ratio >= PASS_RATIO;
  const escalation = findEscalation(customer, resolved);
  const compliance = checkCompliance(prompt.complianceRules, criteria, utterances, quality, transcriptSeed);
  const company = /\b(?:calling|to)\s+((?:[A-Z][\w&'-]*\s?){1,3})/.exec(agent[0]?.text ?? '')?.[1]?.trim();
  const agentName = /\b(?:this is|my name is|name's)\s+([A-Z][a-z]+)/.exec(
    agent
      .slice(0, 2)
      .map((u) => u.text)
      .join(' '),
  )?.[1];
  const customerName = /\bit's\s+([A-Z][a-z]+ [A-Z][a-z]+)/.exec(customer.map((u) => u.text).join(' '))?.[1];
  const topic = detectTopic(utterances);
  const problem = problemStatement(customer);

  const analysis: CallAnalysis = {
    seed,
    utterances,
    criteria,
    compliance,
    overallRatio,
    totalPoints: round(criteria.reduce((n, r) => n + r.score, 0)),
    maxPoints: criteria.reduce((n, r) => n + r.criterion.maxPoints, 0),
    sentiment: label(sentimentScore),
    sentimentScore: Math.tanh(sentimentScore / 4),
    agentSentiment: label(agentSentimentScore),
    agentSentimentScore: Math.tanh(agentSentimentScore / 4),
    sentimentTrend: trend(customer),
    agentTalkRatio: talkRatio(utterances),
    emotions: emotions(customer),
    churnRisk: churnRisk(customer, resolved, label(sentimentScore)),
    topic,
    summary: '',
    resolved,
    escalation,
    insights: [],
    highlights: highlights(problem, criteria, customer),
    agentName,
    customerName,
    company,
    durationSeconds: Math.ceil(utterances.at(-1)?.endSeconds ?? 0),
  };
  analysis.summary = summarise(analysis, profile, problem);
  analysis.insights = insights(analysis);
  return analysis;
}

function toCriterion(c: (typeof SAMPLE_CRITERIA)[number]): Criterion {
  return {
    id: c.id,
    name: c.name,
    maxPoints: c.max_points,
    description: c.description,
    weight: undefined,
    compliance: false,
    autoFail: false,
  };
}

interface KindEvaluation {
  ratio: number;
  evidence: Evidence[];
  negative: Evidence[];
}

function evaluateKind(kind: CriterionKind, utterances: Utterance[]): KindEvaluation {
  if (kind === 'compliance') {
    const parts = [evaluateKind('disclosure', utterances), evaluateKind('verification', utterances)];
    return { ratio: mean(parts.map((p) => p.ratio)), evidence: parts.flatMap((p) => p.evidence), negative: [] };
  }
  const rubric = RUBRICS[kind];
  const agent = utterances.filter((u) => u.role === 'agent');
  const scoped = rubric.scope === 'first' ? agent.slice(0, 2) : rubric.scope === 'last' ? agent.slice(-3) : agent;
  const find = (patterns: RegExp[]) =>
    patterns.flatMap((pattern) => {
      const u = scoped.find((x) => pattern.test(x.text));
      return u ? [{ quote: sentenceMatching(u.text, pattern), utterance: u }] : [];
    });
  const positive = find(rubric.positive);
  const negative = find(rubric.negative);
  if (
    rubric.notApplicableWhenAbsent &&
    positive.length === 0 &&
    !utterances.some((u) => rubric.notApplicableWhenAbsent!.test(u.text))
  ) {
    return { ratio: 1, evidence: [], negative: [] };
  }
  const base = positive.length === 0 ? 0 : positive.length === 1 ? 0.75 : 1;
  const ratio = clamp(base - 0.35 * negative.length, 0, 1);
  let evidence = uniqueByUtterance([...positive, ...negative]);
  // Nothing matched: what was said instead is the evidence (e.g. the actual opening line).
  if (evidence.length === 0 && rubric.scope !== 'all' && scoped.length) {
    const u = rubric.scope === 'first' ? scoped[0]! : scoped.at(-1)!;
    evidence = [{ quote: u.text, utterance: u }];
  }
  return { ratio, evidence, negative };
}

function scoreCriterion(
  criterion: Criterion,
  utterances: Utterance[],
  quality: number,
  transcriptSeed: number,
): CriterionResult {
  const kind = classify(criterion);
  const random = streamFor(transcriptSeed, `criterion:${criterion.id}`);
  let evaluation: KindEvaluation;
  if (kind && utterances.length) {
    evaluation = evaluateKind(kind, utterances);
  } else {
    const agent = utterances.filter((u) => u.role === 'agent');
    const picks = agent.length ? [agent[Math.floor(random() * agent.length)]!] : [];
    evaluation = {
      ratio: clamp(0.7 * quality + 0.3 * random() + (utterances.length ? 0 : 0.3), 0, 1),
      evidence: picks.map((u) => ({ quote: u.text, utterance: u })),
      negative: [],
    };
  }
  const max = criterion.maxPoints;
  const score = Number.isInteger(max) ? Math.round(evaluation.ratio * max) : round(evaluation.ratio * max);
  const passed = score >= PASS_RATIO * max;
  const rubric = kind ? RUBRICS[kind] : undefined;
  const cited = (passed ? evaluation.evidence : evaluation.negative[0] ? evaluation.negative : evaluation.evidence)[0];
  // A failed criterion is best shown by what went wrong; a passed one by what went right.
  const ranked = passed
    ? evaluation.evidence
    : [...evaluation.negative, ...evaluation.evidence.filter((e) => !evaluation.negative.includes(e))];
  const verdict = rubric
    ? `The agent ${passed ? rubric.pass : rubric.fail}`
    : `The agent ${passed ? 'met' : 'fell short of'} the "${criterion.name}" expectation`;
  const role = (e: Evidence) =>
    evaluation.negative.includes(e) ? 'counts against' : passed ? 'supports' : 'falls short of';
  return {
    criterion,
    kind,
    ratio: evaluation.ratio,
    score,
    passed,
    evidence: ranked
      .slice(0, MAX_EVIDENCE)
      .map((e) => ({ ...e, note: `${criterion.name}: ${role(e)} the criterion` }))
      .sort((a, b) => a.utterance.startSeconds - b.utterance.startSeconds),
    reasoning: cited ? `${verdict}: ${quoted(cited.quote)}` : `${verdict}.`,
    coaching: rubric?.coaching ?? `Review what "${criterion.name}" asks for and apply it on every call.`,
  };
}

function checkCompliance(
  rules: ComplianceRule[],
  criteria: CriterionResult[],
  utterances: Utterance[],
  quality: number,
  seed: number,
): ComplianceResult[] {
  const fromCriteria = criteria
    .filter(
      (r) => r.criterion.compliance || r.kind === 'disclosure' || r.kind === 'verification' || r.kind === 'compliance',
    )
    .map((r) => ({ id: r.criterion.id, name: r.criterion.name, description: r.criterion.description }));
  let checks = [...rules, ...fromCriteria.filter((c) => !rules.some((r) => r.id === c.id))];
  if (checks.length === 0) {
    checks = [
      { id: 'recording_disclosure', name: 'Recording disclosure', description: 'The call is disclosed as recorded.' },
      {
        id: 'identity_verification',
        name: 'Identity verification',
        description: 'The caller is verified before account details are discussed.',
      },
    ];
  }
  return checks.map((check) => {
    const kind = classify(check);
    let met: boolean;
    let evidence: Evidence[];
    if (kind && utterances.length) {
      const e = evaluateKind(kind, utterances);
      met = e.ratio >= PASS_RATIO;
      evidence = e.evidence;
    } else {
      met = streamFor(seed, `compliance:${check.id}`)() < 0.4 + 0.6 * quality;
      evidence = [];
    }
    const rubric = kind ? RUBRICS[kind] : undefined;
    const what = rubric
      ? `The agent ${met ? rubric.pass : rubric.fail}`
      : `"${check.name}" was ${met ? 'followed' : 'not followed'}`;
    return {
      id: check.id,
      name: check.name,
      met,
      evidence,
      reasoning: evidence[0] && met ? `${what}: ${quoted(evidence[0].quote)}` : `${what}.`,
      severity: met ? 'low' : kind === 'verification' || kind === 'disclosure' ? 'high' : 'medium',
    };
  });
}

/** Each cue counts once per utterance; complaints weigh more than thanks, as they do for a reviewer. */
function lexiconScore(utterances: Utterance[], positive: RegExp[], negative: RegExp[]): number {
  let score = 0;
  for (const u of utterances) {
    score += positive.filter((p) => p.test(u.text)).length;
    score -= 1.5 * negative.filter((p) => p.test(u.text)).length;
  }
  return score;
}

function trend(customer: Utterance[]): CallAnalysis['sentimentTrend'] {
  const half = Math.ceil(customer.length / 2);
  const mood = (part: Utterance[]) => lexiconScore(part, CUSTOMER_POSITIVE, CUSTOMER_NEGATIVE);
  const diff = mood(customer.slice(half)) - mood(customer.slice(0, half));
  return diff >= 1.5 ? 'improving' : diff <= -1.5 ? 'declining' : 'stable';
}

const EMOTIONS: [string, RegExp][] = [
  ['angry', /\bridiculous\b|\bunacceptable\b|\bunbelievable\b|\bangry\b|\bterrible\b/i],
  ['frustrated', /\bfrustrat|\bthird time\b|\bhaven't helped\b/i],
  ['worried', /\bworried\b|\bconcerned\b|\banxious\b/i],
  ['confused', /\bconfus|\bdon't understand\b|\bwhat's the catch\b/i],
  ['relieved', /\brelief\b|\brelieved\b/i],
  ['grateful', /\bthank|\bappreciate\b/i],
  ['satisfied', /\bgreat\b|\bperfect\b|\beas(y|ier)\b|\bhelpful\b/i],
];

function emotions(customer: Utterance[]): string[] {
  const text = customer.map((u) => u.text).join(' ');
  const found = EMOTIONS.filter(([, p]) => p.test(text)).map(([e]) => e);
  return found.length ? found : ['calm'];
}

/** Talk of leaving that the call did not resolve is high risk; leaving talk or a negative mood alone is medium. */
function churnRisk(customer: Utterance[], resolved: boolean, sentiment: Sentiment): CallAnalysis['churnRisk'] {
  const leaving = customer.some((u) => /\bcancel|switch providers|close my account/i.test(u.text));
  if (leaving && !resolved) return 'high';
  return leaving || sentiment === 'negative' ? 'medium' : 'low';
}

function talkRatio(utterances: Utterance[]): number {
  const spoken = (u: Utterance) => Math.max(0, u.endSeconds - u.startSeconds);
  const total = utterances.reduce((n, u) => n + spoken(u), 0);
  return total
    ? Math.round((utterances.filter((u) => u.role === 'agent').reduce((n, u) => n + spoken(u), 0) / total) * 100) / 100
    : 0;
}

function label(score: number): Sentiment {
  return score >= 1 ? 'positive' : score <= -1 ? 'negative' : 'neutral';
}

function findEscalation(customer: Utterance[], resolved: boolean): string | undefined {
  if (customer.some((u) => /\bsupervisor\b|\bmanager\b/i.test(u.text))) return 'asked for a supervisor';
  if (!resolved && customer.some((u) => /\bcancel|switch providers/i.test(u.text))) return 'threatened to cancel';
  return undefined;
}

const TOPICS: [string, RegExp][] = [
  ['a billing issue', /\bbill|charge|refund|payment|\bfee\b|invoice|autopay/gi],
  [
    'a technical problem',
    /internet|router|connection|wi-?fi|error|not working|firmware|outage|dropping|log ?in|password/gi,
  ],
  ['cancelling their subscription', /cancel|subscription|too expensive/gi],
  ['an order or delivery', /\border\b|deliver|package|shipping|tracking/gi],
];

function detectTopic(utterances: Utterance[]): string {
  const text = utterances.map((u) => u.text).join(' ');
  let best = 'a general inquiry';
  let bestCount = 0;
  for (const [topic, pattern] of TOPICS) {
    const count = text.match(pattern)?.length ?? 0;
    if (count > bestCount) [best, bestCount] = [topic, count];
  }
  return best;
}

/** The customer's first substantial sentence that names the problem. */
function problemStatement(customer: Utterance[]): Evidence | undefined {
  for (const u of customer) {
    for (const sentence of sentences(u.text)) {
      const namesTopic = TOPICS.some(([, p]) => new RegExp(p.source, 'i').test(sentence));
      if (namesTopic && sentence.split(/\s+/).length >= 6) return { quote: sentence, utterance: u };
    }
  }
  const first = customer.find((u) => u.text.split(/\s+/).length >= 6);
  return first ? { quote: sentences(first.text)[0] ?? first.text, utterance: first } : undefined;
}

function summarise(
  a: CallAnalysis,
  profile: Map<CriterionKind, KindEvaluation>,
  problem: Evidence | undefined,
): string {
  if (a.utterances.length === 0) return 'No call transcript was provided, so the call could not be summarised.';
  const ok = (k: CriterionKind) => profile.get(k)!.ratio >= PASS_RATIO;
  const did: string[] = [];
  const missed: string[] = [];
  if (ok('verification')) did.push("verified the caller's identity");
  else missed.push('did not verify the caller');
  if (!ok('disclosure')) missed.push('did not disclose the recording');
  if (ok('empathy')) did.push('acknowledged the problem');
  else missed.push('was dismissive');
  if (ok('resolution')) did.push('resolved the issue');
  if (ok('next_steps')) did.push('explained the next steps');
  const agent = a.agentName ? `The agent, ${a.agentName},` : 'The agent';
  const actions = did.length
    ? `${agent} ${joinList(did)}${missed.length ? `, but ${joinList(missed)}` : ''}.`
    : `${agent} ${joinList(missed)}.`;
  const opening = `The customer called${a.company ? ` ${a.company}` : ''} about ${a.topic}${problem ? `: ${quoted(problem.quote)}` : '.'}`;
  const ending = a.resolved ? 'with the issue resolved' : 'without a resolution';
  const outcome = `The call ended ${ending}${a.escalation ? ` after the customer ${a.escalation}` : ''}; customer sentiment was ${a.sentiment}.`;
  return `${opening} ${actions} ${outcome}`;
}

function insights(a: CallAnalysis): Insight[] {
  const risks: Insight[] = [];
  if (a.escalation) {
    const quote = a.utterances.find(
      (u) => u.role === 'customer' && /supervisor|manager|cancel|switch providers/i.test(u.text),
    );
    risks.push({
      kind: 'risk',
      priority: 'high',
      suggestion:
        a.escalation === 'asked for a supervisor'
          ? 'Offer a supervisor or a callback when a customer asks to escalate, and follow up on this customer.'
          : 'Follow up with a retention offer before the customer cancels.',
      area: a.escalation === 'asked for a supervisor' ? 'Escalation' : 'Retention',
      title: a.escalation === 'asked for a supervisor' ? 'Escalation requested' : 'Churn risk',
      text: quote
        ? `The customer ${a.escalation}: ${quoted(sentenceMatching(quote.text, /supervisor|manager|cancel|switch providers/i))}`
        : `The customer ${a.escalation}.`,
      criterionId: undefined,
      evidence: quote ? [{ quote: quote.text, utterance: quote }] : [],
    });
  }
  for (const c of a.compliance.filter((x) => !x.met)) {
    risks.push({
      kind: 'risk',
      priority: 'high',
      suggestion:
        a.criteria.find((r) => r.criterion.id === c.id)?.coaching ??
        `Review the "${c.name}" requirement with the agent.`,
      area: 'Compliance',
      title: `Compliance: ${c.name}`,
      text: c.reasoning,
      criterionId: c.id,
      evidence: c.evidence,
    });
  }
  // A failed compliance criterion is already a risk; coaching it again would repeat the same point.
  const flagged = new Set(risks.map((r) => r.criterionId));
  const improvements = a.criteria
    .filter((r) => !r.passed && !flagged.has(r.criterion.id))
    .sort((x, y) => y.criterion.maxPoints - y.score - (x.criterion.maxPoints - x.score))
    .map<Insight>((r) => ({
      kind: 'improvement',
      // The points lost, against the whole form, decide how urgent the coaching is.
      priority: (r.criterion.maxPoints - r.score) / Math.max(1, a.maxPoints) >= 0.15 ? 'high' : 'medium',
      suggestion: r.coaching,
      area: r.criterion.name,
      title: `Improve ${r.criterion.name.toLowerCase()}`,
      text: r.coaching,
      criterionId: r.criterion.id,
      evidence: r.evidence,
    }));
  const strengths = a.criteria
    .filter((r) => r.passed && r.ratio >= 0.75)
    .sort((x, y) => y.score - x.score)
    .map<Insight>((r) => ({
      kind: 'strength',
      priority: 'low',
      suggestion: `Keep it up: share this call as an example of ${r.criterion.name.toLowerCase()}.`,
      area: r.criterion.name,
      title: `Strong ${r.criterion.name.toLowerCase()}`,
      text: r.reasoning,
      criterionId: r.criterion.id,
      evidence: r.evidence,
    }));
  return [...risks, ...improvements, ...strengths];
}

function highlights(problem: Evidence | undefined, criteria: CriterionResult[], customer: Utterance[]): Evidence[] {
  const picks: Evidence[] = [];
  if (problem) picks.push({ ...problem, note: 'The customer explains why they are calling' });
  const failed = criteria.find((r) => !r.passed && r.evidence.length);
  if (failed) picks.push({ ...failed.evidence[0]!, note: `The agent misses "${failed.criterion.name}"` });
  const resolution = criteria.find((r) => r.kind === 'resolution' && r.passed && r.evidence.length);
  if (resolution) picks.push({ ...resolution.evidence.at(-1)!, note: 'The agent resolves the issue' });
  const upset = customer.find((u) => CUSTOMER_NEGATIVE.filter((p) => p.test(u.text)).length >= 1);
  if (upset) picks.push({ quote: upset.text, utterance: upset, note: 'The customer expresses frustration' });
  const escalation = customer.find((u) => /\bsupervisor\b|\bmanager\b/i.test(u.text));
  if (escalation)
    picks.push({ quote: escalation.text, utterance: escalation, note: 'The customer asks for a supervisor' });
  return uniqueByUtterance(picks).sort((x, y) => x.utterance.startSeconds - y.utterance.startSeconds);
}

/** A verbatim quote that ends the sentence: no second full stop after its own. */
function quoted(text: string): string {
  return /[.!?]$/.test(text) ? `"${text}"` : `"${text}."`;
}

export function sentences(text: string): string[] {
  return text.split(/(?<=[.!?])\s+/).filter(Boolean);
}

/** The sentence of an utterance that contains the cue: a tighter quote that is still verbatim. */
function sentenceMatching(text: string, pattern: RegExp): string {
  return sentences(text).find((s) => pattern.test(s)) ?? text;
}

function uniqueByUtterance(items: Evidence[]): Evidence[] {
  const seen = new Set<number>();
  return items.filter((e) => !seen.has(e.utterance.index) && (seen.add(e.utterance.index), true));
}

function joinList(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
const round = (x: number) => Math.round(x * 10) / 10;
