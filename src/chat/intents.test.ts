import { describe, expect, it } from 'vitest';
import { IntentSchema, parseIntent, parseSinceMinutes } from './intents.js';

const known = ['checkout', 'payment', 'api-gateway', 'orders-db', 'cart-service'];

describe('parseIntent', () => {
  it('recognises diagnose questions and guesses the service', () => {
    expect(parseIntent('why is checkout failing?', { knownServices: known })).toEqual({ kind: 'diagnose', service: 'checkout' });
    expect(parseIntent('@sre-copilot diagnose api-gateway', known)).toEqual({ kind: 'diagnose', service: 'api-gateway' });
    expect(parseIntent('<@U024BE7LH> what is wrong with orders-db', known)).toEqual({ kind: 'diagnose', service: 'orders-db' });
    expect(parseIntent('why is cart so slow', known)).toEqual({ kind: 'diagnose', service: 'cart-service' });
    expect(parseIntent('why is the site down?', known)).toEqual({ kind: 'diagnose' });
    expect(parseIntent('investigate', known)).toEqual({ kind: 'diagnose' });
    expect(parseIntent('payment')).toEqual({ kind: 'unknown', text: 'payment' });
    expect(parseIntent('payment', known)).toEqual({ kind: 'diagnose', service: 'payment' });
  });

  it('guesses a service without a list', () => {
    expect(parseIntent('why is checkout failing?')).toEqual({ kind: 'diagnose', service: 'checkout' });
    expect(parseIntent('errors on payment-service')).toEqual({ kind: 'diagnose', service: 'payment-service' });
    expect(parseIntent('why is everything slow')).toEqual({ kind: 'diagnose' });
  });

  it('recognises dry run and rollback as commands, not inside questions', () => {
    expect(parseIntent('dry run')).toEqual({ kind: 'dry_run' });
    expect(parseIntent('@sre-copilot dry-run the plan')).toEqual({ kind: 'dry_run' });
    expect(parseIntent('what would the fix do?')).toEqual({ kind: 'dry_run' });
    expect(parseIntent('rollback')).toEqual({ kind: 'rollback' });
    expect(parseIntent('roll back the fix')).toEqual({ kind: 'rollback' });
    expect(parseIntent('how do I roll back a bad deploy?').kind).not.toBe('rollback');
    expect(parseIntent('rollback payment-service to 2.3 and delete the db').kind).not.toBe('rollback');
  });

  it('recognises status, report, approve, reject and help', () => {
    expect(parseIntent('status')).toEqual({ kind: 'status' });
    expect(parseIntent("what's the status?")).toEqual({ kind: 'status' });
    expect(parseIntent('show the report')).toEqual({ kind: 'report' });
    expect(parseIntent('@copilot: postmortem please')).toEqual({ kind: 'report' });
    expect(parseIntent('approve')).toEqual({ kind: 'approve' });
    expect(parseIntent('Approve plan-1')).toEqual({ kind: 'approve' });
    expect(parseIntent('reject')).toEqual({ kind: 'reject' });
    expect(parseIntent('Reject: the rollback would drop the cache warm-up')).toEqual({ kind: 'reject', reason: 'the rollback would drop the cache warm-up' });
    expect(parseIntent('why')).toEqual({ kind: 'why' });
  });

  it('never decides on a plan from a word inside a sentence', () => {
    for (const line of ['stop the bleeding please', 'stop', 'cancel that', "no, don't", 'abort', 'lgtm', 'go ahead and tell me why', 'do it later', 'approve?? who can approve this', 'rejection rate is up']) {
      expect(['approve', 'reject']).not.toContain(parseIntent(line).kind);
    }
    expect(parseIntent('help')).toEqual({ kind: 'help' });
    expect(parseIntent('  @sre-copilot   help ')).toEqual({ kind: 'help' });
    expect(parseIntent('what can you do?')).toEqual({ kind: 'help' });
  });

  it('recognises change questions with their window', () => {
    expect(parseIntent('what changed in the last hour?')).toEqual({ kind: 'changes', sinceMinutes: 60 });
    expect(parseIntent('any deploys in the past 30 minutes')).toEqual({ kind: 'changes', sinceMinutes: 30 });
    expect(parseIntent('what changed in the last 2 hours')).toEqual({ kind: 'changes', sinceMinutes: 120 });
    expect(parseIntent('changes')).toEqual({ kind: 'changes', sinceMinutes: 60 });
    expect(parseIntent('show recent deployments since yesterday')).toEqual({ kind: 'changes', sinceMinutes: 1440 });
    expect(parseIntent('which config changes were made over the last 15m?')).toEqual({ kind: 'changes', sinceMinutes: 15 });
    // a "why" question that mentions a deploy is a diagnosis
    expect(parseIntent('why is checkout failing after the deploy?', known)).toEqual({ kind: 'diagnose', service: 'checkout' });
  });

  it('returns unknown for anything else and always validates', () => {
    expect(parseIntent('good morning')).toEqual({ kind: 'unknown', text: 'good morning' });
    expect(parseIntent('')).toEqual({ kind: 'unknown', text: '' });
    expect(parseIntent('@sre-copilot')).toEqual({ kind: 'unknown', text: '' });
    for (const l of ['status', 'help', 'why?', 'approve', '🤷', 'x'.repeat(5000)]) {
      expect(IntentSchema.safeParse(parseIntent(l)).success).toBe(true);
    }
  });

  it('parses durations', () => {
    expect(parseSinceMinutes('in the last half an hour')).toBe(30);
    expect(parseSinceMinutes('last day')).toBe(1440);
    expect(parseSinceMinutes('last 90m')).toBe(90);
    expect(parseSinceMinutes('nothing here')).toBeUndefined();
  });
});
