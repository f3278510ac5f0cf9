import { describe, expect, it } from 'vitest';
import { approvalCard, cardActionSchema } from './cards.js';
import type { ApprovalView } from './cards.js';

const view: ApprovalView = {
  approvalId: '6b0f1d2e-3c4a-4b5c-8d6e-7f8091a2b3c4',
  tool: 'run_command',
  summary: 'kubectl delete pod web-1',
  reason: 'Deletes a resource.',
  status: 'pending',
  requestedBy: 'Ada',
  decidedBy: null,
  decisionReason: null,
};

describe('the approval card', () => {
  it('is an Adaptive Card 1.5 with Action.Execute buttons that fall back to Action.Submit', () => {
    const card = approvalCard(view) as {
      version: string;
      actions: Array<{
        type: string;
        verb: string;
        data: unknown;
        fallback: { type: string; data: unknown };
      }>;
    };
    expect(card.version).toBe('1.5');
    expect(card.actions.map((a) => [a.type, a.verb, a.fallback.type])).toEqual([
      ['Action.Execute', 'dynamiq.approval', 'Action.Submit'],
      ['Action.Execute', 'dynamiq.approval', 'Action.Submit'],
    ]);
    for (const a of card.actions) {
      expect(cardActionSchema.parse(a.data)).toEqual(a.fallback.data);
    }
    expect(JSON.stringify(card)).toContain('kubectl delete pod web-1');
  });

  it('once decided, shows the outcome and who decided, without buttons', () => {
    const card = approvalCard({
      ...view,
      status: 'denied',
      decidedBy: 'Grace',
      decisionReason: 'not in prod',
    });
    expect(card.actions).toEqual([]);
    expect(JSON.stringify(card)).toContain('Denied by Grace: not in prod');
  });
});
