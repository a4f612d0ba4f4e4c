import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConsoleChannel, renderMessage } from './console-channel.js';
import { createChannel, listChannels, registerChannel } from './registry.js';

function sink(isTTY = false): { stream: Writable & { isTTY?: boolean }; out: () => string } {
  let buf = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      buf += String(chunk);
      cb();
    },
  }) as Writable & { isTTY?: boolean };
  stream.isTTY = isTTY;
  return { stream, out: () => buf };
}

describe('ConsoleChannel', () => {
  it('prints a root message and indented replies as a thread', async () => {
    const { stream, out } = sink();
    const ch = new ConsoleChannel({ stream, env: {} });
    const root = await ch.post(null, {
      text: 'fallback',
      blocks: [
        { type: 'header', text: '🚨 CRITICAL: HighErrorRate' },
        { type: 'section', text: '**HighErrorRate** — 5xx at 12% on `api-gateway` \\*not bold\\* &lt;b&gt;' },
        { type: 'fields', fields: [{ label: 'Severity', value: 'critical' }] },
        { type: 'divider' },
        { type: 'context', text: 'Incident `inc-1`' },
      ],
    });
    expect(root).toEqual({ threadId: 'console-1', messageId: 'console-1.1' });
    const reply = await ch.post({ channel: 'console', threadId: root.threadId }, {
      text: 'Proposed fix',
      blocks: [{ type: 'section', text: 'Roll back' }, { type: 'code', text: 'line 1\nline 2' }],
      attachments: [{ path: '/tmp/r/report.md', title: 'Incident report' }],
      actions: [
        { id: 'approve', label: 'Approve', style: 'primary', value: 'approve:p1' },
        { id: 'reject', label: 'Reject', style: 'danger', value: 'reject:p1' },
      ],
    });
    expect(reply).toEqual({ threadId: 'console-1', messageId: 'console-1.2' });
    await ch.update(reply, { text: 'Diagnosis: 3/5 experts finished' });
    expect(ch.transcript()).toBe(
      [
        '🚨 CRITICAL: HighErrorRate',
        'HighErrorRate — 5xx at 12% on api-gateway *not bold* <b>',
        'Severity: critical',
        '─'.repeat(40),
        'Incident inc-1',
        '│',
        '│ Roll back',
        '│   line 1',
        '│   line 2',
        '│ 📎 Incident report → /tmp/r/report.md',
        '│ [Approve] [Reject]',
        '│ ↻ Diagnosis: 3/5 experts finished',
        '',
      ].join('\n'),
    );
    expect(out()).toBe(ch.transcript());
    expect(out()).not.toContain('\x1b[');
  });

  it('uses ANSI colours only on a TTY without NO_COLOR', async () => {
    const tty = sink(true);
    const coloured = new ConsoleChannel({ stream: tty.stream, env: {} });
    await coloured.post(null, { text: 'x', blocks: [{ type: 'header', text: 'Title' }], actions: [{ id: 'a', label: 'Approve', style: 'primary', value: 'a' }] });
    expect(tty.out()).toContain('\x1b[1mTitle\x1b[22m');
    expect(coloured.transcript()).toBe('Title\n[Approve]\n');

    const noColor = sink(true);
    await new ConsoleChannel({ stream: noColor.stream, env: { NO_COLOR: '1' } }).post(null, { text: '**x**' });
    expect(noColor.out()).toBe('x\n');
  });

  it('starts a new thread per root post, separated by a blank line, and can stay silent', async () => {
    const ch = new ConsoleChannel({ stream: null });
    const a = await ch.post(null, { text: 'first' });
    const b = await ch.post(null, { text: 'second' });
    await ch.update(a, { text: 'first (edited)' });
    expect([a.threadId, b.threadId]).toEqual(['console-1', 'console-2']);
    expect(ch.transcript()).toBe('first\n\nsecond\n↻ first (edited)\n');
  });

  it('renders plain text when a message has no blocks', () => {
    expect(renderMessage({ text: 'a\nb' })).toEqual(['a', 'b']);
  });
});

describe('channel registry', () => {
  it('has the console channel and accepts new factories', async () => {
    expect(listChannels()).toContain('console');
    const ch = createChannel('console', { stream: null });
    expect(ch.name).toBe('console');
    registerChannel('test-null', () => ({ name: 'test-null', post: async () => ({ threadId: 't', messageId: 'm' }), update: async () => {} }));
    expect(createChannel('test-null').name).toBe('test-null');
    expect(() => createChannel('slack')).toThrow(/unknown chat channel "slack"/);
  });
});
