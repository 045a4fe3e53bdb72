/**
 * What a QA analyst listens for, per kind of criterion: how to recognise the kind from a
 * criterion's id/name/description, phrases that count as evidence for and against it, which
 * part of the call to look at, and how to word the verdict. Patterns apply to agent speech.
 */

export type CriterionKind =
  | 'disclosure'
  | 'verification'
  | 'greeting'
  | 'closing'
  | 'hold'
  | 'next_steps'
  | 'resolution'
  | 'empathy'
  | 'listening'
  | 'knowledge'
  | 'offer'
  | 'compliance';

export interface KindRubric {
  /** Matched against "id name" first, then the description, in the order of RUBRICS. */
  recognise: RegExp;
  positive: RegExp[];
  negative: RegExp[];
  /** Which agent utterances count: the opening, the ending, or all of them. */
  scope: 'first' | 'last' | 'all';
  /** Full marks when no evidence either way (e.g. no hold happened, so hold etiquette is moot). */
  notApplicableWhenAbsent?: RegExp;
  pass: string;
  fail: string;
  coaching: string;
}

const p = (source: string) => new RegExp(source, 'i');

const DISCLOSURE = [
  p(String.raw`\b(call|conversation)s? (is|are|may be|will be|might be|can be) (being )?(recorded|monitored)`),
  p(String.raw`\brecorded (for|to) (quality|training)`),
  p(String.raw`\bquality (and|&) training\b`),
  p(String.raw`\bquality assurance\b`),
];
const VERIFICATION = [
  p(String.raw`\bverif(y|ied|ication)\b`),
  p(String.raw`\bdate of birth\b`),
  p(String.raw`\blast (four|4)\b`),
  p(String.raw`\bsecurity (question|code|word|pin)\b`),
  p(String.raw`\b(service|billing|home|street) address\b`),
  p(String.raw`\bconfirm (your|the) (full )?(name|identity|address|date|account)`),
  p(String.raw`\b(zip|postal) code\b|\bpostcode\b`),
  p(String.raw`\bsocial security\b`),
];
const RUDE = [
  p(String.raw`\bcalm down\b`),
  p(String.raw`\bnot my (problem|job|fault)\b`),
  p(String.raw`\bI already told you\b`),
  p(String.raw`\bwhatever\b`),
  p(String.raw`\bthat's how it works\b`),
  p(String.raw`\bnobody (is )?available\b`),
  p(String.raw`\bis that it\?`),
  p(String.raw`\byou need to listen\b`),
  p(String.raw`\bwe don't do\b`),
];

