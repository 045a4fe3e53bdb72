/**
 * Upload → R2 → queue → AssemblyAI → OpenAI → scored call, through the real queue consumer in
 * workerd (`wrangler dev`), with the vendor stand-ins calling back into the Worker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../../dev/stack.ts';
import { loadSampleAudio, SAMPLES } from '../../dev/samples/index.ts';
import { DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN } from '../../dev/twilio/demo.ts';
import { pcmWav } from '../../dev/twilio/wav.ts';
import { recordingCallbackParams } from '../../dev/twilio/callback-params.ts';
import { api, login, ownerQuery, settle, startE2EStack, uploadAudio } from './stack.ts';

let stack: Stack;
let manager: string;

beforeAll(async () => {
  stack = await startE2EStack();
  manager = await login(stack, 'manager@acme.test', 'acme');
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('the call pipeline end to end', () => {
  it('takes every sample call from upload to a scored evaluation with evidence', async () => {
    const ids: string[] = [];
    for (const sample of SAMPLES) ids.push(await uploadAudio(stack, manager, await loadSampleAudio(sample.name)));
    const final = await settle(stack, manager, ids);
    for (const [id, state] of final) {
      expect(state.status, `call ${id}: ${state.failure_reason}`).toBe('completed');
      expect(state.overall_score).toBeGreaterThanOrEqual(0);
      expect(state.overall_score).toBeLessThanOrEqual(100);
    }
    const detail = (await (await api(stack, `/api/calls/${ids[0]}`, { token: manager })).json()) as any;
    expect(detail.transcription.segments.length).toBeGreaterThan(3);
    expect(detail.transcription.segments[0]).toMatchObject({ role: 'agent' });
    expect(detail.qa_evaluation.criteria.length).toBeGreaterThan(0);
    const criterion = detail.qa_evaluation.criteria[0];
    expect(criterion).toHaveProperty('score');
    expect(criterion).toHaveProperty('reasoning');
    expect(Array.isArray(criterion.evidence)).toBe(true);
    expect(detail.sentiment_analysis).toHaveProperty('overall');
    expect(detail.compliance_status).toHaveProperty('compliant');
    const insights = (await (await api(stack, `/api/calls/${ids[0]}/insights`, { token: manager })).json()) as any;
    expect(Array.isArray(insights.data)).toBe(true);
  });

  it('re-analyses on request and keeps the earlier evaluation as history', async () => {
    const id = await uploadAudio(stack, manager, await loadSampleAudio(SAMPLES[0]!.name));
    await settle(stack, manager, [id]);
    const res = await api(stack, `/api/calls/${id}/analysis`, { method: 'POST', token: manager, json: {} });
    expect(res.status).toBe(202);
    const until = Date.now() + 60_000;
    let analysis: any;
    do {
      await new Promise((r) => setTimeout(r, 500));
      analysis = await (await api(stack, `/api/calls/${id}/analysis`, { token: manager })).json();
    } while (analysis.history.length < 1 && Date.now() < until);
    expect(analysis.current.run).toBe('re-analysis');
    expect(analysis.history).toHaveLength(1);
    expect(analysis.history[0].run).toBe('initial');
  });

  it('lets a manager correct speaker labels, checked against the transcript', async () => {
    const id = await uploadAudio(stack, manager, await loadSampleAudio(SAMPLES[1]!.name));
    await settle(stack, manager, [id]);
    const before = (await (await api(stack, `/api/calls/${id}/transcription`, { token: manager })).json()) as any;
    const n = before.transcript.segments.length;
    const relabel = await api(stack, `/api/calls/${id}/transcription`, {
      method: 'PUT',
      token: manager,
      json: { segments: [{ index: 0, speaker: 'customer' }] },
    });
    expect(relabel.status).toBe(200);
    const after = (await relabel.json()) as any;
    expect(after.transcript.segments[0].role).toBe('customer');
    expect(after.transcript.segments[1].role).toBe(before.transcript.segments[1].role);
    const bad = await api(stack, `/api/calls/${id}/transcription`, {
      method: 'PUT',
      token: manager,
      json: { segments: [{ index: n, speaker: 'agent' }] },
    });
    expect(bad.status).toBe(422);
    const unchanged = (await (await api(stack, `/api/calls/${id}/transcription`, { token: manager })).json()) as any;
    expect(unchanged.transcript.segments[0].role, 'a rejected relabel writes nothing').toBe('customer');
  });

  it('scores each call once when AssemblyAI delivers every webhook twice', async () => {
    stack.assemblyai.configure({ duplicateWebhookRate: 1 });
    try {
      const ids = [];
      for (let i = 0; i < 3; i++)
        ids.push(await uploadAudio(stack, manager, await loadSampleAudio(SAMPLES[i % SAMPLES.length]!.name)));
      const final = await settle(stack, manager, ids);
      expect([...final.values()].every((s) => s.status === 'completed')).toBe(true);
      const counts = await ownerQuery<{ call_id: string; n: number }>(
        stack,
        `select call_id::text, count(*)::int as n from evaluations where run_key = 'pipeline' and call_id = any($1::uuid[]) group by call_id`,
        [ids],
      );
      expect(counts.map((c) => c.n)).toEqual([1, 1, 1]);
    } finally {
      stack.assemblyai.configure({ duplicateWebhookRate: 0 });
    }
  });

  it('ends every call completed or failed with a reason when the vendors fail and time out', async () => {
    stack.assemblyai.configure({ httpErrorRate: 0.25, failureRate: 0.2 });
    stack.openai.configure({ httpErrorRate: 0.25 });
    try {
      const ids = [];
      for (let i = 0; i < 10; i++)
        ids.push(await uploadAudio(stack, manager, await loadSampleAudio(SAMPLES[i % SAMPLES.length]!.name)));
      const final = await settle(stack, manager, ids, 180_000);
      for (const state of final.values()) {
        expect(['completed', 'failed']).toContain(state.status);
        if (state.status === 'failed') expect(state.failure_reason).toBeTruthy();
      }
      const dupes = await ownerQuery(
        stack,
        `select call_id from evaluations where run_key = 'pipeline' group by call_id having count(*) > 1`,
      );
      expect(dupes).toEqual([]);
    } finally {
      stack.assemblyai.configure({ httpErrorRate: 0, failureRate: 0 });
      stack.openai.configure({ httpErrorRate: 0 });
    }
  });

  it('judges a call against the PCI DSS template its criteria set attaches, alerting once per requirement', async () => {
    const admin = await login(stack, 'admin@acme.test', 'acme');
    const copy = await api(stack, '/api/admin/compliance-templates', {
      method: 'POST',
      token: admin,
      json: { from_system: 'pci_dss', name: `PCI e2e ${crypto.randomUUID().slice(0, 8)}` },
    });
    expect(copy.status).toBe(201);
    const template = (await copy.json()) as any;
    const criterion = (await (
      await api(stack, '/api/evaluation-criteria', {
        method: 'POST',
        token: manager,
        json: { template_id: 'greeting', name: `Greeting e2e ${template.id.slice(0, 8)}` },
      })
    ).json()) as any;
    const setRes = await api(stack, '/api/evaluation-criteria/sets', {
      method: 'POST',
      token: manager,
      json: {
        name: `PCI set ${template.id.slice(0, 8)}`,
        criteria_ids: [criterion.id],
        compliance_template_ids: [template.id],
      },
    });
    expect(setRes.status).toBe(201);
    const set = (await setRes.json()) as any;

    // Every AssemblyAI webhook twice: the call is still scored, and alerted, once.
    stack.assemblyai.configure({ duplicateWebhookRate: 1 });
    let id: string;
    try {
      id = await uploadAudio(stack, manager, await loadSampleAudio('billing-verified'), {
        direction: 'inbound',
        criteria_set_id: set.id,
      });
      expect((await settle(stack, manager, [id])).get(id)!.status).toBe('completed');
    } finally {
      stack.assemblyai.configure({ duplicateWebhookRate: 0 });
    }
    const detail = (await (await api(stack, `/api/calls/${id}`, { token: manager })).json()) as any;
    const items = detail.compliance_status.items;
    expect(items.map((i: any) => i.requirement_key)).toEqual(template.requirements.map((r: any) => r.key));
    for (const item of items) expect(item).toMatchObject({ template_id: template.id, template_version: 1 });
    // The agent refunds to "the card ending in nine zero two one": no card number read back, but
    // card details came up without the recording paused.
    const status = Object.fromEntries(items.map((i: any) => [i.requirement_key, i.status]));
    expect(status).toMatchObject({
      no_card_number_repeated: 'met',
      no_security_code_repeated: 'met',
      recording_paused_for_card_details: 'not_met',
    });
    expect(detail.compliance_status.compliant).toBe(false);

    const until = Date.now() + 30_000;
    let alerts: { dedupe_key: string; title: string; severity: string }[] = [];
    while (Date.now() < until) {
      alerts = await ownerQuery(
        stack,
        `select dedupe_key, title, severity from alerts where entity_id = $1 and type = 'compliance_violation'`,
        [id],
      );
      if (alerts.length) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    await new Promise((r) => setTimeout(r, 1000));
    const settled = await ownerQuery(
      stack,
      `select dedupe_key from alerts where entity_id = $1 and type = 'compliance_violation'`,
      [id],
    );
    expect(settled).toHaveLength(alerts.length);
    expect(alerts).toEqual([
      {
        dedupe_key: `${id}:compliance:${template.id}:recording_paused_for_card_details`,
        title: 'Compliance requirement missed: Recording paused or secure entry used',
        severity: 'high',
      },
    ]);
    const counts = await ownerQuery<{ n: number }>(
      stack,
      `select count(*)::int as n from evaluations where call_id = $1`,
      [id],
    );
    expect(counts).toEqual([{ n: 1 }]);
  });

  it('turns a Twilio recording callback into a scored call, once', async () => {
    const admin = await login(stack, 'admin@acme.test', 'acme');
    const put = await api(stack, '/api/integrations/twilio', {
      method: 'PUT',
      token: admin,
      json: { account_sid: DEMO_ACCOUNT_SID, auth_token: DEMO_AUTH_TOKEN },
    });
    expect(put.status).toBe(200);
    const rec = stack.twilio.addRecording({
      accountSid: DEMO_ACCOUNT_SID,
      authToken: DEMO_AUTH_TOKEN,
      recordingSid: `RE${'e2e'.padEnd(32, '0')}`,
      audio: pcmWav({ seconds: 2, channels: 2 }),
    });
    const path = '/webhooks/twilio/recording-status?tenant=acme';
    const deliver = () =>
      stack.twilio.sendRecordingStatusCallback({
        deliverTo: stack.apiUrl + path,
        publicUrl: stack.apiUrl + path,
        authToken: DEMO_AUTH_TOKEN,
        params: recordingCallbackParams(rec),
      });
    const first = (await (await deliver()).json()) as { call_id: string; created: boolean };
    const second = (await (await deliver()).json()) as { call_id: string; created: boolean };
    expect(first.created).toBe(true);
    expect(second).toEqual({ call_id: first.call_id, created: false });
    const final = await settle(stack, manager, [first.call_id]);
    expect(final.get(first.call_id)!.status).toBe('completed');
    const detail = (await (await api(stack, `/api/calls/${first.call_id}`, { token: manager })).json()) as any;
    expect(detail.call_info.audio.channels).toBe(2);
  });
});
