export type { ApprovalNotice, ChatFrontEnd, ChatReply } from './front-end.js';
