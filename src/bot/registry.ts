import type { ChatChannel } from '../chat/channel.js';
import { ConsoleChannel, type ConsoleChannelOptions } from './console-channel.js';

/** Options every factory receives; adapters read what they need (tokens come from `env`, never from code). */
export interface ChannelFactoryOptions extends ConsoleChannelOptions {
  env?: Record<string, string | undefined>;
  [key: string]: unknown;
}

export type ChannelFactory = (options: ChannelFactoryOptions) => ChatChannel;

const factories = new Map<string, ChannelFactory>();

export function registerChannel(name: string, factory: ChannelFactory): void {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`invalid channel name "${name}"`);
  factories.set(name, factory);
}

export function createChannel(name: string, options: ChannelFactoryOptions = {}): ChatChannel {
  const factory = factories.get(name);
  if (!factory) throw new Error(`unknown chat channel "${name}" (available: ${listChannels().join(', ') || 'none'})`);
  return factory(options);
}

export function hasChannel(name: string): boolean {
  return factories.has(name);
}

export function listChannels(): string[] {
  return [...factories.keys()].sort();
}

registerChannel('console', (options) => new ConsoleChannel(options));
