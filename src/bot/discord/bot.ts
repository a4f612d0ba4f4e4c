import {
  Client,
  Events,
  GatewayIntentBits,
  MessageFlags,
  Routes,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Message,
} from 'discord.js';
import { type DiscordConfig, incidentChannelOf } from '../../config.js';
import type { Copilot } from '../../copilot/copilot.js';
import { Conversation } from '../../copilot/conversation.js';
import { loadRunbooks, type Runbook } from '../../knowledge/runbooks.js';
import type { IncidentStore } from '../../storage/types.js';
import { DiscordChannel, type Logger } from './channel.js';
import { clip } from '../../chat/format.js';
import {
  createContext,
  handleButton,
  handleCommand,
  handleMessage,
  RoleDirectory,
  SRE_COMMAND,
  type ButtonInteractionLike,
  type CommandInteractionLike,
  type DiscordContext,
  type MessageLike,
} from './handlers.js';

/** What the Copilot needs from Discord to check approvers: pass both into the Copilot deps. */
export interface DiscordApproverAuth {
  approvers: string[];
  isInApproverGroup: (actor: string, approvers: string[]) => Promise<boolean>;
}

export interface StartDiscordOptions {
  config: DiscordConfig;
  /**
   * Builds the Copilot that posts to `channel`. Spread `auth` into its deps (`approvers`, `isInApproverGroup`) so that
   * plans name the Discord approvers and role holders are recognised.
   */
  makeCopilot: (channel: DiscordChannel, auth: DiscordApproverAuth) => Copilot | Promise<Copilot>;
  /** the copilot's clock for questions (default Date.now; the scenario world's clock in scenario mode) */
  now?: () => number;
  /** service names for intent parsing (e.g. from the CMDB) */
  knownServices?: () => Promise<string[]>;
  /** runbooks for `/sre kb` (default: the bundled ones) */
  runbooks?: Runbook[];
  log?: Logger;
  /** the Copilot's store, to audit refused clicks as the core audits its own refusals */
  audit?: Pick<IncidentStore, 'appendAudit'>;
  /**
   * The conversation layer over the copilot (serve: the runtime's, with its data source). Default: one built from the
   * options above, with no recent-change source.
   */
  makeConversation?: (copilot: Copilot) => Conversation;
  /** default true; false builds everything without connecting (tests, dry runs) */
  login?: boolean;
}

export interface DiscordBot {
  client: Client;
  channel: DiscordChannel;
  copilot: Copilot;
  context: DiscordContext;
  stop(): Promise<void>;
}

/**
 * Connects the copilot to Discord: a discord.js Client (intents Guilds, GuildMessages, MessageContent) whose events
 * are adapted to the plain handlers in handlers.ts; the channel posts through the client's REST, which honours
 * `config.apiUrl`. Registers `/sre` through REST when an application id is configured.
 */
export async function startDiscord(options: StartDiscordOptions): Promise<DiscordBot> {
  const { config } = options;
  const log = options.log ?? console;
  const client = new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent],
    ...(config.apiUrl ? { rest: { api: config.apiUrl } } : {}),
  });
  client.rest.setToken(config.token);
  const roles = new RoleDirectory();
  // threads nobody started (alert webhooks) open in the incident channel, else the first alert channel
  const incidentChannel = incidentChannelOf(config);
  const channel = new DiscordChannel({ rest: client.rest, ...(incidentChannel ? { defaultChannelId: incidentChannel } : {}), log });
  const copilot = await options.makeCopilot(channel, { approvers: config.approvers, isInApproverGroup: roles.isInApproverGroup });
  const runbooks = options.runbooks ?? (await loadRunbooks());
  const conversation =
    options.makeConversation?.(copilot) ??
    new Conversation({
      copilot,
      store: options.audit ?? { appendAudit: async () => log.warn('discord: no audit store configured; a refusal was not recorded') },
      knownServices: options.knownServices ?? (async () => []),
      changes: async () => [],
      runbooks,
      now: options.now ?? Date.now,
    });
  const context = createContext({ conversation, channel, config, roles, runbooks, log });
  // pending plans and threads from before a restart keep working
  await copilot.restore({ background: (job) => void job().catch((err: unknown) => log.error(`discord: resuming interrupted incidents failed: ${(err as Error).message}`)) });
  await conversation.restore();
  wireClient(client, context);
  if (options.login !== false) {
    try {
      await client.login(config.token);
    } catch (err) {
      await client.destroy();
      throw new Error(`Discord login failed: ${(err as Error).message}`);
    }
  }
  return { client, channel, copilot, context, stop: () => client.destroy() };
}

