import type { Client } from '@temporalio/client';
import { chatEventSignal } from '../workflows/definitions.js';
import type { ConversationInput } from '../workflows/definitions.js';
import type { conversationWorkflow } from '../workflows/conversation.js';
import { conversationIdFor, conversationWorkflowId } from '../lib/conversation/index.js';
import type { ChatEvent } from '../lib/conversation/index.js';

/**
 * Hands a chat event to its conversation's workflow, starting the workflow if it is not
 * running. signalWithStart is atomic on the server, so a retried webhook never starts a
 * second workflow, and the workflow drops an event id it has already seen.
 */
export async function deliverChatEvent(
  client: Client,
  taskQueue: string,
  event: ChatEvent,
): Promise<{ conversationId: string; workflowId: string }> {
  const conversationId = conversationIdFor(event.conversation);
  const workflowId = conversationWorkflowId(event.conversation);
  const input: ConversationInput = { conversationId, key: event.conversation };
  await client.workflow.signalWithStart<typeof conversationWorkflow, [ChatEvent]>(
    'conversationWorkflow',
    {
      workflowId,
      taskQueue,
      args: [input],
      signal: chatEventSignal,
      signalArgs: [event],
    },
  );
  return { conversationId, workflowId };
}
