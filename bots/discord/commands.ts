import { COMMAND_NAME, PROMPT_OPTION } from './interactions.js';

// Application command and option types (Discord API v10): CHAT_INPUT, STRING.
const CHAT_INPUT = 1;
const STRING = 3;

/**
 * The `/dynamiq` command as `npm run discord:register` registers it: usable in guilds and in
 * DMs with the bot (the app is installed to a guild).
 */
export function dynamiqCommand(): object {
  return {
    name: COMMAND_NAME,
    type: CHAT_INPUT,
    description: 'Ask Dynamiq to look into something or run a chore',
    options: [
      {
        name: PROMPT_OPTION,
        type: STRING,
        description: 'What you want, in your own words',
        required: true,
        max_length: 4_000,
      },
    ],
    contexts: [0, 1],
    integration_types: [0],
  };
}
