import { describe, expect, it } from 'vitest';
import type { Report } from '../model/report.js';
import { execution, findings, hypotheses, incident, plan, reflection, verification } from '../report/test-fixtures.js';
import type { ChatMessage } from './channel.js';
import { renderMessage } from '../bot/console-channel.js';
import {
  alertReceivedMessage,
  errorMessage,
  executionMessage,
  findingsMessage,
  planMessage,
  progressMessage,
  rankingMessage,
  reflectionMessage,
  reportMessage,
  verificationMessage,
} from './messages.js';

/** What a person sees on the console, plus the fallback text. */
const shown = (m: ChatMessage) => `${renderMessage(m).join('\n')}\n${m.text}`;
const SECRETS = /4111 1111 1111 1111|sk_live_abc123|hunter2|eyJhbGci|<script>/;

describe('message builders', () => {
  it('announces an alert', () => {
    const m = alertReceivedMessage(incident);
    const s = shown(m);
    expect(m.blocks?.[0]).toEqual({ type: 'header', text: '🚨 CRITICAL: HighErrorRate on api-gateway | 5xx above 5%' });
    expect(s).toContain('HighErrorRate — api-gateway 5xx ratio 12%');
    expect(s).toContain('Services: api-gateway, checkout');
    expect(s).toContain('inc-20261120-0907');
    // untrusted alert text is escaped in blocks, so no markup survives into chat
    expect(JSON.stringify(m.blocks)).not.toContain('<script>');
  });

  it('shows expert progress', () => {
    const m = progressMessage([
      { expert: 'logs', status: 'done', findings: 3 },
      { expert: 'metrics', status: 'running' },
      { expert: 'traces', status: 'failed' },
      { expert: 'kpi', status: 'pending' },
    ]);
    const lines = renderMessage(m);
    expect(lines[0]).toBe('Diagnosis: 2/4 experts finished');
    expect(lines).toContain('✅ logs — done (3 findings)');
    expect(lines).toContain('⏳ metrics — running');
    expect(lines).toContain('❌ traces — failed');
  });

  it('lists the top findings with score bars and redacted evidence', () => {
    const many = Array.from({ length: 7 }, (_, i) => ({ ...findings[0]!, id: `f${i}`, score: 0.3 + i * 0.1 }));
    const m = findingsMessage('logs', many);
    const s = shown(m);
    expect(s).toContain('🔎 logs expert: 7 findings');
    expect(s).toContain('▇▇▇▇▇ 0.90 payment · new template on tmpl-42');
    expect(s).toContain('▇▇▇▇▁ 0.80');
    expect(s).not.toContain('0.40');
    expect(s).toContain('… and 2 weaker findings');
    expect(s).toContain('[REDACTED CARD …1111]');
    expect(s).not.toMatch(SECRETS);
    expect(shown(findingsMessage('traces', []))).toContain('traces expert: no anomalies');
  });

  it('ranks hypotheses', () => {
    const s = shown(rankingMessage(hypotheses));
    expect(s).toContain('1. bad deploy on payment ▇▇▇▇▁ confidence 82% · score 2.41');
    expect(s).toContain('2. third-party timeout on bank-gateway');
    expect(shown(rankingMessage([]))).toContain('No root-cause hypothesis');
  });

  it('reports reflection checks', () => {
    const s = shown(reflectionMessage(reflection));
    expect(s).toContain('Reflection: ✅ confirmed');
    expect(s).toContain('✅ precedes symptoms');
    expect(s).toContain('❌ no counter evidence — bank-gateway latency also rose | minor');
  });

  it('offers Approve/Reject actions bound to the plan hash', () => {
    const m = planMessage(plan);
    expect(m.actions).toEqual([
      { id: 'approve', label: 'Approve', style: 'primary', value: `approve:plan-1:${plan.hash}` },
      { id: 'reject', label: 'Reject', style: 'danger', value: `reject:plan-1:${plan.hash}` },
      { id: 'dryrun', label: 'Dry run', value: `dryrun:plan-1:${plan.hash}` },
    ]);
    const s = shown(m);
    expect(s).toContain('1. 🟠 roll back deploy on payment to=2.14.0 — Roll back the payment deploy chg-1042');
    expect(s).toContain("before: payment is in the CMDB; the executor's dry run succeeds");
    expect(s).toContain('verify: payment error_rate within 10 min');
    expect(s).toContain('rollback: redeploy 2.15.0');
    expect(s).toContain('Risk: 🟠 medium');
    expect(s).toContain('Approvers: team-payments, sre-oncall');
    expect(s).toContain('[Approve] [Reject] [Dry run]');
  });

  it('reports execution and verification', () => {
    const e = shown(executionMessage(execution, plan));
    expect(e).toContain('✅ Fix succeeded (run by alice, 1m)');
    expect(e).toContain('step s1 roll back deploy on payment succeeded');
    expect(e).toContain('password=[REDACTED]');
    expect(e).not.toMatch(SECRETS);
    const v = shown(verificationMessage(verification));
    expect(v).toContain('✅ Recovered');
    expect(v).toContain('✅ payment error_rate baseline 0.01 → during 0.121 → now 0.011');
    expect(shown(verificationMessage({ ...verification, recovered: false }))).toContain('❌ Not recovered');
  });

  it('attaches the report and its charts', () => {
    const report: Report = {
      incidentId: incident.id,
      title: 'Incident report: HighErrorRate',
      markdown: '# …',
      path: '/tmp/inc/report.md',
      charts: [{ title: 'payment error_rate', path: '/tmp/inc/chart-1.png', entity: 'payment', metric: 'error_rate' }],
      author: 'deterministic templates',
      createdAt: 0,
    };
    const m = reportMessage(report);
    expect(m.attachments).toEqual([
      { path: '/tmp/inc/report.md', title: 'Incident report (Markdown)' },
      { path: '/tmp/inc/chart-1.png', title: 'payment error_rate' },
    ]);
    expect(shown(m)).toContain('📎 Incident report (Markdown) → /tmp/inc/report.md');
  });

  it('redacts errors', () => {
    const m = errorMessage('connect failed: postgres://app:Sup3r@db/orders token=abc123');
    expect(shown(m)).not.toMatch(/Sup3r|abc123/);
    expect(m.text).toBe('⚠️ connect failed: postgres://app:[REDACTED]@db/orders token=[REDACTED]');
  });

  it('redacts every string of every message', () => {
    const all = [
      alertReceivedMessage(incident),
      findingsMessage('logs', findings),
      rankingMessage(hypotheses),
      reflectionMessage(reflection),
      planMessage(plan),
      executionMessage(execution),
      verificationMessage(verification),
    ];
    for (const m of all) expect(JSON.stringify(m)).not.toMatch(SECRETS);
  });
});
