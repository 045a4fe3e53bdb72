/**
 * The transcript as the product renders it for the model (`transcriptForPrompt` in
 * src/integrations/openai-evaluator.ts): one `[12.3s] Agent: text` line per utterance, labels
 * Agent, Customer or `Speaker X`. A long call has its middle replaced by a marker line; that line
 * and the half-lines either side of it are not utterances and are skipped.
 */
export type Role = 'agent' | 'customer';

export interface Utterance {
  index: number;
  role: Role;
  text: string;
  /** As printed in the prompt (one decimal), so an evidence time matches what the product shows. */
  startSeconds: number;
}

const LINE = /^\[(\d+(?:\.\d+)?)s\] (Agent|Customer|Speaker [^:]+): (.*)$/;

export function parseTranscript(text: string): Utterance[] {
  const utterances: Utterance[] = [];
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    // The product's own instruction: Speaker A is the agent unless the transcript labels speakers.
    const role: Role = m[2] === 'Agent' || m[2] === 'Speaker A' ? 'agent' : 'customer';
    utterances.push({ index: utterances.length, role, text: m[3]!, startSeconds: Number(m[1]) });
  }
  return utterances;
}

export function sentences(text: string): string[] {
  return text.split(/(?<=[.!?])\s+/).filter(Boolean);
}
