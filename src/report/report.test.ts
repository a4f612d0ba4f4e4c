import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRunbooks, runbooksFor } from '../knowledge/runbooks.js';
import { ReportSchema } from '../model/report.js';
import { codeSpan, escapeCell, escapeMarkdown, safeUrl } from './escape.js';
import { chartHref, renderReportMarkdown, writeReport, type ReportInput } from './markdown.js';
import { execution, findings, hypotheses, incident, plan, reflection, verification } from './test-fixtures.js';

const full: ReportInput = {
  incident,
  findings,
  hypotheses,
  reflection,
  plan,
  execution,
  verification,
  charts: [{ title: 'payment error_rate', path: '/tmp/inc/charts/payment-error_rate.png', entity: 'payment', metric: 'error_rate' }],
  author: 'deterministic templates',
  knowledge: [
    { title: 'Payment rollback runbook', ref: 'runbooks/payment.md', excerpt: 'Roll back with `deployctl rollback payment`.' },
    { title: 'INC-2291 bad deploy', ref: 'javascript:alert(1)', excerpt: 'Same template after 2.9.0' },
  ],
  baseDir: '/tmp/inc',
};

describe('renderReportMarkdown', () => {
  const md = renderReportMarkdown(full);

  it('has every section in order', () => {
    const sections = [...md.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    expect(sections).toEqual([
      'Summary',
      'Timeline',
      'Root cause',
      'Ranked hypotheses',
      'Evidence by expert',
      'Reflection',
      'Remediation plan',
      'Execution',
      'Verification',
      'Charts',
      'References',
    ]);
    expect(md).toMatch(/^# Incident report: HighErrorRate on api-gateway \\\| 5xx above 5%/);
    expect(md).toContain('- **Severity:** critical');
    expect(md).toContain('- **Status:** resolved');
  });

  it('states the root cause with confidence', () => {
    expect(md).toContain('**Root cause (confirmed by reflection):** bad deploy on `payment` — confidence 82%, score 2.41');
    expect(md).toContain('Most likely root cause: **bad deploy** on `payment` (confidence 82%');
  });

  it('orders the timeline and covers alert, change, onsets, fix and verification', () => {
    const rows = md.split('## Timeline')[1]!.split('## Root cause')[0]!.split('\n').filter((l) => /^\| 2026/.test(l));
    const times = rows.map((r) => r.slice(2, 21));
    expect([...times].sort()).toEqual(times);
    const text = rows.join('\n');
    for (const s of ['Alert `HighErrorRate` fired', 'Change on `payment`', 'Onset: new template on `payment`', 'Fix started by alice', 'Verification: metrics recovered', 'Remediation plan proposed']) {
      expect(text).toContain(s);
    }
  });

  it('ranks hypotheses in a table', () => {
    expect(md).toContain('| 1 | `payment` | bad deploy | 2.41 | 82% | 09:04:30 | api-gateway, checkout |');
    expect(md).toContain('| 2 | `bank-gateway` | third-party timeout | 0.93 | 31% |');
  });

  it('redacts and escapes untrusted text', () => {
    expect(md).not.toContain('4111 1111 1111 1111');
    expect(md).toContain('REDACTED CARD …1111');
    expect(md).not.toMatch(/sk_live_abc123|hunter2|eyJhbGci/);
    expect(md).not.toMatch(/<script>/);
    expect(md).toContain('&lt;script&gt;');
    // pipes inside table cells are escaped, so every table row has the right number of cells
    const reflectionRow = md.split('\n').find((l) => l.startsWith('| No counter-evidence'))!;
    expect(reflectionRow).toBe('| No counter-evidence | ❌ fail | bank-gateway latency also rose \\| minor |');
    for (const line of md.split('\n').filter((l) => l.startsWith('|'))) {
      expect(line.replace(/\\\|/g, '').split('|').length, line).toBeGreaterThanOrEqual(4);
    }
  });

  it('lists evidence per expert, reflection checks, plan, execution and verification', () => {
    expect(md).toContain('### Logs (1 finding)');
    expect(md).toContain('### CMDB and changes (1 finding)');
    expect(md).toContain('| Precedes the symptoms | ✅ pass |');
    expect(md).toContain('1. **roll back deploy** on `payment` (`to=2.14.0`): Roll back the payment deploy chg-1042 (risk medium)');
    expect(md).toContain("   - Before it runs: payment is in the CMDB; the executor's dry run succeeds");
    expect(md).toContain('   - Verify: `payment error_rate` within 10 min');
    expect(md).toContain('   - Rollback: redeploy 2.15.0');
    expect(md).toContain('- **Risk:** medium');
    expect(md).toContain('- **Approvers:** team-payments, sre-oncall');
    expect(md).toContain('Status: **succeeded** — run by alice');
    expect(md).toContain('| `payment` | `error_rate` | 0.01 | 0.121 | 0.011 | ✅ yes |');
  });

  it('links charts relatively and references safely', () => {
    expect(md).toContain('![payment error\\_rate](charts/payment-error_rate.png)');
    expect(md).toContain('[Payment rollback runbook](runbooks/payment.md)');
    expect(md).toContain('[Runbook for the remediation](https://runbooks.example/payment/rollback)');
    expect(md).not.toContain('](javascript:');
    expect(md).toContain('INC-2291 bad deploy (`javascript:alert(1)`)');
  });

  it('says who wrote it', () => {
    expect(md.trimEnd().split('\n').at(-1)).toBe('_Written by the deterministic planner and templates; no LLM was used._');
    const llm = renderReportMarkdown({ ...full, author: 'openai/gpt-4o-mini' });
    expect(llm).toContain('Written with openai/gpt-4o-mini');
  });

  it('is pure and copes with a bare diagnosis', () => {
    expect(renderReportMarkdown(full)).toBe(md);
    const bare = renderReportMarkdown({
      incident: { ...incident, signal: { kind: 'question', text: 'why is checkout failing?', user: 'bob', receivedAt: incident.createdAt } },
      findings: [],
      hypotheses: [],
      reflection: { verdict: 'uncertain', examined: 'none', checks: [], notes: [] },
      charts: [],
      author: 'deterministic templates',
    });
    expect(bare).toContain('No root cause could be identified');
    expect(bare).toContain('No remediation plan was proposed.');
    expect(bare).toContain('Not executed.');
    expect(bare).not.toContain('## Charts');
  });
});

describe('writeReport', () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('writes report.md and returns a valid Report', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'report-'));
    dirs.push(dir);
    const chart = { title: 'c', path: path.join(dir, 'charts', 'a b.png'), entity: 'payment', metric: 'error_rate' };
    const { baseDir: _unused, ...input } = full;
    const report = await writeReport(dir, { ...input, charts: [chart] }, () => 1_800_000_000_000);
    expect(ReportSchema.safeParse(report).success).toBe(true);
    expect(report.path).toBe(path.join(dir, 'report.md'));
    expect(report.createdAt).toBe(1_800_000_000_000);
    expect(report.incidentId).toBe(incident.id);
    const onDisk = await readFile(report.path, 'utf8');
    expect(onDisk).toBe(report.markdown);
    expect(onDisk).toContain('](charts/a%20b.png)');
  });
});

