/** What travels on the PIPELINE queue. Every step is keyed by call id and step, and idempotent. */
export type PipelineMessage =
  | { step: 'transcribe'; tenant_id: string; call_id: string }
  /** Fetch the transcript: after AssemblyAI's webhook, or as the delayed poll that covers a lost one. */
  | { step: 'collect'; tenant_id: string; call_id: string; via: 'webhook' | 'poll'; poll?: number }
  /** `run_key` 'pipeline' for the first scoring; 'reanalysis:<id>' for each requested one. */
  | {
      step: 'evaluate';
      tenant_id: string;
      call_id: string;
      run_key: string;
      criteria_set_id?: string | null;
      requested_by?: string | null;
    }
  /**
   * Automatic alerts for a scored call once its score is released, and its live event:
   * `call.scored` after the evaluate step, `call.reviewed` after a human scored it.
   */
  | { step: 'alerts'; tenant_id: string; call_id: string; trigger?: 'scored' | 'reviewed' }
  /** The tenant's coaching rules for the agent of a freshly recorded evaluation (pipeline/coaching-rules.ts). */
  | { step: 'coaching'; tenant_id: string; call_id: string; evaluation_id: string }
  /** A course written for the agent a `generate_course` rule fired for, then assigned. */
  | {
      step: 'coach-generate';
      tenant_id: string;
      rule_id: string;
      agent_id: string;
      evaluation_id: string;
      criterion_id: string;
    }
  /** An alert the tenant's hub raised from live state (overdue wrap-up, long call...). */
  | { step: 'hub-alert'; tenant_id: string; alert: import('../../durable-objects/tenant-hub').RaisedAlert }
  /** Generate a requested or scheduled report's file into R2 (services/reports/generate.ts). */
  | { step: 'report'; tenant_id: string; report_id: string }
  /** Email a scheduled report's recipients a link to it, once each (services/reports/delivery.ts). */
  | { step: 'report-deliver'; tenant_id: string; report_id: string }
  /** Remove an object whose row is gone (a delete whose storage cleanup failed). */
  | { step: 'purge'; tenant_id: string; key: string }
  /** Generate a queued report's file into R2. */
  | { step: 'report'; tenant_id: string; report_id: string }
  /** Email a ready scheduled report's link to the schedule's recipients, once each. */
  | { step: 'report-deliver'; tenant_id: string; report_id: string };

export const MAX_POLLS = 20;

/** The states a call passes through in the pipeline; the sweeper re-queues one stuck in any of them. */
export const IN_FLIGHT = ['queued', 'transcribing', 'transcribed', 'evaluating'] as const;

export function estimatedCompletion(now = Date.now()): string {
  // Transcription runs at a fraction of real time; a few minutes covers typical calls.
  return new Date(now + 3 * 60_000).toISOString();
}
