// The Microsoft Teams front end: the Bot Framework messaging endpoint (api) with live progress,
// and the worker's reply sender. botbuilder is imported only inside this folder (connector.ts,
// credentials.ts), so a move to @microsoft/agents-hosting is a change here only.

export { createTeamsFrontDoor } from './front-door.js';
export type { TeamsFrontDoor, TeamsFrontDoorOptions } from './front-door.js';
export { createTeamsFrontEnd } from './front-end.js';
export type { TeamsFrontEndOptions } from './front-end.js';
export { markdownToTeams, renderMessages, MESSAGE_TEXT_BYTES } from './format.js';
export { approvalCard } from './cards.js';
export type { ApprovalView } from './cards.js';