describe('report links', () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
  const { baseDir: _unused, ...input } = full;

  /** Link targets of the References section that are files (not URLs), resolved against the report's folder. */
  const fileLinks = (markdown: string, reportDir: string) =>
    [...markdown.split('## References')[1]!.matchAll(/\]\(([^)\s]+)\)/g)]
      .map((m) => m[1]!)
      .filter((target) => !/^https?:/.test(target))
      .map((target) => path.resolve(reportDir, decodeURI(target)));

  it("links the plan's runbook and every cited runbook to a file that exists, from <home>/reports/<incident>/", async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'report-home-'));
    dirs.push(home);
    const reportDir = path.join(home, 'reports', 'INC-1');
    const cited = runbooksFor(await loadRunbooks(), 'bad_deploy');
    expect(cited.length).toBeGreaterThan(0);
    const knowledge = [
      // as the copilot cites them (relative to the report folder, no id) and as absolute paths with ids
      ...cited.slice(0, 1).map((r) => ({ title: r.title, ref: path.relative(reportDir, r.path), excerpt: r.body })),
      ...cited.slice(1).map((r) => ({ title: r.title, ref: r.path, excerpt: '', id: r.id })),
    ];
    const report = await writeReport(reportDir, { ...input, plan: { ...plan, runbook: cited[0]!.id }, knowledge });
    const targets = fileLinks(report.markdown, reportDir);
    expect(targets).toHaveLength(cited.length);
    for (const target of targets) expect(existsSync(target), target).toBe(true);
    expect(targets[0]).toBe(cited[0]!.path);
    expect(report.markdown).toContain(`- [Runbook for the remediation: ${escapeMarkdown(cited[0]!.title)}](`);
  });

  it('names a runbook id it cannot find without linking to it', () => {
    const md = renderReportMarkdown({ ...full, plan: { ...plan, runbook: 'rb-unknown' }, knowledge: [] });
    expect(md).toContain('- Runbook for the remediation: `rb-unknown` (no runbook with this id was loaded)');
    expect(md).not.toContain('](rb-unknown)');
  });
});

describe('markdown escaping helpers', () => {
  it('escapes markdown and html', () => {
    expect(escapeMarkdown('*bold* [x](http://e) <b>&')).toBe('\\*bold\\* \\[x\\]\\(http://e\\) &lt;b&gt;&amp;');
    expect(escapeCell('a|b\nc')).toBe('a\\|b c');
    expect(codeSpan('a`b')).toBe('``a`b``');
    expect(codeSpan('x|y', true)).toBe('`x\\|y`');
    expect(safeUrl('javascript:alert(1)')).toBeUndefined();
    expect(safeUrl('https://e.com/a (b)')).toBeUndefined();
    expect(safeUrl('https://e.com/a_(b)')).toBe('https://e.com/a_%28b%29');
    expect(chartHref('/r/inc/charts/x.png', '/r/inc')).toBe('charts/x.png');
    expect(chartHref('charts/x.png', undefined)).toBe('charts/x.png');
  });
});
