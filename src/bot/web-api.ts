import type { ChatChannel } from '../chat/channel.js';
import { type Config, incidentChannelOf } from '../config.js';
import { ConsoleChannel } from './console-channel.js';

/**
 * The channels a worker posts through: each configured chat platform's Web API (Slack's chat.postMessage, Discord's
 * REST), with no event connection of its own — serve receives the events; workers only write into the threads serve
 * opened. Without a chat platform, the console (this process's stdout). Keyed by channel name, as a thread names it.
 */
export interface WebApiChannel {
  channel: ChatChannel;
  /**
   * Who may approve plans proposed in this channel — the platform's list, as serve's adapter has it: a plan carries
   * its approvers from the moment it is proposed, and serve, where the click lands, holds the worker's plan to them.
   */
  approvers: string[];
}

export async function webApiChannels(config: Config, log: (line: string) => void): Promise<Map<string, WebApiChannel>> {
  const channels = new Map<string, WebApiChannel>();
  if (config.slack) {
    const [{ webApi, LogLevel }, { SlackChannel, slackClientOptions }] = await Promise.all([import('@slack/bolt'), import('./slack/channel.js')]);
    const client = new webApi.WebClient(config.slack.botToken, { ...slackClientOptions(config.slack.apiUrl), logLevel: LogLevel.WARN });
    const incidentChannel = incidentChannelOf(config.slack);
    const slack = new SlackChannel({ client, log, ...(incidentChannel ? { defaultChannel: incidentChannel } : {}) });
    channels.set(slack.name, { channel: slack, approvers: config.slack.approvers });
  }
  if (config.discord) {
    const [{ REST }, { DiscordChannel }] = await Promise.all([import('discord.js'), import('./discord/channel.js')]);
    const rest = new REST(config.discord.apiUrl ? { api: config.discord.apiUrl } : {}).setToken(config.discord.token);
    const incidentChannel = incidentChannelOf(config.discord);
    const discord = new DiscordChannel({ rest, ...(incidentChannel ? { defaultChannelId: incidentChannel } : {}), log: { info: log, warn: log, error: log } });
    channels.set(discord.name, { channel: discord, approvers: config.discord.approvers });
  }
  if (channels.size === 0) channels.set('console', { channel: new ConsoleChannel(), approvers: config.approvers });
  return channels;
}
