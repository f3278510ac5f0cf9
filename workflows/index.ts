// The workflow bundle's entry point: the worker loads every workflow exported here.
export { conversationWorkflow } from './conversation.js';
