import { describe, expect, it } from 'vitest';
import { ConsoleChannel } from '../src/bot/console-channel.js';
import { Copilot, type CopilotDeps, type IncidentSession } from '../src/copilot/copilot.js';
import { pruneSessions } from '../src/copilot/sessions.js';
import { createScenarioRuntime } from '../src/runtime.js';
import { testConfig } from './helpers.js';

/** A session in one of the states that matter to the bound: awaiting a decision, fix running, finished. */
function session(id: string, state: 'awaiting' | 'running' | 'rejected' | 'verified', decidedAt = 0): IncidentSession {
  const approval = state === 'awaiting' ? null : { planId: `plan-${id}`, planHash: 'h', actor: 'alice', decision: state === 'rejected' ? ('rejected' as const) : ('approved' as const), at: decidedAt };
  return {
    incident: { id } as IncidentSession['incident'],
    result: {} as IncidentSession['result'],
    report: {} as IncidentSession['report'],
    approval,
    execution: state === 'running' || state === 'verified' ? ({ status: 'succeeded' } as IncidentSession['execution']) : null,
    verification: state === 'verified' ? ({ recovered: true } as IncidentSession['verification']) : null,
  };
}

describe('the incident sessions a copilot keeps in memory are bounded', () => {
  it('keeps the most recently decided finished ones, then drops the oldest, never one with work under way', () => {
    const sessions = new Map<string, IncidentSession>([
      ['a', session('a', 'verified', 50)],
      ['b', session('b', 'running', 10)],
      ['c', session('c', 'rejected', 20)],
      ['d', session('d', 'awaiting')],
      ['e', session('e', 'rejected', 5)],
      ['f', session('f', 'awaiting')],
      ['g', session('g', 'awaiting')],
    ]);
    const dropped = pruneSessions(sessions, (id) => id === 'd', { finished: 1, total: 3 });
    // finished: a (decided last) stays, e and c (decided earlier, earliest first) go; then over the total: b runs a
    // fix and d is busy, so a goes, then f
    expect(dropped).toEqual(['e', 'c', 'a', 'f']);
    expect([...sessions.keys()]).toEqual(['b', 'd', 'g']);
  });

  it('a copilot drops what is beyond its limits: a decision on a dropped plan is refused, its records stay in the store', async () => {
    const config = await testConfig();
    const runtime = await createScenarioRuntime({ config, scenario: 'bad-deploy-payment', seed: 2, channel: new ConsoleChannel({ stream: null }) });
    try {
      const deps = Reflect.get(runtime.copilot, 'deps') as CopilotDeps;
      const copilot = new Copilot({ ...deps, sessionLimits: { finished: 1, total: 3 } });
      const alert = JSON.stringify(runtime.world.alertPayload());
      const open = async () => {
        const opened = await copilot.handleAlertText(alert);
        if (!opened.ok) throw new Error(opened.error);
        expect(opened.session.result.plan).toBeTruthy();
        return opened.session.incident.id;
      };
      const [a, b, c, d] = [await open(), await open(), await open(), await open()];
      expect(copilot.allSessions().map((s) => s.incident.id)).toEqual([b, c, d]);
      for (const id of [b, c]) expect((await copilot.decide(id, 'alice', 'rejected')).ok).toBe(true);
      const e = await open();
      // one finished session is kept, the one decided last (c); b goes
      expect(copilot.allSessions().map((s) => s.incident.id)).toEqual([c, d, e]);
      const late = await copilot.decide(a!, 'alice', 'approved');
      expect(late.ok).toBe(false);
      expect(await runtime.store.get(a!, 'incident')).toMatchObject({ id: a });
      expect(await runtime.store.get(b!, 'plan')).toBeTruthy();
    } finally {
      await runtime.close();
    }
  });
});
