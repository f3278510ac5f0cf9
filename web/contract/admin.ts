import { z } from 'zod';
import { integrationIdParams } from './integrations.js';

/** `platform:workspace:channel`, as turns record where they ran (e.g. `slack:T01:C02`). */
const channelKey = z.string().regex(/^(web|slack|teams|discord):[^:\s]{1,200}:[^\s]{1,400}$/, {
  error: 'must be platform:workspace:channel, e.g. slack:T0123:C0456',
});
const integrationId = integrationIdParams.shape.id;
/** ask-writes (default): writes wait for approval; ask-all: every call does; auto: none does. */
export const policyModeSchema = z.enum(['ask-writes', 'ask-all', 'auto']);
export type PolicyModeName = z.infer<typeof policyModeSchema>;

export const budgetScopeSchema = z.enum(['user', 'channel']);

export const budgetSchema = z.object({
  scope: budgetScopeSchema,
  /** A user id (scope user) or a channel key (scope channel). */
  subject: z.string(),
  tokensPerDay: z.number().int().nullable(),
  costUsdPerDay: z.number().nullable(),
  updatedAt: z.string(),
});
export type BudgetView = z.infer<typeof budgetSchema>;

export const budgetParams = z.discriminatedUnion('scope', [
  z.object({ scope: z.literal('user'), subject: z.uuid({ error: 'must be a user id (UUID)' }) }),
  z.object({ scope: z.literal('channel'), subject: channelKey }),
]);
export const budgetBody = z
  .object({
    /** Tokens (prompt + completion) a day, UTC; null: no token limit. */
    tokensPerDay: z.number().int().min(1).max(1_000_000_000).nullable(),
    /** Estimated dollars a day, UTC; null: no cost limit. */
    costUsdPerDay: z.number().positive().max(1_000_000).nullable(),
  })
  .strict()
  .refine((b) => b.tokensPerDay !== null || b.costUsdPerDay !== null, {
    error: 'set tokensPerDay, costUsdPerDay or both (DELETE removes a budget)',
  });
export const budgetsResponse = z.object({ budgets: z.array(budgetSchema) });

export const channelPolicySchema = z.object({
  channelKey: z.string(),
  /** Null: each integration's own mode, else ask-writes. */
  mode: policyModeSchema.nullable(),
  restrictIntegrations: z.boolean(),
  allowedIntegrations: z.array(z.string()),
  approverUserIds: z.array(z.string()),
  updatedAt: z.string(),
});
export type ChannelPolicyView = z.infer<typeof channelPolicySchema>;
export const channelPolicyParams = z.object({ channelKey });
export const channelPolicyBody = z
  .object({
    mode: policyModeSchema.nullable().default(null),
    restrictIntegrations: z.boolean().default(false),
    allowedIntegrations: z.array(integrationId).max(100).default([]),
    /** Who may approve in the channel; empty: the person who asked. */
    approverUserIds: z.array(z.uuid()).max(100).default([]),
  })
  .strict();
export const channelPoliciesResponse = z.object({ policies: z.array(channelPolicySchema) });

export const integrationPolicySchema = z.object({
  integrationId: z.string(),
  mode: policyModeSchema,
  updatedAt: z.string(),
});
export const integrationPolicyParams = z.object({ integrationId });
export const integrationPolicyBody = z.object({ mode: policyModeSchema }).strict();
export const integrationPoliciesResponse = z.object({
  policies: z.array(integrationPolicySchema),
});

export type ChannelPolicyBody = z.input<typeof channelPolicyBody>;

export const deletedResponse = z.object({ deleted: z.boolean() });

export const adminUsersResponse = z.object({
  users: z.array(
    z.object({
      id: z.string(),
      displayName: z.string().nullable(),
      role: z.string(),
      createdAt: z.string(),
      identities: z.array(
        z.object({
          platform: z.string(),
          workspaceId: z.string(),
          platformUserId: z.string(),
          displayName: z.string().nullable(),
        }),
      ),
    }),
  ),
});
export type AdminUsersResponse = z.infer<typeof adminUsersResponse>;
