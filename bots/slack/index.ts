// The Slack front end: the api's request URL (events, slash commands, interactivity, "Add to
// Slack", Socket Mode) with live progress, and the worker's reply sender.

export { createSlackFrontDoor, BOT_SCOPES } from './front-door.js';
export type { SlackFrontDoor, SlackFrontDoorOptions } from './front-door.js';
export { createSlackFrontEnd } from './front-end.js';
export type { SlackFrontEndOptions } from './front-end.js';
export { SlackInstallations, NotInstalledError } from './installations.js';
export { markdownToMrkdwn, renderMessages } from './format.js';
