/**
 * A keyword-based review of a call: per-criterion verdicts with verbatim evidence, the
 * customer's and the agent's mood, escalation and churn signals, and a summary. Everything comes
 * from the transcript, so different calls get different, sensible results and the same call always
 * the same ones. Feature responders shape this into the product's schemas.
 */
import { AGENT_RUDE, classify, type CriterionKind, CUSTOMER_NEGATIVE, CUSTOMER_POSITIVE, RUBRICS } from './rubric.ts';
import { sentences, type Utterance } from './transcript.ts';

export type Sentiment = 'positive' | 'neutral' | 'negative';

export interface CriterionToReview {
  id: string;
  name: string;
  description: string;
  maxPoints: number;
}

/** A verbatim sentence of one utterance, with that utterance's start time. */
export interface Moment {
  quote: string;
  utterance: Utterance;
}

export interface Verdict {
  criterion: CriterionToReview;
  kind: CriterionKind | undefined;
  /** Share of the points earned, 0..1. */
  ratio: number;
  score: number;
  passed: boolean;
  /** Failed: what went wrong first; passed: what went right. In call order. */
  evidence: Moment[];
  reasoning: string;
  coaching: string;
}

export interface CallReview {
  utterances: Utterance[];
  verdicts: Verdict[];
  customerSentiment: Sentiment;
  agentSentiment: Sentiment;
  trajectory: 'improving' | 'stable' | 'worsening';
  emotions: string[];
  escalation: 'asked for a supervisor' | 'threatened to cancel' | undefined;
  churnRisk: 'low' | 'medium' | 'high';
  resolved: boolean;
  summary: string;
}

/** The share of points at which a criterion passes, as a reviewer would grade it. */
export const PASS_RATIO = 0.6;
const MAX_EVIDENCE = 3;

export function reviewCall(utterances: Utterance[], criteria: CriterionToReview[]): CallReview {
  const agent = utterances.filter((u) => u.role === 'agent');
  const customer = utterances.filter((u) => u.role === 'customer');
  // How the call went on the standard points, whatever the form asks: drives the summary and
  // the score of criteria the rubric does not know.
  const standard = (k: CriterionKind) => evaluateKind(k, utterances).ratio;
  const quality = mean(['greeting', 'empathy', 'resolution', 'closing'].map((k) => standard(k as CriterionKind)));
  const verdicts = criteria.map((c) => judge(c, utterances, quality));
  const resolved = standard('resolution') >= PASS_RATIO;
  const customerScore = lexiconScore(customer, CUSTOMER_POSITIVE, CUSTOMER_NEGATIVE);
  const escalation = customer.some((u) => /\bsupervisor\b|\bmanager\b/i.test(u.text))
    ? 'asked for a supervisor'
    : !resolved && customer.some((u) => /\bcancel|switch providers/i.test(u.text))
      ? 'threatened to cancel'
      : undefined;
  const review: CallReview = {
    utterances,
    verdicts,
    customerSentiment: label(customerScore),
    agentSentiment: label(lexiconScore(agent, RUBRICS.empathy.positive, AGENT_RUDE)),
    trajectory: trajectory(customer),
    emotions: emotions(customer),
    escalation,
    churnRisk: churnRisk(customer, resolved, label(customerScore)),
    resolved,
    summary: '',
  };
  review.summary = summarise(review, (k) => standard(k) >= PASS_RATIO);
  return review;
}

interface KindEvaluation {
  ratio: number;
  evidence: Moment[];
  negative: Moment[];
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
  const absent = rubric.notApplicableWhenAbsent;
  if (absent && positive.length === 0 && !utterances.some((u) => absent.test(u.text)))
    return { ratio: 1, evidence: [], negative: [] };
  const base = positive.length === 0 ? 0 : positive.length === 1 ? 0.75 : 1;
  let evidence = uniqueByUtterance([...positive, ...negative]);
  // Nothing matched: what was said instead is the evidence (e.g. the actual opening line).
  if (evidence.length === 0 && rubric.scope !== 'all' && scoped.length) {
    const u = rubric.scope === 'first' ? scoped[0]! : scoped.at(-1)!;
    evidence = [{ quote: u.text, utterance: u }];
  }
  return { ratio: clamp(base - 0.35 * negative.length, 0, 1), evidence, negative };
}

