import { afterEach, describe, expect, it } from 'vitest';
import { chooseModel } from '../src/agents/model.js';
import { createLlmScriptWriter, parseScriptReply } from '../src/agents/script-agent.js';
import type { Cmdb } from '../src/model/telemetry.js';
import { proposeRemediation } from '../src/remediation/propose.js';
import { templateScriptWriter } from '../src/remediation/script-writer.js';
import { T, cmdb, hypothesis, incident } from '../src/remediation/test-fixtures.js';
import { startFakeLlm, type FakeLlm } from './fake-llm-server.js';
import { testConfig } from './helpers.js';

let llm: FakeLlm | null = null;
afterEach(async () => {
  await llm?.close();
  llm = null;
});

const withDb: Cmdb = { ...cmdb, services: [...cmdb.services, { name: 'orders-db', kind: 'database', tier: 0, owner: 'data', hosts: ['db1'], dependsOn: [] }] };
const dbCpu = { ...hypothesis, id: 'h-db', component: 'orders-db', kind: 'cpu_saturation' as const };

async function writers(reply: string, provider: 'openai' | 'anthropic' = 'openai') {
  llm = await startFakeLlm({ reply });
  const config = await testConfig({ LLM_PROVIDER: provider, LLM_BASE_URL: llm.url, LLM_API_KEY: 'sk-test-key-123', LLM_MODEL: 'scripted' });
  const writer = createLlmScriptWriter(chooseModel(config.llm), 5_000);
  if (!writer) throw new Error('an LLM is configured, so there is a writer');
  return [writer, templateScriptWriter];
}

describe('the code agent (an LLM drafts the script when no registered action fits)', () => {
  for (const provider of ['openai', 'anthropic'] as const) {
    it(`${provider}: proposes the drafted script as a high-risk plan, from typed facts only`, async () => {
      const reply = "Here you go:\n```bash\n#!/usr/bin/env bash\n# cancel runaway queries on orders-db\nset -euo pipefail\npsql -h db1 -c \"select pg_cancel_backend(pid) from pg_stat_activity where now() - query_start > interval '60 seconds'\"\n```";
      const p = await proposeRemediation({ incident, hypothesis: dbCpu, cmdb: withDb, approvers: ['a', 'b'], scriptWriters: await writers(reply, provider), now: T });
      expect(p.plan!.risk).toBe('high');
      expect(p.plan!.steps[0]!.params.script).toMatch(/^#!\/usr\/bin\/env bash\n# cancel runaway queries on orders-db\n[\s\S]*pg_cancel_backend/);
      expect(p.plan!.steps[0]!.description).toBe('Run a generated script on orders-db: cancel runaway queries on orders-db');
      expect(p.notes.join(' ')).toContain(`A script written by ${provider} scripted is proposed`);
      const body = llm!.requests[0]!.body;
      expect(body).toContain('orders-db');
      expect(body).toContain('scale_out cannot act on a database');
      expect(body).not.toContain(incident.title); // no alert text reaches the prompt
    });
  }

  it('a destructive draft is refused and the reviewed templates take over', async () => {
    const reply = '```bash\n#!/usr/bin/env bash\n# free space fast\nrm -rf / --no-preserve-root\n```';
    const p = await proposeRemediation({ incident, hypothesis: dbCpu, cmdb: withDb, approvers: ['a'], scriptWriters: await writers(reply), now: T });
    expect(p.notes.join(' ')).toMatch(/written by openai scripted was refused: the script contains a destructive pattern \(rm -rf \/\)[\s\S]*built-in script templates is proposed/);
    expect(p.plan!.steps[0]!.params.script).toContain("unit='orders-db'");
  });

  it('a reply without a script block gives no draft', () => {
    expect(parseScriptReply('I would restart it.')).toBeNull();
    expect(parseScriptReply('```sh\necho hi\n```')).toEqual({ script: 'echo hi\n', description: 'a script drafted for the diagnosed fault' });
  });
});
