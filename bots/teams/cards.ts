import { z } from 'zod';
import type { ApprovalStatus } from '../../lib/events/index.js';
import type { ApprovalView } from '../approval-view.js';

export type { ApprovalView };

/** The verb of the approval card's Universal Action (`adaptiveCard/action` invoke). */
export const APPROVAL_VERB = 'dynamiq.approval';
export const ADAPTIVE_CARD_TYPE = 'application/vnd.microsoft.card.adaptive';
export const MESSAGE_RESPONSE_TYPE = 'application/vnd.microsoft.activity.message';

/** An approval as the card shows it; names are display names where Dynamiq knows them. */
/** What each button carries: the same for Action.Execute and its Action.Submit fallback. */
export const cardActionSchema = z.object({
  dynamiq: z.literal('approval'),
  approvalId: z.uuid(),
  decision: z.enum(['approve', 'deny']),
});
export type CardAction = z.infer<typeof cardActionSchema>;

/** The `value` of an `adaptiveCard/action` invoke. */
export const invokeValueSchema = z.looseObject({
  action: z.looseObject({
    type: z.literal('Action.Execute'),
    verb: z.string().max(255).optional(),
    data: z.unknown(),
  }),
});

const OUTCOME: Record<Exclude<ApprovalStatus, 'pending'>, { text: string; color: string }> = {
  approved: { text: '✅ Approved', color: 'Good' },
  denied: { text: '⛔ Denied', color: 'Attention' },
  timed_out: { text: '⌛ Nobody decided in time; not run', color: 'Warning' },
  cancelled: { text: '✖ Cancelled with the turn; not run', color: 'Default' },
};

/**
 * The approval as an Adaptive Card 1.5: exactly what will run and why it asks; while pending,
 * Approve and Deny as Universal Actions (Action.Execute) with an Action.Submit fallback for
 * clients without them; once decided, the outcome and who decided, and no buttons.
 */
export function approvalCard(view: ApprovalView): Record<string, unknown> {
  const body: object[] = [
    {
      type: 'TextBlock',
      text: view.status === 'pending' ? 'Approval needed' : 'Approval',
      weight: 'Bolder',
      size: 'Medium',
      wrap: true,
    },
    { type: 'TextBlock', text: `Dynamiq wants to run \`${view.tool}\`:`, wrap: true },
    {
      type: 'TextBlock',
      text: view.summary.slice(0, 4_000),
      fontType: 'Monospace',
      wrap: true,
    },
    { type: 'TextBlock', text: view.reason.slice(0, 2_000), wrap: true, isSubtle: true },
  ];
  if (view.requestedBy) {
    body.push({
      type: 'TextBlock',
      text: `Asked by ${view.requestedBy}`,
      isSubtle: true,
      size: 'Small',
      wrap: true,
    });
  }
  if (view.status !== 'pending') {
    const outcome = OUTCOME[view.status];
    const by =
      view.decidedBy && (view.status === 'approved' || view.status === 'denied')
        ? ` by ${view.decidedBy}`
        : '';
    const why = view.decisionReason ? `: ${view.decisionReason}` : '';
    body.push({
      type: 'TextBlock',
      text: `${outcome.text}${by}${why}`,
      weight: 'Bolder',
      color: outcome.color,
      wrap: true,
    });
  }
  const button = (title: string, decision: CardAction['decision'], style: string) => {
    const data: CardAction = { dynamiq: 'approval', approvalId: view.approvalId, decision };
    return {
      type: 'Action.Execute',
      title,
      verb: APPROVAL_VERB,
      data,
      style,
      fallback: { type: 'Action.Submit', title, data },
    };
  };
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body,
    actions:
      view.status === 'pending'
        ? [button('Approve', 'approve', 'positive'), button('Deny', 'deny', 'destructive')]
        : [],
  };
}

/** The card as a message's attachment, with a summary for notifications. */
export function approvalActivity(view: ApprovalView) {
  const state = view.status === 'pending' ? 'Approval needed' : OUTCOME[view.status].text;
  return {
    type: 'message' as const,
    summary: `${state}: ${view.summary}`.slice(0, 250),
    attachments: [{ contentType: ADAPTIVE_CARD_TYPE, content: approvalCard(view) }],
  };
}
