import { Context } from '@temporalio/activity';
import OpenAI from 'openai';
import type { EventBus } from '../../lib/events/index.js';
import type { Db } from '../../lib/db/index.js';
import { loadHistory } from '../history/index.js';
import { NO_LLM_REPLY, SYSTEM_PROMPT } from './client.js';
import { LlmRequestRejectedError } from './errors.js';
import type { LlmSettings } from './client.js';
import { TokenBatcher } from './token-batcher.js';

export interface Reply {
  content: string;
  model: string | null;
  usage: { promptTokens: number; completionTokens: number } | null;
  isError: boolean;
}

export interface GenerateReplyDeps {
  db: Db;
  bus: EventBus;
  client: OpenAI | null;
  settings: LlmSettings;
}

/**
 * Asks the LLM for the next answer with the stored history, streaming tokens to the event
 * bus as they arrive. Heartbeats every second so Temporal notices a dead worker and can
 * deliver cancellation.
 */
export async function generateReply(
  deps: GenerateReplyDeps,
  input: { conversationId: string; turnId: string },
): Promise<Reply> {
  if (!deps.client) return { content: NO_LLM_REPLY, model: null, usage: null, isError: true };
  const ctx = Context.current();
  const history = await loadHistory(deps.db, input.conversationId);
  const batcher = new TokenBatcher((delta) =>
    deps.bus.publish({
      type: 'token',
      conversationId: input.conversationId,
      turnId: input.turnId,
      stepId: 'llm-1',
      attempt: ctx.info.attempt,
      delta,
    }),
  );
  let content = '';
  ctx.heartbeat({ chars: 0 });
  const beat = setInterval(() => ctx.heartbeat({ chars: content.length }), 1000);
  try {
    const stream = await deps.client.chat.completions.create(
      {
        model: deps.settings.model,
        messages: [{ role: 'system', content: SYSTEM_PROMPT }, ...history],
        stream: true,
        stream_options: { include_usage: true },
      },
      { signal: ctx.cancellationSignal },
    );
    let model: string | null = null;
    let usage: Reply['usage'] = null;
    for await (const chunk of stream) {
      model ??= chunk.model || null;
      const delta = chunk.choices[0]?.delta?.content;
      if (delta) {
        content += delta;
        batcher.push(delta);
      }
      if (chunk.usage) {
        usage = {
          promptTokens: chunk.usage.prompt_tokens,
          completionTokens: chunk.usage.completion_tokens,
        };
      }
    }
    await batcher.drain();
    return { content, model: model ?? deps.settings.model, usage, isError: false };
  } catch (err) {
    throw classify(err);
  } finally {
    clearInterval(beat);
  }
}

/** Requests the server refused as such (bad key, unknown model) are not worth retrying. */
function classify(err: unknown): unknown {
  if (err instanceof OpenAI.APIError && err.status !== undefined) {
    const status = err.status;
    if (status >= 400 && status < 500 && status !== 408 && status !== 409 && status !== 429) {
      return new LlmRequestRejectedError(
        status,
        `the LLM server refused the request (HTTP ${status}: ${err.message})`,
      );
    }
  }
  return err;
}
