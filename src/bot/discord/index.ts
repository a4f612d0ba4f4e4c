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
