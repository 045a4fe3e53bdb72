/**
 * A typical evaluation form for the sample calls (id, name, max_points, description); tests turn
 * it into the product's criteria. SampleInfo.expected is stated against these ids.
 */
export interface SampleCriterion {
  id: string;
  name: string;
  max_points: number;
  description: string;
}

export const SAMPLE_CRITERIA: readonly SampleCriterion[] = [
  { id: 'greeting', name: 'Greeting', max_points: 10, description: 'The agent greets the customer, names the company and introduces themselves.' },
  {
    id: 'recording_disclosure',
    name: 'Recording disclosure',
    max_points: 10,
    description: 'The agent tells the customer that the call is recorded or monitored.',
  },
  {
    id: 'identity_verification',
    name: 'Identity verification',
    max_points: 20,
    description: 'The agent verifies the caller (e.g. date of birth, last four digits, service address) before discussing the account.',
  },
  { id: 'empathy', name: 'Empathy and courtesy', max_points: 20, description: 'The agent acknowledges the problem, apologises where appropriate and stays polite.' },
  { id: 'resolution', name: 'Resolution', max_points: 25, description: "The agent resolves the customer's issue on the call or sets a clear next step." },
  { id: 'closing', name: 'Closing', max_points: 15, description: 'The agent asks if there is anything else and closes the call politely.' },
];