/** Hooks the client's events to the handlers; every handler catches its own errors, this catches the adapters'. */
export function wireClient(client: Client, ctx: DiscordContext): void {
  const guard = (what: string, run: () => Promise<unknown>) => {
    run().catch((err: unknown) => ctx.log.error(`discord: ${what} failed: ${(err as Error).message}`));
  };
  client.once(Events.ClientReady, (ready) => {
    ctx.log.info?.(`discord: connected as ${ready.user.tag}`);
    if (ctx.config.applicationId) {
      guard('registering /sre', () => registerCommands(client.rest, ctx.config.applicationId!).then(() => ctx.log.info?.('discord: /sre registered')));
    }
  });
  client.on(Events.MessageCreate, (message) => {
    const botId = client.user?.id;
    if (!botId || message.author.id === botId) return;
    guard(`message ${message.id}`, () => handleMessage(ctx, adaptMessage(message, botId)));
  });
  client.on(Events.InteractionCreate, (interaction) => {
    if (interaction.isButton()) guard(`button ${interaction.customId}`, () => handleButton(ctx, adaptButton(interaction)));
    else if (interaction.isChatInputCommand()) guard(`/${interaction.commandName}`, () => handleCommand(ctx, adaptCommand(interaction)));
  });
  client.on(Events.Error, (err) => ctx.log.error(`discord: client error: ${err.message}`));
}

/** Registers the global `/sre` command (PUT replaces the application's command list). */
export async function registerCommands(rest: { put(route: `/${string}`, options?: { body?: unknown }): Promise<unknown> }, applicationId: string): Promise<void> {
  await rest.put(Routes.applicationCommands(applicationId), { body: [SRE_COMMAND] });
}

export function adaptMessage(m: Message, botId: string): MessageLike {
  const embedText = m.embeds.map((e) => [e.title, e.description].filter(Boolean).join('\n')).join('\n\n');
  return {
    id: m.id,
    channelId: m.channelId,
    content: m.content || embedText,
    author: { id: m.author.id, bot: m.author.bot, username: m.author.username },
    webhookId: m.webhookId,
    mentionsBot: m.mentions.users.has(botId) || m.mentions.roles.some((r) => r.tags?.botId === botId),
    reply: (content) => m.reply({ content: clip(content, 2000), allowedMentions: { parse: [], repliedUser: false } }),
    // a mention inside a thread (an incident's, say) continues there: threads cannot hold threads
    startThread: async (o) => (m.channel.isThread() ? { id: m.channelId } : m.startThread(o)),
  };
}

export function rolesOf(member: { roles: string[] | { cache: { keys(): Iterable<string> } } } | null | undefined): string[] {
  if (!member) return [];
  return Array.isArray(member.roles) ? [...member.roles] : [...member.roles.cache.keys()];
}

export function adaptButton(i: ButtonInteraction): ButtonInteractionLike {
  return {
    customId: i.customId,
    channelId: i.channelId,
    user: { id: i.user.id, username: i.user.username },
    memberRoles: rolesOf(i.member as Parameters<typeof rolesOf>[0]),
    deferUpdate: () => i.deferUpdate(),
    followUp: (o) => i.followUp({ content: clip(o.content, 2000), allowedMentions: { parse: [] }, ...(o.ephemeral ? { flags: MessageFlags.Ephemeral } : {}) }),
    editMessage: (o) => i.editReply(o),
  };
}

export function adaptCommand(i: ChatInputCommandInteraction): CommandInteractionLike {
  return {
    commandName: i.commandName,
    subcommand: i.options.getSubcommand(false),
    getString: (name) => i.options.getString(name),
    channelId: i.channelId,
    user: { id: i.user.id, username: i.user.username },
    deferReply: (o) => i.deferReply(o?.ephemeral ? { flags: MessageFlags.Ephemeral } : {}),
    editReply: async (o) => {
      const m = await i.editReply({ content: clip(o.content, 2000), allowedMentions: { parse: [] }, ...(o.files ? { files: o.files } : {}) });
      return { id: m.id };
    },
  };
}
