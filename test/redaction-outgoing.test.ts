import type { Config } from '../src/config.js';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { LogLevel, webApi } from '@slack/bolt';
import { REST } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import { adaptButton, adaptCommand, adaptMessage } from '../src/bot/discord/bot.js';
import { DiscordChannel } from '../src/bot/discord/channel.js';
import { SlackChannel } from '../src/bot/slack/channel.js';
import type { ChatChannel } from '../src/chat/channel.js';
import { createScenarioRuntime, type ScenarioRuntime } from '../src/runtime.js';
import { startFakeDiscordApi, startFakeSlackApi, type FakeChatApi } from './fake-chat-apis.js';
import { testConfig } from './helpers.js';

const SLACK_TOKEN = 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx';
const AWS_KEY = 'AKIAIOSFODNN7EXAMPLE';
const EMAIL = 'jane.doe@customer-mail.example.com';
const PHONE = '+44 20 7946 0958';
const USER_ID = '123456789012345678';
const HOSTILE = `<!channel> <!here> @everyone <@UATTACKER> <@${USER_ID}> <!subteam^S0OPS> page ${EMAIL} at ${PHONE}, token ${SLACK_TOKEN}, key ${AWS_KEY}`;
const SECRETS = [SLACK_TOKEN, AWS_KEY, EMAIL, PHONE];

let api: FakeChatApi | null = null;
let runtime: ScenarioRuntime | null = null;
afterEach(async () => {
  await runtime?.close();
  await api?.close();
  runtime = null;
  api = null;
});

/** The scenario's alert with the hostile text in its summary and description, as an alert manager would post it. */
function hostileAlert(rt: ScenarioRuntime): string {
  const payload = rt.world.alertPayload() as { alerts: { annotations: Record<string, string> }[]; commonAnnotations: Record<string, string> };
  for (const annotations of [...payload.alerts.map((a) => a.annotations), payload.commonAnnotations]) {
    annotations['summary'] = `${annotations['summary']} ${HOSTILE}`;
    annotations['description'] = `${annotations['description']} ${HOSTILE}`;
  }
  return JSON.stringify(payload);
}

/** Runs the whole incident (alert → findings → ranking → report → plan) over `channel`, then closes the store. */
async function runIncident(channel: ChatChannel): Promise<Config> {
  const config = await testConfig();
  runtime = await createScenarioRuntime({ config, scenario: 'bad-deploy-payment', seed: 3, channel });
  const opened = await runtime.copilot.handleAlertText(hostileAlert(runtime));
  if (!opened.ok) throw new Error(opened.error);
  expect(opened.session.incident.signal).toMatchObject({ kind: 'alert' });
  await runtime.close();
  runtime = null;
  return config;
}

/** Everything the incident store holds, as text: the LibSQL file's bytes, or the PostgreSQL schema's rows. */
async function databaseText(config: Config): Promise<string> {
  if (config.database) {
    const { sql } = await import('./postgres-helpers.js');
    const s = `"${config.database.schema}"`;
    const rows = [...(await sql(`SELECT json FROM ${s}.records`)).rows, ...(await sql(`SELECT json FROM ${s}.audit`)).rows];
    return rows.map((r) => String(r.json)).join('\n');
  }
  const files = (await readdir(config.home)).filter((f) => f.startsWith('sre-copilot.db'));
  return Buffer.concat(await Promise.all(files.map((f) => readFile(path.join(config.home, f))))).toString('latin1');
}

