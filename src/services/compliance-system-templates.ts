/**
 * The platform's compliance templates: read-only starting points a tenant copies and adapts. They
 * are written from the public rules as commonly applied to recorded calls, and every requirement is
 * phrased as something a reviewer can decide from the transcript alone (what was said, by whom, in
 * which order); none of them is legal advice, which is why a tenant reviews its copy.
 */
import type { ComplianceRequirement, RegulationType } from '../db/schema';

export interface SystemComplianceTemplate {
  key: string;
  name: string;
  regulation_type: RegulationType;
  description: string;
  requirements: readonly ComplianceRequirement[];
}

const req = (
  key: string,
  title: string,
  severity: ComplianceRequirement['severity'],
  text: string,
  must_say: string[] = [],
  must_not_say: string[] = [],
): ComplianceRequirement => ({ key, title, text, severity, must_say, must_not_say });

export const SYSTEM_COMPLIANCE_TEMPLATES: readonly SystemComplianceTemplate[] = [
  {
    key: 'pci_dss',
    name: 'PCI DSS: card payments by phone',
    regulation_type: 'PCI_DSS',
    description:
      'Taking card payments over the phone without exposing cardholder data (PCI DSS requirements 3 and 4 as they apply to call recordings). Not applicable to calls without a card payment.',
    requirements: [
      req(
        'no_card_number_repeated',
        'Card number not read back',
        'critical',
        'The agent never reads back, repeats or says aloud the full card number (primary account number). Confirming only the last four digits is allowed. Not applicable when no card payment is taken.',
        ['the card ending in 4242'],
        ['so that is 4111 1111 1111 1111', 'let me read the card number back to you'],
      ),
      req(
        'no_security_code_repeated',
        'Security code not repeated',
        'critical',
        'The agent never repeats, reads back or says aloud the card security code (CVV, CVC, CID), and never asks the customer to repeat it. Not applicable when no card payment is taken.',
        [],
        ['and the CVV was 123, correct?', 'can you say the security code again'],
      ),
      req(
        'no_security_code_written',
        'Security code not written down',
        'high',
        'The agent does not say that they are writing down, noting or storing the security code or the full card number. Not applicable when no card payment is taken.',
        [],
        ["I'll note down your security code", 'let me write the card number down'],
      ),
      req(
        'recording_paused_for_card_details',
        'Recording paused or secure entry used',
        'high',
        'Before the customer gives card details, the agent pauses the recording or transfers the customer to a secure keypad (DTMF) or IVR payment line, and says so. Not applicable when no card payment is taken.',
        [
          'I am pausing the recording while you give me your card details',
          'I will transfer you to our secure payment line',
        ],
      ),
      req(
        'card_details_not_by_email_or_chat',
        'No card details by insecure channels',
        'medium',
        'The agent does not ask the customer to send card details by email, text message or chat. Not applicable when no card payment is taken.',
        [],
        ['just email me the card number', 'text me the card details'],
      ),
    ],
  },
  {
    key: 'tcpa_fdcpa_opening',
    name: 'TCPA / FDCPA call-opening disclosures',
    regulation_type: 'FDCPA',
    description:
      'What a collection or outbound call must say at its start: who is calling and why, the mini-Miranda warning (FDCPA 15 U.S.C. 1692e(11)), and respect for a request to stop calling (TCPA).',
    requirements: [
      req(
        'caller_identity',
        'Caller identity',
        'high',
        'At the start of the call the agent gives their own name and the name of the company they call for.',
        ['my name is', 'calling from'],
      ),
      req(
        'call_purpose',
        'Purpose of the call',
        'medium',
        'Early in the call the agent states why they are calling (for example about an account or a payment).',
        ['I am calling about your account'],
      ),
      req(
        'mini_miranda',
        'Mini-Miranda warning',
        'critical',
        'Once the right party is confirmed and before discussing the debt, the agent says that the call is from a debt collector, that it is an attempt to collect a debt, and that any information obtained will be used for that purpose.',
        ['this is an attempt to collect a debt', 'any information obtained will be used for that purpose'],
      ),
      req(
        'right_party_before_debt',
        'Right party before the debt',
        'high',
        'The agent confirms they are speaking with the person who owes the debt before saying anything about it, and does not discuss the debt with anyone else.',
        ['am I speaking with'],
        ['tell him he owes us'],
      ),
      req(
        'stop_calling_honoured',
        'Do-not-call request honoured',
        'high',
        'If the customer asks not to be called again, the agent acknowledges it and does not keep pressing for a payment or another call. Not applicable when the customer makes no such request.',
        ['I will add you to our do-not-call list'],
        ['I will keep calling until'],
      ),
      req(
        'no_threats',
        'No threats or abuse',
        'critical',
        'The agent does not threaten arrest, jail, violence or legal action the company does not intend to take, and does not use abusive or obscene language.',
        [],
        ['you will be arrested', 'we will send someone to your house'],
      ),
    ],
  },
  {
    key: 'hipaa_identity',
    name: 'HIPAA identity verification before health information',
    regulation_type: 'HIPAA',
    description:
      'Verifying who the caller is before protected health information (PHI) is discussed, and keeping to the minimum necessary (HIPAA Privacy Rule, 45 CFR 164.514(h) and 164.502(b)).',
    requirements: [
      req(
        'verify_before_phi',
        'Identity verified before PHI',
        'critical',
        'Before discussing any health information (diagnoses, medications, appointments, test results, claims), the agent verifies the caller with at least two identifiers such as full name, date of birth, member or patient ID, or address. Not applicable when no health information is discussed.',
        ['can you confirm your date of birth', 'what is your member ID'],
      ),
      req(
        'authorised_third_party',
        'Third parties authorised',
        'high',
        'When the caller is not the patient (a relative, a carer), the agent confirms that they are authorised (for example listed on the account or with the patient present and consenting) before sharing health information. Not applicable when the caller is the patient.',
        ['are you listed as an authorised representative'],
      ),
      req(
        'minimum_necessary',
        'Minimum necessary',
        'medium',
        "The agent shares only the health information needed for the caller's request and does not volunteer unrelated diagnoses, treatments or records.",
      ),
      req(
        'no_phi_on_voicemail',
        'No PHI on voicemail',
        'high',
        'If the agent leaves a voicemail or message, it contains no health information beyond a name and a number to call back. Not applicable when no message is left.',
        [],
        ['calling with your test results'],
      ),
    ],
  },
  {
    key: 'gdpr_recording',
    name: 'GDPR call recording notice and consent',
    regulation_type: 'GDPR',
    description:
      'Telling callers in the EU/UK that the call is recorded, why, and how to object or reach their data rights (GDPR articles 6, 7, 13 and 21).',
    requirements: [
      req(
        'recording_notice',
        'Recording notice',
        'high',
        'At the start of the call, before personal data is collected, the agent (or a played message in the transcript) says that the call is recorded or monitored.',
        ['this call is recorded', 'this call may be recorded for quality and training purposes'],
      ),
      req(
        'recording_purpose',
        'Purpose of the recording',
        'medium',
        'The notice says what the recording is used for (for example quality, training, or keeping a record of the agreement).',
        ['for quality and training purposes'],
      ),
      req(
        'consent_or_objection',
        'Consent asked or objection offered',
        'high',
        'Where recording relies on consent, the agent asks whether the customer agrees; in any case the customer is told they can object, and if they object the agent stops the recording or offers another channel.',
        ['is that okay with you', 'let me know if you would prefer not to be recorded'],
        ['you cannot opt out of the recording'],
      ),
      req(
        'data_rights_pointer',
        'Where to find data rights',
        'low',
        'When the customer asks about their data or the recording, the agent tells them where to find the privacy notice or how to request access or deletion. Not applicable when the customer does not ask.',
        ['you can find our privacy notice at'],
      ),
    ],
  },
];

export function systemTemplate(key: string): SystemComplianceTemplate | undefined {
  return SYSTEM_COMPLIANCE_TEMPLATES.find((t) => t.key === key);
}
