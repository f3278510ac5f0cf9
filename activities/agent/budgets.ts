import type { Db } from '../../lib/db/index.js';

export interface BudgetCheck {
  /** Which budget is used up, in words; undefined when the turn may go on. */
  exceeded?: string;
}

const DAY_MS = 24 * 60 * 60_000;

/** Budgets reset at midnight UTC. */
export function dayStart(now: Date): Date {
  return new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS);
}

/**
 * Compares today's spending of the user and of the channel with their budgets (if an
 * administrator set any). Spending is summed from the turns' stored usage, so it counts every
 * worker's turns and survives restarts.
 */
export async function checkBudgets(
  db: Db,
  input: { userId: string; channelKey: string; now?: Date },
): Promise<BudgetCheck> {
  const now = input.now ?? new Date();
  const budgets = await db.budget.findMany({
    where: {
      OR: [
        { scope: 'user', subject: input.userId },
        { scope: 'channel', subject: input.channelKey },
      ],
    },
  });
  if (budgets.length === 0) return {};
  const since = dayStart(now);
  const resets = resetText(now);
  for (const budget of budgets) {
    const where =
      budget.scope === 'user'
        ? { authorUserId: input.userId, queuedAt: { gte: since } }
        : { channelKey: input.channelKey, queuedAt: { gte: since } };
    const spent = await db.turn.aggregate({
      where,
      _sum: { promptTokens: true, completionTokens: true, costUsd: true },
    });
    const tokens = (spent._sum.promptTokens ?? 0) + (spent._sum.completionTokens ?? 0);
    const cost = spent._sum.costUsd ?? 0;
    const whose = budget.scope === 'user' ? 'Your' : "This channel's";
    if (budget.tokensPerDay !== null && tokens >= budget.tokensPerDay) {
      return {
        exceeded: `${whose} daily budget of ${budget.tokensPerDay.toLocaleString('en-US')} tokens is used up (${tokens.toLocaleString('en-US')} used today); it resets ${resets}.`,
      };
    }
    if (budget.costUsdPerDay !== null && cost >= budget.costUsdPerDay) {
      return {
        exceeded: `${whose} daily budget of $${budget.costUsdPerDay.toFixed(2)} is used up ($${cost.toFixed(2)} estimated today); it resets ${resets}.`,
      };
    }
  }
  return {};
}

function resetText(now: Date): string {
  const next = new Date(dayStart(now).getTime() + DAY_MS);
  const minutes = Math.ceil((next.getTime() - now.getTime()) / 60_000);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `at 00:00 UTC (in ${h ? `${h} h ` : ''}${m} min)`;
}
