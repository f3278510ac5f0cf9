// The Discord front end: the api's interactions endpoint (`/dynamiq`, approval buttons), the
// gateway role's mentions, live progress, and the worker's reply sender.

export { createDiscordFrontDoor } from './front-door.js';
export type { DiscordFrontDoor, DiscordFrontDoorOptions } from './front-door.js';
export { createDiscordFrontEnd } from './front-end.js';
export type { DiscordFrontEndOptions } from './front-end.js';
export { startDiscordGateway, messageEvent } from './gateway.js';
export type { DiscordGateway, DiscordGatewayOptions, GatewayState } from './gateway.js';
export { DiscordApi } from './api.js';
export { COMMAND_NAME, PROMPT_OPTION } from './interactions.js';
export { dynamiqCommand } from './commands.js';
export { planAnswer, splitMarkdown, MESSAGE_LIMIT } from './format.js';
