import { expect } from 'vitest';
import { startFakeOpenAI } from '../fakes/openai.js';
import type { ChatRequest, FakeAnswer, FakeOpenAI } from '../fakes/openai.js';
import { everythingStdio } from '../fakes/mcp/everything.js';
import { startTestApp } from '../helpers/app.js';
import type { TestApp } from '../helpers/app.js';
import { readSse } from '../helpers/sse.js';
import type { SseEvent } from '../helpers/sse.js';

/** A scripted LLM turn: picks its answer from what the request holds so far. */
export type Script = (req: ChatRequest, n: number) => FakeAnswer | Promise<FakeAnswer>;

/** The tool results the LLM has been sent in this request (its current turn's steps). */
export function toolResults(req: ChatRequest): string[] {
  return req.messages.filter((m) => m.role === 'tool').map((m) => m.content ?? '');
}

export interface AgentHarness {
  app: TestApp;
  llm: FakeOpenAI;
  /** The script the fake LLM follows; set per test. */
  script: { current: Script };
  newConversation(): Promise<string>;
  /** Posts a message and reads the SSE stream of its turn to the end. */
  send(conversationId: string, text: string): Promise<SseEvent[]>;
  /** Starts sending without waiting; returns the whole stream when it ends. */
  start(conversationId: string, text: string): Promise<SseEvent[]>;
  detail(conversationId: string): Promise<ConversationDetail>;
  close(): Promise<void>;
}

export interface ConversationDetail {
  messages: Array<{ role: string; content: string; isError: boolean; turnId: string }>;
  turns: Array<{
    turnId: string;
    status: string;
    statusReason: string | null;
    promptTokens: number;
    toolCalls: Array<{
      id: string;
      tool: string;
      status: string;
      output: string | null;
      exitCode: number | null;
      summary: string;
      integrations: string[];
      arguments: unknown;
      attempt: number;
    }>;
    approvals: Array<{
      id: string;
      status: string;
      summary: string;
      decidedByUserId: string | null;
    }>;
  }>;
}

export async function startAgentHarness(env: Record<string, string> = {}): Promise<AgentHarness> {
  const script: { current: Script } = { current: () => ({ text: 'ok' }) };
  const llm = await startFakeOpenAI({
    apiKey: 'sk-agent-test',
    respond: (req, n) => script.current(req, n),
  });
  const app = await startTestApp({
    LLM_BASE_URL: llm.baseUrl,
    LLM_API_KEY: 'sk-agent-test',
    LLM_MODEL: 'gpt-4o-mini',
    MCP_LOCAL_SERVERS: JSON.stringify({ everything: everythingStdio }),
    // Plain folders: a loop-mounted disk per sandbox needs a root worker and a reaped mount.
    SANDBOX_DISK_MB: '0',
    ...env,
  });
  const start = async (id: string, text: string) => {
    const res = await app.api(`/api/conversations/${id}/messages`, {
      method: 'POST',
      json: { text },
    });
    expect(res.status).toBe(200);
    return readSse(res);
  };
  return {
    app,
    llm,
    script,
    async newConversation() {
      const res = await app.api('/api/conversations', { method: 'POST', json: {} });
      expect(res.status).toBe(201);
      return ((await res.json()) as { conversation: { id: string } }).conversation.id;
    },
    send: start,
    start,
    async detail(id) {
      const res = await app.api(`/api/conversations/${id}`);
      expect(res.status).toBe(200);
      return (await res.json()) as ConversationDetail;
    },
    async close() {
      await app.close();
      await llm.close();
    },
  };
}

/** Waits until `check` holds, polling; fails with `what` after `ms`. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  what: string,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