export const RUBRICS: Record<CriterionKind, KindRubric> = {
  disclosure: {
    recognise: /disclos|record(ing|ed)?\b|monitor|consent|mini.?miranda/i,
    positive: DISCLOSURE,
    negative: [],
    scope: 'all',
    pass: 'told the customer that the call is recorded',
    fail: 'never told the customer that the call is recorded',
    coaching: 'State the recording disclosure at the start of every call.',
  },
  verification: {
    recognise: /verif|identity|authenticat|security question|\bkba\b/i,
    positive: VERIFICATION,
    negative: [],
    scope: 'all',
    pass: "verified the caller's identity before discussing the account",
    fail: "did not verify the caller's identity before discussing or changing the account",
    coaching:
      'Verify the caller (e.g. date of birth, last four digits, service address) before discussing or changing the account.',
  },
  greeting: {
    recognise: /greet|opening|introduc|welcome|salutation/i,
    positive: [
      p(String.raw`\bthank(s| you) for (calling|contacting)`),
      p(String.raw`\bmy name is\b|\bthis is [A-Z][a-z]+|\b[A-Z][a-z]+ speaking\b`),
      p(String.raw`\bgood (morning|afternoon|evening)\b`),
      p(String.raw`\bhow (can|may) I (help|assist)`),
      p(String.raw`\bwelcome to\b`),
    ],
    negative: [p(String.raw`^\s*(yeah|yes|what)\b`), p(String.raw`\bgo ahead\b`)],
    scope: 'first',
    pass: 'greeted the customer, named the company and introduced themselves',
    fail: 'opened without a proper greeting or introduction',
    coaching: 'Open with the company name, your own name and an offer to help.',
  },
  closing: {
    recognise: /clos|wrap.?up|farewell|goodbye|sign.?off|end(ing)? (of )?(the )?call/i,
    positive: [
      p(String.raw`\banything else\b`),
      p(String.raw`\bhave a (great|good|nice|wonderful|lovely) (day|evening|night|weekend|rest|one)`),
      p(String.raw`\bthank(s| you) for (calling|being|contacting|choosing)`),
      p(String.raw`\btake care\b`),
    ],
    negative: [p(String.raw`\bis that it\?`)],
    scope: 'last',
    pass: 'offered further help and closed the call politely',
    fail: 'ended the call without offering further help or a polite closing',
    coaching: 'Before ending, ask whether there is anything else and close the call politely.',
  },
  hold: {
    recognise: /\bhold|transfer|dead air/i,
    positive: [
      p(String.raw`\b(place|put) you on (a )?(brief |short |quick )?hold\b`),
      p(String.raw`\bthank(s| you) for (holding|waiting)`),
    ],
    negative: [],
    scope: 'all',
    notApplicableWhenAbsent: /\bhold\b|\btransfer/i,
    pass: 'asked before placing the customer on hold and thanked them for holding',
    fail: 'placed the customer on hold without asking or thanking them',
    coaching: 'Ask permission before a hold and thank the customer for holding.',
  },
  next_steps: {
    recognise: /next step|expectation|follow.?up|timeline/i,
    positive: [
      p(String.raw`\bbusiness days\b`),
      p(String.raw`\byou('ll| will) (receive|get|see)\b`),
      p(String.raw`\bconfirmation (email|number|code)\b`),
      p(String.raw`\breference number\b|\bticket (number)?\b`),
      p(String.raw`\bcall you back\b|\bfollow[- ]?up\b`),
    ],
    negative: [],
    scope: 'all',
    pass: 'explained what happens next and when',
    fail: 'did not set clear expectations about next steps',
    coaching: 'Close the loop: say what happens next, when, and how the customer will be informed.',
  },
  resolution: {
    recognise: /resol|solv|\bfix|first.?call|\bfcr\b|troubleshoot|solution|outcome|issue|problem/i,
    positive: [
      p(String.raw`\brefund`),
      p(
        String.raw`\bI('ve| have) (just |also )?(processed|switched|updated|fixed|reset|applied|credited|opened|issued|scheduled|changed|cancelled|sent|waived)\b`,
      ),
      p(String.raw`\b(resolved|fixed)\b`),
      p(String.raw`\bworking (now|again)\b|\blooks stable\b`),
      p(String.raw`\ball set\b|\btaken care of\b`),
    ],
    negative: [
      p(String.raw`\bfee stands\b`),
      p(String.raw`\bcall back tomorrow\b`),
      p(String.raw`\bdifferent department\b`),
      p(String.raw`\bwe don't do\b`),
    ],
    scope: 'all',
    pass: "resolved the customer's issue on the call",
    fail: "did not resolve the customer's issue or offer a way forward",
    coaching: 'Take ownership: resolve the issue, or give a concrete path (escalation, callback, ticket).',
  },
  empathy: {
    recognise: /empath|apolog|courte|polite|tone|rapport|respect|friendl|attitude|professional|manner|sympath/i,
    positive: [
      p(String.raw`\b(I'm|I am|we're|we are) (so |really |very |truly )?sorry\b`),
      p(String.raw`\bapologi[sz]e\b`),
      p(String.raw`\bI (completely |totally |fully )?understand\b`),
      p(String.raw`\bthat makes sense\b|\bI can imagine\b|\bfrustrating\b`),
      p(String.raw`\bhappy to help\b|\bglad I could help\b|\bmy pleasure\b`),
      p(String.raw`\bthank you for your patience\b|\bI appreciate\b`),
    ],
    negative: RUDE,
    scope: 'all',
    pass: "acknowledged the customer's situation and stayed courteous",
    fail: 'was dismissive and showed little empathy',
    coaching: 'Acknowledge the frustration, apologise where appropriate and avoid dismissive phrases.',
  },
  listening: {
    recognise: /listen|clarif|probing|discovery|questions|needs/i,
    positive: [
      p(
        String.raw`\bjust to confirm\b|\bso what you're saying\b|\bif I understand\b|\bto recap\b|\blet me make sure\b`,
      ),
      p(String.raw`\bcan I ask\b|\bcould you (tell|try)\b|\bare the\b.*\?`),
      p(String.raw`\bwhat (do|did|is|are)\b.*\?`),
    ],
    negative: RUDE.slice(2, 3),
    scope: 'all',
    pass: 'asked questions to understand the situation',
    fail: 'asked few questions to understand the situation',
    coaching: "Ask clarifying questions and play back the customer's issue before acting.",
  },
  knowledge: {
    recognise: /knowledge|accura|explain|information|expert|product/i,
    positive: [
      p(String.raw`\bbecause\b|\bwhich means\b|\bmeans\b`),
      p(String.raw`\bthe (only )?difference\b|\bknown to\b|\bcame from\b|\bshows\b`),
    ],
    negative: [],
    scope: 'all',
    pass: 'explained the cause and the options clearly',
    fail: 'gave little explanation of the cause or the options',
    coaching: 'Explain the cause of the problem and the options in plain words.',
  },
  offer: {
    recognise: /offer|retention|upsell|cross.?sell|sales|\bsave\b/i,
    positive: [p(String.raw`\boffer\b|\bdiscount\b|\bupgrade\b|\bpromotion\b`), p(String.raw`\bplan\b`)],
    negative: [],
    scope: 'all',
    pass: 'made a relevant offer',
    fail: 'made no relevant offer',
    coaching: "Look for an offer that fits the customer's needs before accepting a cancellation.",
  },
  compliance: {
    recognise: /complian|policy|regulat|script|procedure|legal/i,
    positive: [...DISCLOSURE, ...VERIFICATION],
    negative: [],
    scope: 'all',
    pass: 'followed the required compliance steps',
    fail: 'missed required compliance steps',
    coaching: 'Follow the compliance script: recording disclosure and identity verification on every call.',
  },
};

