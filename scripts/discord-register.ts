/**
 * npm run discord:register [-- --guild <id>]
 *
 * Registers the `/dynamiq` slash command with Discord (DISCORD_API_URL), globally or in one
 * guild. Global commands can take a while to appear everywhere; a guild's appear at once, so
 * use --guild while trying things out. Safe to run again: it overwrites the command list.
 */
import { parseArgs } from 'node:util';
import { DiscordApi, dynamiqCommand } from '../bots/discord/index.js';
import { ConfigError, loadConfig } from '../lib/config/index.js';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { guild: { type: 'string' } } });
  const { discord } = loadConfig();
  const missing = [
    discord.botToken ? null : 'DISCORD_BOT_TOKEN',
    discord.applicationId ? null : 'DISCORD_APPLICATION_ID',
  ].filter(Boolean);
  if (missing.length) {
    console.error(
      `Set ${missing.join(' and ')} first (Discord Developer Portal → your application).`,
    );
    return 78;
  }
  if (values.guild !== undefined && !/^\d{1,25}$/.test(values.guild)) {
    console.error('--guild takes the numeric id of a server (right-click it → Copy Server ID).');
    return 2;
  }
  const api = new DiscordApi({
    apiUrl: discord.apiUrl,
    botToken: discord.botToken!,
    applicationId: discord.applicationId!,
  });
  const registered = await api.putCommands([dynamiqCommand()], values.guild);
  const where = values.guild ? `in guild ${values.guild}` : 'globally';
  console.log(`Registered ${registered.map((c) => `/${c.name}`).join(', ')} ${where}.`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError) {
      console.error(`Invalid configuration:\n${err.problems.map((p) => `  ${p}`).join('\n')}`);
      process.exit(78);
    }
    console.error((err as Error).message);
    process.exit(1);
  },
);