describe('what leaves the process carries no live mention and no secret', () => {
  it('Slack: every Web API request shows the mentions as text and the secrets redacted; so does the database', async () => {
    api = await startFakeSlackApi();
    const logs: string[] = [];
    const client = new webApi.WebClient('xoxb-test', { slackApiUrl: api.url, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR });
    const channel = new SlackChannel({ client, defaultChannel: 'CALERTS', log: (line) => logs.push(line) });
    const config = await runIncident(channel);

    const messages = api.requests.filter((r) => /chat\.(postMessage|update)$/.test(r.path));
    expect(messages.length).toBeGreaterThan(5);
    const sent = api.requests.map((r) => r.text).join('\n');
    // file uploads (the report) are not parsed for mentions; they only must not hold secrets
    const posted = api.requests.filter((r) => !r.path.startsWith('/upload/')).map((r) => r.text).join('\n');
    // the hostile summary did reach Slack, defused
    expect(posted).toContain('&lt;!channel&gt; &lt;!here&gt; @\u200beveryone &lt;@UATTACKER&gt;');
    expect(posted).toContain('[REDACTED EMAIL]');
    expect(posted).not.toMatch(/<!(channel|here|everyone|subteam)|<@U|<@\d|@(everyone|here|channel)\b/);
    for (const secret of SECRETS) expect(sent).not.toContain(secret);
    expect(messages.every((r) => r.json?.['link_names'] === 'false' || r.json?.['link_names'] === false)).toBe(true);

    const db = await databaseText(config);
    expect(db).toContain('[REDACTED EMAIL]');
    for (const secret of SECRETS) expect(db).not.toContain(secret);
    expect(logs).toEqual([]);
  }, 60_000);

  it('Slack: a log line that quotes a secret is redacted', async () => {
    api = await startFakeSlackApi();
    const logs: string[] = [];
    const client = new webApi.WebClient('xoxb-test', { slackApiUrl: api.url, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR });
    const channel = new SlackChannel({ client, defaultChannel: 'CALERTS', log: (line) => logs.push(line) });
    await channel.post({ channel: 'CALERTS', threadId: '1700000000.000001' }, { text: 'report', attachments: [{ path: `/nonexistent/${SLACK_TOKEN}/${EMAIL}.md`, title: 'r' }] });
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/could not upload 1 file/);
    expect(logs[0]).not.toContain(SLACK_TOKEN);
  });

  it('Discord: every message sets allowed_mentions parse [], draws no mention pill and carries no secret; so does the database', async () => {
    api = await startFakeDiscordApi();
    const logs: string[] = [];
    const log = { info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m), error: (m: string) => logs.push(m) };
    const channel = new DiscordChannel({ rest: new REST({ api: api.url }).setToken('test-token'), defaultChannelId: '100', log });
    const config = await runIncident(channel);

    const messages = api.requests.filter((r) => /\/channels\/\d+\/messages(\/\d+)?$/.test(r.path) && r.method !== 'GET');
    expect(messages.length).toBeGreaterThan(5);
    for (const m of messages) expect(m.json?.['allowed_mentions'], `${m.method} ${m.path}`).toEqual({ parse: [] });
    const sent = api.requests.map((r) => r.text).join('\n');
    // the hostile summary did reach Discord: the user id drawn as text, the email redacted (and Markdown-escaped)
    expect(sent).toContain(`<\u200b@${USER_ID}>`);
    expect(sent).toContain('\\\\[REDACTED EMAIL\\\\]');
    expect(sent).not.toMatch(/<@[!&]?\d+>/);
    for (const secret of SECRETS) expect(sent).not.toContain(secret);

    const db = await databaseText(config);
    for (const secret of SECRETS) expect(db).not.toContain(secret);
    expect(logs.filter((l) => SECRETS.some((s) => l.includes(s)))).toEqual([]);
  }, 60_000);

  it("Discord: the bot's replies, follow-ups and command answers set allowedMentions parse []", async () => {
    const sent: unknown[] = [];
    const capture = async (options: unknown) => {
      sent.push(options);
      return { id: '1' };
    };
    const message = {
      id: '1',
      channelId: '100',
      content: `status ${HOSTILE}`,
      embeds: [],
      author: { id: '7', bot: false, username: 'bob' },
      webhookId: null,
      mentions: { users: new Map(), roles: { some: () => false } },
      reply: capture,
      channel: { isThread: () => true },
    };
    await adaptMessage(message as never, '999').reply(`answer ${HOSTILE}`);
    const button = { customId: 'approve:p:abc', channelId: '100', user: { id: '7', username: 'bob' }, member: null, deferUpdate: capture, followUp: capture, editReply: capture };
    await adaptButton(button as never).followUp({ content: `refused ${HOSTILE}`, ephemeral: true });
    const command = { commandName: 'sre', options: { getSubcommand: () => 'status', getString: () => null }, channelId: '100', user: { id: '7', username: 'bob' }, deferReply: capture, editReply: capture };
    await adaptCommand(command as never).editReply({ content: `status ${HOSTILE}` });
    expect(sent).toHaveLength(3);
    for (const options of sent) expect(options).toMatchObject({ allowedMentions: { parse: [] } });
  });
});