const ORDER = Object.keys(RUBRICS) as CriterionKind[];

/** The id and name decide first: "Empathy" described as "acknowledges the problem" is still empathy. */
export function classify(criterion: { id: string; name: string; description: string }): CriterionKind | undefined {
  const head = `${criterion.id.replace(/[_-]/g, ' ')} ${criterion.name}`;
  return (
    ORDER.find((k) => RUBRICS[k].recognise.test(head)) ??
    ORDER.find((k) => RUBRICS[k].recognise.test(criterion.description))
  );
}

export const CUSTOMER_POSITIVE = [
  /\bthank(s| you)\b/i,
  /\bgreat\b/i,
  /\bperfect\b/i,
  /\bappreciate/i,
  /\brelief\b/i,
  /\beas(y|ier)\b/i,
  /\bhelpful\b/i,
  /\b(excellent|wonderful|awesome|fantastic)\b/i,
  /\b(glad|happy|love)\b/i,
];

export const CUSTOMER_NEGATIVE = [
  /\bridiculous\b/i,
  /\bunacceptable\b/i,
  /\bfrustrat/i,
  /\bterrible\b|\bawful\b|\bworst\b/i,
  /\bunbelievable\b/i,
  /\bangry\b|\bupset\b|\bdisappoint/i,
  /\bcancel/i,
  /\bsupervisor\b|\bmanager\b/i,
  /\bhaven't helped\b|\bwaste of\b|\bcomplain/i,
  /\bswitch providers\b/i,
];

export const AGENT_RUDE = RUDE;
