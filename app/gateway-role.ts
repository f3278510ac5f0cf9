import { startDiscordGateway } from '../bots/discord/index.js';
import type { DiscordGateway } from '../bots/discord/index.js';
import type { Config } from '../lib/config/index.js';
import type { Logger } from '../lib/logging.js';
import { connectClient } from '../lib/temporal/index.js';
import type { Core } from './core.js';
import type { Shutdown } from './shutdown.js';

/**
 * The gateway role: Discord's gateway connection for mentions. It returns at once: connecting
 * (and reconnecting) happens in the background, so an unreachable Discord never holds up or
 * stops the other roles.
 */
export async function startGatewayRole(opts: {
  config: Config;
  core: Core;
  log: Logger;
  shutdown: Shutdown;
}): Promise<DiscordGateway | undefined> {
  const { config, core, log, shutdown } = opts;
  if (!config.discord.enabled) {
    log.warn('gateway role: Discord is not configured (DISCORD_BOT_TOKEN and friends); idle');
    return undefined;
  }
  const client = await connectClient(core.temporal, core.dataConverter);
  shutdown.add(() => client.connection.close());
  const gateway = startDiscordGateway({
    config: config.discord,
    bus: core.bus,
    temporal: client,
    taskQueue: config.temporal.taskQueue,
    log: log.child({ role: 'gateway' }),
  });
  shutdown.add(() => gateway.close());
  return gateway;
}