function judge(criterion: CriterionToReview, utterances: Utterance[], quality: number): Verdict {
  const kind = classify(criterion);
  // A criterion the rubric cannot read follows how the agent did on the standard points.
  const e: KindEvaluation =
    kind && utterances.length ? evaluateKind(kind, utterances) : { ratio: quality, evidence: [], negative: [] };
  const score = Math.round(e.ratio * criterion.maxPoints);
  const passed = score >= PASS_RATIO * criterion.maxPoints;
  const ranked = passed ? e.evidence : [...e.negative, ...e.evidence.filter((m) => !e.negative.includes(m))];
  const rubric = kind ? RUBRICS[kind] : undefined;
  const verdict = rubric
    ? `The agent ${passed ? rubric.pass : rubric.fail}`
    : `The agent ${passed ? 'met' : 'fell short of'} the "${criterion.name}" expectation`;
  const cited = ranked[0];
  return {
    criterion,
    kind,
    ratio: e.ratio,
    score,
    passed,
    evidence: ranked.slice(0, MAX_EVIDENCE).sort((a, b) => a.utterance.index - b.utterance.index),
    reasoning: cited ? `${verdict}: ${quoted(cited.quote)}` : `${verdict}.`,
    coaching: rubric?.coaching ?? `Review what "${criterion.name}" asks for and apply it on every call.`,
  };
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

const label = (score: number): Sentiment => (score >= 1 ? 'positive' : score <= -1 ? 'negative' : 'neutral');

/** How the customer's mood moved from the first half of the call to the second. */
function trajectory(customer: Utterance[]): CallReview['trajectory'] {
  const half = Math.ceil(customer.length / 2);
  const mood = (part: Utterance[]) => lexiconScore(part, CUSTOMER_POSITIVE, CUSTOMER_NEGATIVE);
  const diff = mood(customer.slice(half)) - mood(customer.slice(0, half));
  return diff >= 1.5 ? 'improving' : diff <= -1.5 ? 'worsening' : 'stable';
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
  return found.length ? found.slice(0, 5) : ['calm'];
}

/** Talk of leaving that the call did not resolve is high risk; leaving talk or a negative mood alone is medium. */
function churnRisk(customer: Utterance[], resolved: boolean, sentiment: Sentiment): CallReview['churnRisk'] {
  const leaving = customer.some((u) => /\bcancel|switch providers|close my account/i.test(u.text));
  if (leaving && !resolved) return 'high';
  return leaving || sentiment === 'negative' ? 'medium' : 'low';
}

const TOPICS: [string, RegExp][] = [
  ['a billing issue', /\bbill|charge|refund|payment|\bfee\b|invoice|autopay/gi],
  ['a technical problem', /internet|router|connection|wi-?fi|error|not working|firmware|outage|dropping|password/gi],
  ['cancelling their subscription', /cancel|subscription|too expensive/gi],
  ['an order or delivery', /\border\b|deliver|package|shipping|tracking/gi],
];

function topic(utterances: Utterance[]): string {
  const text = utterances.map((u) => u.text).join(' ');
  const counts = TOPICS.map(([name, p]) => [name, text.match(p)?.length ?? 0] as const);
  const best = counts.reduce((a, b) => (b[1] > a[1] ? b : a), ['a general inquiry', 0] as const);
  return best[0];
}

function summarise(r: CallReview, ok: (k: CriterionKind) => boolean): string {
  if (r.utterances.length === 0) return 'No call transcript was provided, so the call could not be summarised.';
  const did: string[] = [];
  const missed: string[] = [];
  if (ok('verification')) did.push("verified the caller's identity");
  else missed.push('did not verify the caller');
  if (!ok('disclosure')) missed.push('did not disclose the recording');
  if (ok('empathy')) did.push('acknowledged the problem');
  else missed.push('was dismissive');
  if (ok('resolution')) did.push('resolved the issue');
  if (ok('next_steps')) did.push('explained the next steps');
  const actions = did.length
    ? `The agent ${joinList(did)}${missed.length ? `, but ${joinList(missed)}` : ''}.`
    : `The agent ${joinList(missed)}.`;
  const outcome = `The call ended ${r.resolved ? 'with the issue resolved' : 'without a resolution'}${r.escalation ? ` after the customer ${r.escalation}` : ''}; customer sentiment was ${r.customerSentiment}.`;
  return `The customer called about ${topic(r.utterances)}. ${actions} ${outcome}`;
}

/** A verbatim quote that ends the sentence: no second full stop after its own. */
export const quoted = (text: string) => (/[.!?]$/.test(text) ? `"${text}"` : `"${text}."`);

/** The sentence of an utterance that contains the cue: a tighter quote that is still verbatim. */
function sentenceMatching(text: string, pattern: RegExp): string {
  return sentences(text).find((s) => pattern.test(s)) ?? text;
}

function uniqueByUtterance(items: Moment[]): Moment[] {
  const seen = new Set<number>();
  return items.filter((m) => !seen.has(m.utterance.index) && (seen.add(m.utterance.index), true));
}

const joinList = (items: string[]) =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
