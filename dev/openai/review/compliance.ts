/**
 * Compliance requirements judged by keyword, the way a first-pass reviewer would: a phrase from
 * `must_not_say`, a card number or security code read out by the agent, is a violation; a topic the
 * requirement is scoped to that never comes up makes it not applicable; a `must_say` phrase or a
 * known disclosure/verification wording meets it; a prohibition nobody broke is met; anything else
 * is not met.
 */
import { RUBRICS } from './rubric.ts';
import type { Utterance } from './transcript.ts';

export interface RequirementPrompt {
  id: string;
  title: string | null;
  requirement: string;
  must_say: string[];
  must_not_say: string[];
}

export interface RequirementVerdict {
  status: 'met' | 'not_met' | 'not_applicable';
  evidence: { quote: string; start_seconds: number }[];
  reasoning: string;
}

const norm = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9 ]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
const quote = (u: Utterance) => [{ quote: u.text, start_seconds: u.startSeconds }];

/** 13 to 19 digits in a row once spaces and dashes between them are dropped: a card number read out. */
const CARD_NUMBER = /(?:\d[ -]?){13,19}/;
const SECURITY_CODE = /\b(cvv|cvc|cid|security code)\b.*\b\d{3,4}\b|\b\d{3,4}\b.*\b(cvv|cvc|security code)\b/i;

/** Topics a requirement can be scoped to ("Not applicable when no card payment is taken"). */
const TOPICS: { about: RegExp; present: RegExp }[] = [
  { about: /card payment|card number|card details|security code/i, present: /\b(card|cvv|visa|mastercard)\b/i },
  {
    about: /health information|\bphi\b|patient/i,
    present: /\b(prescription|medication|diagnos\w*|test results?|appointment|doctor|treatment|claim)\b/i,
  },
  { about: /not to be called|do-not-call|stop calling/i, present: /\b(stop calling|don't call|do not call)\b/i },
  { about: /voicemail|leaves a message/i, present: /\b(voicemail|leave a message|after the tone)\b/i },
  {
    about: /asks about their data|privacy notice/i,
    present: /\b(my data|personal data|privacy|delete my|my recording)\b/i,
  },
];

export function judgeRequirement(utterances: Utterance[], r: RequirementPrompt): RequirementVerdict {
  const agent = utterances.filter((u) => u.role === 'agent');
  const about = `${r.title ?? ''} ${r.requirement}`;
  const saying = (phrase: string) => agent.find((u) => norm(u.text).includes(norm(phrase)));

  for (const phrase of r.must_not_say) {
    const u = saying(phrase);
    if (u) return { status: 'not_met', evidence: quote(u), reasoning: `The agent said "${u.text}".` };
  }
  if (/card number|primary account/i.test(about) && /repeat|read/i.test(about)) {
    const u = agent.find((a) => CARD_NUMBER.test(a.text));
    if (u) return { status: 'not_met', evidence: quote(u), reasoning: 'The agent read out a full card number.' };
  }
  if (/security code|cvv/i.test(about) && /repeat|read/i.test(about)) {
    const u = agent.find((a) => SECURITY_CODE.test(a.text));
    if (u) return { status: 'not_met', evidence: quote(u), reasoning: 'The agent said the card security code aloud.' };
  }
  const topic = TOPICS.find((t) => t.about.test(about));
  if (/not applicable/i.test(about) && topic && !utterances.some((u) => topic.present.test(u.text)))
    return {
      status: 'not_applicable',
      evidence: [],
      reasoning: 'The call never reaches what this requirement covers.',
    };

  const positive = [
    ...r.must_say.map((phrase) => (u: Utterance) => norm(u.text).includes(norm(phrase))),
    ...(/\b(is|are) recorded\b|recorded or monitored|recording notice/i.test(about)
      ? RUBRICS.disclosure.positive.map((p) => (u: Utterance) => p.test(u.text))
      : []),
    ...(/verif|identif/i.test(about) ? RUBRICS.verification.positive.map((p) => (u: Utterance) => p.test(u.text)) : []),
  ];
  const met = agent.find((u) => positive.some((test) => test(u)));
  if (met) return { status: 'met', evidence: quote(met), reasoning: 'The agent said what the requirement asks for.' };
  // A prohibition is met by silence; its must_say examples only show allowed wording.
  if (/\b(never|does not|do not|contains no)\b/i.test(r.requirement))
    return { status: 'met', evidence: [], reasoning: 'Nothing the requirement prohibits was said.' };
  return { status: 'not_met', evidence: [], reasoning: 'The agent never said what the requirement asks for.' };
}
