import { ButtonStyle, ComponentType } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { discordCustomId, parseCustomId, toDiscordMessage } from '../src/bot/discord/render.js';
import { errorMessage } from '../src/chat/messages.js';

describe('toDiscordMessage', () => {
  it('maps header, sections, fields, context and code blocks onto one embed', () => {
    const out = toDiscordMessage({
      text: 'fallback',
      blocks: [
        { type: 'header', text: '🛠️ Proposed fix' },
        { type: 'section', text: '**Restart** on `payment` — a &lt;b&gt; &amp; c' },
        { type: 'code', text: 'line one\n```evil```', language: 'log' },
        { type: 'divider' },
        { type: 'header', text: 'Second *header*' },
        { type: 'fields', fields: [{ label: 'Risk', value: '🟢 low' }, { label: 'Empty', value: '' }] },
        { type: 'context', text: 'Plan `p-1` · hash \\_x' },
        { type: 'context', text: 'more' },
      ],
    });
    expect(out.content).toBe('');
    expect(out.allowed_mentions).toEqual({ parse: [] });
    expect(out.embeds).toHaveLength(1);
    const e = out.embeds[0]!;
    expect(e.title).toBe('🛠️ Proposed fix');
    expect(e.description).toBe('**Restart** on `payment` — a <b> & c\n```log\nline one\n`\u200b``evil`\u200b``\n```\n───\n**Second \\*header\\***');
    expect(e.fields).toEqual([
      { name: 'Risk', value: '🟢 low', inline: true },
      { name: 'Empty', value: '—', inline: true },
    ]);
    expect(e.footer).toEqual({ text: 'Plan p-1 · hash _x\nmore' });
    expect(out.components).toEqual([]);
  });

  it('turns Approve / Reject into Success / Danger buttons whose custom_id is the action value', () => {
    const out = toDiscordMessage({
      text: 'plan',
      blocks: [{ type: 'section', text: 'x' }],
      actions: [
        { id: 'approve', label: 'Approve', style: 'primary', value: 'approve:plan-1:abcdef0123456789' },
        { id: 'reject', label: 'Reject', style: 'danger', value: 'reject:plan-1:abcdef0123456789' },
      ],
    });
    expect(out.components).toEqual([
      {
        type: ComponentType.ActionRow,
        components: [
          { type: ComponentType.Button, style: ButtonStyle.Success, label: 'Approve', custom_id: 'approve:plan-1:abcdef0123456789' },
          { type: ComponentType.Button, style: ButtonStyle.Danger, label: 'Reject', custom_id: 'reject:plan-1:abcdef0123456789' },
        ],
      },
    ]);
  });

  it('shortens a custom_id past 100 characters to prefixes that still identify the plan', () => {
    const hash = 'f'.repeat(64);
    const planId = 'plan-INC-202611251200-abc123-payment-service-bad_deploy';
    const id = discordCustomId(`approve:${planId}:${hash}`);
    expect(id.length).toBeLessThanOrEqual(100);
    const parsed = parseCustomId(id)!;
    expect(parsed.verb).toBe('approve');
    expect(planId.startsWith(parsed.planId)).toBe(true);
    expect(hash.startsWith(parsed.hash)).toBe(true);
    expect(parsed.hash.length).toBeGreaterThanOrEqual(16);
  });

  it('sends a message without blocks as plain content, and keeps embeds within Discord limits', () => {
    expect(toDiscordMessage({ text: 'hello' })).toMatchObject({ content: 'hello', embeds: [] });
    const big = toDiscordMessage({ text: 'x', blocks: Array.from({ length: 30 }, (_, i) => ({ type: 'section' as const, text: `${i} ${'y'.repeat(500)}` })) });
    expect(big.embeds[0]!.description!.length).toBeLessThanOrEqual(4096);
    expect(big.embeds[0]!.description!.endsWith('…')).toBe(true);
    expect(toDiscordMessage(errorMessage('boom <@everyone>')).embeds[0]!.description).toContain('boom <@everyone>');
  });

  it('lists attachments as files', () => {
    const out = toDiscordMessage({ text: 'r', blocks: [{ type: 'section', text: 'r' }], attachments: [{ path: '/tmp/a.png', title: 'A' }] });
    expect(out.files).toEqual([{ path: '/tmp/a.png', title: 'A' }]);
  });
});
