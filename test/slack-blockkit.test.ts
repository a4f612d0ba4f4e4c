import { describe, expect, it } from 'vitest';
import { decodeSlackRef, encodeSlackRef, toBlockKit, toMrkdwn } from '../src/bot/slack/channel.js';
import { slackToPlain } from '../src/bot/slack/app.js';

describe('toBlockKit', () => {
  it('maps every block kind and the actions onto Block Kit', () => {
    const blocks = toBlockKit({
      text: 'fallback',
      blocks: [
        { type: 'header', text: 'Fix &amp; verify' },
        { type: 'section', text: '**bold** _it_ `code` [docs](https://x.test/a) 1\\. not a list &lt;b&gt;' },
        { type: 'fields', fields: [{ label: 'Risk', value: '🟢 low' }] },
        { type: 'context', text: 'plan `p1`' },
        { type: 'divider' },
        { type: 'code', text: 'a < b && ```x```' },
      ],
      actions: [
        { id: 'approve', label: 'Approve', style: 'primary', value: 'approve:p1:abc' },
        { id: 'reject', label: 'Reject', style: 'danger', value: 'reject:p1:abc' },
      ],
    });
    expect(blocks).toEqual([
      { type: 'header', text: { type: 'plain_text', text: 'Fix & verify', emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: '*bold* _it_ `code` <https://x.test/a|docs> 1. not a list &lt;b&gt;' } },
      { type: 'section', fields: [{ type: 'mrkdwn', text: '*Risk*\n🟢 low' }] },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'plan `p1`' }] },
      { type: 'divider' },
      { type: 'section', text: { type: 'mrkdwn', text: '```\na &lt; b &amp;&amp; `\u200b``x`\u200b``\n```' } },
      {
        type: 'actions',
        elements: [
          { type: 'button', action_id: 'approve', text: { type: 'plain_text', text: 'Approve', emoji: true }, value: 'approve:p1:abc', style: 'primary' },
          { type: 'button', action_id: 'reject', text: { type: 'plain_text', text: 'Reject', emoji: true }, value: 'reject:p1:abc', style: 'danger' },
        ],
      },
    ]);
  });

  it('sends plain text alone as no blocks, and clips to Slack limits', () => {
    expect(toBlockKit({ text: 'hi' })).toEqual([]);
    const long = toBlockKit({ text: 't', blocks: Array.from({ length: 60 }, () => ({ type: 'section' as const, text: 'x'.repeat(4000) })), actions: [{ id: 'approve', label: 'Approve', value: 'v' }] });
    expect(long).toHaveLength(50);
    expect(long.at(-1)!.type).toBe('actions');
    expect(JSON.stringify(long[0]).length).toBeLessThan(3100);
  });

  it('converts markdown and Slack references both ways', () => {
    expect(toMrkdwn('\\*not bold\\* **bold**')).toBe('*not bold* *bold*');
    expect(decodeSlackRef(encodeSlackRef('C1', '1.2'))).toEqual({ channel: 'C1', ts: '1.2' });
    expect(decodeSlackRef('1.2', 'C9')).toEqual({ channel: 'C9', ts: '1.2' });
    expect(() => decodeSlackRef('1.2', 'slack')).toThrow(/names no channel/);
    expect(slackToPlain('```{"a": "&lt;x&gt; &amp; <https://g.test/d|https://g.test/d>"}```')).toBe('{"a": "<x> & https://g.test/d"}');
  });
});
