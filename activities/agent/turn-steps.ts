import type { Db } from '../../lib/db/index.js';
import type { PriceTable } from './prices.js';
import { nextSeq } from './seq.js';

export type Usage = { promptTokens: number; completionTokens: number };

/** The longest note kept (what the LLM said along with its tool calls), in characters. */
export const MAX_NOTE_CHARS = 4_000;

/** The LLM's text along with a step's tool calls, bounded; null when it said nothing. */
export function noteOf(content: string): string | null {
  const text = content.trim();
  if (!text) return null;
  return text.length > MAX_NOTE_CHARS ? `${text.slice(0, MAX_NOTE_CHARS - 1)}…` : text;
}

export interface StepRecord {
  conversationId: string;
  turnId: string;
  /** 1-based. */
  step: number;
  model: string;
  usage: Usage | null;
  note: string | null;
}

/**
 * Stores one LLM step's usage and note, once per step: a retried step (its worker died after
 * this write, before the workflow heard of the result) finds its own row, and the turn's
 * totals move by the difference only, so the step's tokens and cost count once. The turn's
 * `steps` counts step rows. Returns the row's `seq`, and whether it has (or had) a note
 * followers should read.
 */
export async function recordStep(
  db: Db,
  prices: PriceTable,
  input: StepRecord,
): Promise<{ seq: number; noteChanged: boolean }> {
  const { conversationId, turnId, step, model, note } = input;
  const promptTokens = input.usage?.promptTokens ?? 0;
  const completionTokens = input.usage?.completionTokens ?? 0;
  const costUsd = input.usage ? prices.costOf(model, input.usage) : 0;
  return db.$transaction(async (tx) => {
    // Two attempts of one step never overlap in practice; the lock makes sure of it.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`turn-step:${conversationId}:${turnId}:${step}`}))`;
    const key = { conversationId_turnId_step: { conversationId, turnId, step } };
    const before = await tx.turnStep.findUnique({ where: key });
    const seq = await nextSeq(tx);
    const data = { model, promptTokens, completionTokens, costUsd, note, seq };
    await tx.turnStep.upsert({
      where: key,
      create: { conversationId, turnId, step, ...data },
      update: data,
    });
    await tx.turn.updateMany({
      where: { conversationId, turnId },
      data: {
        ...(before ? {} : { steps: { increment: 1 } }),
        model,
        promptTokens: { increment: promptTokens - (before?.promptTokens ?? 0) },
        completionTokens: { increment: completionTokens - (before?.completionTokens ?? 0) },
        costUsd: { increment: costUsd - (before?.costUsd ?? 0) },
      },
    });
    return { seq, noteChanged: note !== null || Boolean(before?.note) };
  });
}
