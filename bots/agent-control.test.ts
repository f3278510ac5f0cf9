import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import type { Db } from '../lib/db/index.js';
import { UPDATE_REJECTIONS } from '../workflows/definitions.js';
import { decideApproval } from './agent-control.js';

const approvalId = '7d7c1f3e-0c43-4d4e-9a35-3f1c0f6e2a10';
const conversationId = '0b8f9d2a-5a0e-4a53-8f7e-1c2d3e4f5a6b';

function rejection(type: string, message: string) {
  return new WorkflowUpdateFailedError(
    'Workflow Update failed',
    ApplicationFailure.create({ type, message, nonRetryable: true }),
  );
}

/** A pending approval row, and a workflow whose update answers come from `answers` in turn. */
function fixture(answers: Array<Error | { approvalId: string; status: string }>) {
  let calls = 0;
  const db = {
    approval: {
      findUnique: async () => ({
        id: approvalId,
        status: 'pending',
        conversationId,
        conversation: { workflowId: `conversation-${conversationId}` },
      }),
    },
  } as unknown as Db;
  const temporal = {
    workflow: {
      getHandle: () => ({
        executeUpdate: async () => {
          const answer = answers[Math.min(calls++, answers.length - 1)]!;
          if (answer instanceof Error) throw answer;
          return answer;
        },
      }),
    },
  } as unknown as Client;
  const decide = () =>
    decideApproval(
      { db, temporal, unknownApprovalRetryDelaysMs: [1, 1, 1] },
      { conversationId, approvalId, decision: 'approve', deciderUserId: 'user-1' },
    );
  return { decide, calls: () => calls };
}

describe('deciding an approval', () => {
  it('is accepted when the workflow learns of the pending approval a moment after the click', async () => {
    // After a worker restart, the first workflow task can see the click before the LLM answer
    // that creates the approval; the person must not be told "no such approval".
    const notYet = rejection(
      UPDATE_REJECTIONS.unknownApproval,
      `No pending approval ${approvalId}.`,
    );
    const { decide, calls } = fixture([notYet, notYet, { approvalId, status: 'approved' }]);
    await expect(decide()).resolves.toEqual({ approvalId, status: 'approved' });
    expect(calls()).toBe(3);
  });

  it('answers 404 when the workflow never knows the approval', async () => {
    const { decide, calls } = fixture([
      rejection(UPDATE_REJECTIONS.unknownApproval, `No pending approval ${approvalId}.`),
    ]);
    await expect(decide()).rejects.toMatchObject({ code: 'dynamiq.agent.not_found', status: 404 });
    expect(calls()).toBe(4);
  });

  it('does not ask again when the workflow refuses for another reason', async () => {
    const { decide, calls } = fixture([
      rejection(UPDATE_REJECTIONS.notAllowed, 'You may not approve this call.'),
    ]);
    await expect(decide()).rejects.toMatchObject({
      code: 'dynamiq.agent.not_allowed',
      status: 403,
    });
    expect(calls()).toBe(1);
  });
});
