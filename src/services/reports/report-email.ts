/**
 * The email of a scheduled report: a link to the file, never the file. Its content depends only
 * on the report and the schedule (no "now"), so a retried send is the same message and the
 * provider's idempotency key holds.
 */
import type { Email } from '../../integrations/email';

export interface ReportEmailInput {
  to: string;
  tenantName: string;
  scheduleName: string;
  type: string;
  format: string;
  period: { from: string; to: string };
  timeZone: string;
  rowCount: number | null;
  /** Presigned GET of the object, valid until `linkExpiresAt`. */
  downloadUrl: string;
  linkExpiresAt: Date;
  /** The API's download endpoint, for a signed-in user, while the report lasts. */
  apiUrl: string;
  reportExpiresAt: Date;
}

const TYPE_LABELS: Record<string, string> = {
  call_scores: 'Call scores',
  agent_performance: 'Agent performance',
  compliance: 'Compliance',
  coaching_progress: 'Coaching progress',
};

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** `2026-12-09 07:00 UTC`: exact, and the same for every reader whatever their zone. */
const utc = (d: Date) => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

export function reportEmail(r: ReportEmailInput): Email {
  const kind = `${TYPE_LABELS[r.type] ?? r.type} (${r.format.toUpperCase()})`;
  const period = `${r.period.from} to ${r.period.to} (${r.timeZone})`;
  const rows = r.rowCount === null ? null : `${r.rowCount.toLocaleString('en-US')} rows`;
  const subject = `${r.tenantName}: ${r.scheduleName}, ${r.period.from} to ${r.period.to}`;
  const text = [
    `The scheduled report "${r.scheduleName}" of ${r.tenantName} is ready.`,
    '',
    `Report: ${kind}`,
    `Period: ${period}`,
    ...(rows ? [`Size: ${rows}`] : []),
    '',
    `Download it (this link works until ${utc(r.linkExpiresAt)}):`,
    r.downloadUrl,
    '',
    `Or, signed in, from the API until ${utc(r.reportExpiresAt)}:`,
    r.apiUrl,
    '',
    `You get this email as a recipient of the schedule "${r.scheduleName}" at ${r.tenantName}.`,
    '',
  ].join('\n');
  const e = escapeHtml;
  const html = [
    '<!doctype html>',
    '<html><body style="font-family: sans-serif; line-height: 1.5">',
    `<p>The scheduled report <strong>${e(r.scheduleName)}</strong> of ${e(r.tenantName)} is ready.</p>`,
    '<table cellpadding="4">',
    `<tr><th align="left">Report</th><td>${e(kind)}</td></tr>`,
    `<tr><th align="left">Period</th><td>${e(period)}</td></tr>`,
    ...(rows ? [`<tr><th align="left">Size</th><td>${e(rows)}</td></tr>`] : []),
    '</table>',
    `<p><a href="${e(r.downloadUrl)}">Download the report</a> (this link works until ${e(utc(r.linkExpiresAt))}).</p>`,
    `<p>Or, signed in, from the API until ${e(utc(r.reportExpiresAt))}:<br><code>${e(r.apiUrl)}</code></p>`,
    `<p style="color: #666">You get this email as a recipient of the schedule "${e(r.scheduleName)}" at ${e(r.tenantName)}.</p>`,
    '</body></html>',
    '',
  ].join('\n');
  return { to: r.to, subject, text, html };
}
