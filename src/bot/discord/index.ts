/**
 * The Discord adapter. Setup: a bot user with the privileged Message Content intent; invite it with the permissions
 * View Channels, Send Messages, Create Public Threads, Send Messages in Threads, Embed Links, Attach Files and Read
 * Message History (and the applications.commands scope for `/sre`). Environment: DISCORD_TOKEN,
 * DISCORD_APPLICATION_ID (registers `/sre`), DISCORD_ALERT_CHANNELS (channel ids where alerts are read),
 * DISCORD_APPROVERS (user ids or role ids), DISCORD_API_URL (REST base, e.g. a local stand-in in tests).
 */
export { startDiscord, registerCommands, type DiscordApproverAuth, type DiscordBot, type StartDiscordOptions } from './bot.js';
export { DiscordChannel, threadName, type DiscordChannelOptions, type RestLike } from './channel.js';
export { toDiscordMessage, discordCustomId, parseCustomId, type DiscordMessagePayload } from './render.js';
export {
  createContext,
  handleButton,
  handleCommand,
  handleMessage,
  kbText,
  RoleDirectory,
  SRE_COMMAND,
  type ButtonInteractionLike,
  type CommandInteractionLike,
  type DiscordContext,
  type MessageLike,
} from './handlers.js';
