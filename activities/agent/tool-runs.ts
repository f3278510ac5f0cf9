import { Context } from '@temporalio/activity';
import type { Db } from '../../lib/db/index.js';
import type { Keyring } from '../../lib/crypto/index.js';
import type { EventBus } from '../../lib/events/index.js';
import { McpError } from '../../mcp/index.js';
import type { McpRegistry } from '../../mcp/index.js';
import { SandboxError } from '../sandbox/index.js';
import type { CommandCredentials, SandboxSessions } from '../sandbox/index.js';
import { DEFAULT_COMMAND_TIMEOUT_MS } from './sandbox-tools.js';
import { commandOutputForLlm, toolOutputForLlm } from './tool-output.js';
import { storedNetwork } from './tool-network.js';
import type { StoredNetwork } from './tool-network.js';
import { openArguments, publishToolCall, updateToolCall } from './tool-records.js';

export interface ToolRunDeps {
  db: Db;
  bus: EventBus;
  keyring: Keyring;
  sandboxes: SandboxSessions;
  commandCredentials: CommandCredentials;
  mcp: McpRegistry;
  /** Longest any command may run, in milliseconds. */
  maxCommandMs: number;
}

export interface ToolRunInput {
  conversationId: string;
  turnId: string;
  toolCallId: string;
  /** The turn's author: the call runs with this user's credentials. */
  authorUserId: string;
  /** Exactly the integrations the call may use (decided and recorded by the workflow). */
  integrations: string[];
}

export interface ToolRunResult {
  status: 'completed' | 'failed';
  isError: boolean;
  exitCode: number | null;
}

/** How often a running command's newest output goes to followers, in milliseconds. */
const OUTPUT_EVERY_MS = 500;
const OUTPUT_TAIL_CHARS = 2_000;
/** How often a running command marks its sandbox as in use, so the reaper leaves it alone. */
const TOUCH_EVERY_MS = 30_000;

/**
 * The frame every tool run shares: heartbeats from the first line (so a dead worker is noticed
 * and cancellation is delivered), the call marked running with this attempt, step events for
 * followers, the result stored bounded and told to followers.
 */
async function running<
  T extends {
    output: string;
    isError: boolean;
    exitCode?: number | null;
    network?: StoredNetwork | undefined;
  },
>(
  deps: ToolRunDeps,
  input: ToolRunInput,
  label: string,
  run: (ctx: Context, args: Record<string, unknown>) => Promise<T>,
): Promise<ToolRunResult> {
  const ctx = Context.current();
  ctx.heartbeat();
  const beat = setInterval(() => ctx.heartbeat(), 1000);
  const started = Date.now();
  const base = { conversationId: input.conversationId, turnId: input.turnId };
  const attempt = ctx.info.attempt;
  try {
    const row = await deps.db.toolCall.findUniqueOrThrow({
      where: { id: input.toolCallId },
      select: { tool: true },
    });
    await publishToolCall(
      deps.bus,
      await updateToolCall(deps.db, input.toolCallId, {
        status: 'running',
        attempt,
        startedAt: new Date(),
        integrations: input.integrations,
      }),
    );
    const step = {
      type: 'step' as const,
      ...base,
      stepId: input.toolCallId,
      kind: 'tool' as const,
    };
    await deps.bus.publish({
      ...step,
      status: 'started',
      label,
      tool: row.tool,
      attempt,
      elapsedMs: 0,
    });
    const args = (await openArguments(deps.db, deps.keyring, input.toolCallId)) as Record<
      string,
      unknown
    >;
    let result: T;
    try {
      result = await run(ctx, args);
    } catch (err) {
      // Failures the LLM can react to are its answer; cancellation and outages are not.
      if (ctx.cancellationSignal.aborted || !isToolFailure(err)) throw err;
      result = { output: `Error: ${(err as Error).message}`, isError: true } as T;
    }
    const durationMs = Date.now() - started;
    await publishToolCall(
      deps.bus,
      await updateToolCall(deps.db, input.toolCallId, {
        status: 'completed',
        output: result.output,
        outputBytes: Buffer.byteLength(result.output),
        exitCode: result.exitCode ?? null,
        isError: result.isError,
        durationMs,
        finishedAt: new Date(),
        // Written by the activity itself, so the records never pass through workflow history.
        ...(result.network ? { network: result.network } : {}),
      }),
    );
    await deps.bus.publish({
      ...step,
      status: result.isError ? 'failed' : 'completed',
      label,
      tool: row.tool,
      attempt,
      elapsedMs: durationMs,
    });
    return { status: 'completed', isError: result.isError, exitCode: result.exitCode ?? null };
  } finally {
    clearInterval(beat);
  }
}

/** Errors that are the tool's answer (a missing file, bad arguments), not a broken worker. */
function isToolFailure(err: unknown): boolean {
  return (err instanceof McpError || err instanceof SandboxError) && !err.retryable;
}

export async function runCommandCall(deps: ToolRunDeps, input: ToolRunInput, label: string) {
  return running(deps, input, label, async (ctx, args) => {
    const sandbox = await deps.sandboxes.forConversation(input.conversationId);
    const setup = await deps.commandCredentials.prepare(input.conversationId, sandbox, {
      userId: input.authorUserId,
      integrations: input.integrations,
    });
    const timeoutMs = Math.min(
      typeof args.timeout_seconds === 'number'
        ? args.timeout_seconds * 1000
        : DEFAULT_COMMAND_TIMEOUT_MS,
      deps.maxCommandMs,
    );
    const tails = { stdout: '', stderr: '' };
    let dirty = false;
    const flush = () => {
      if (!dirty) return;
      dirty = false;
      for (const stream of ['stdout', 'stderr'] as const) {
        if (!tails[stream]) continue;
        void deps.bus
          .publish({
            type: 'tool.output',
            conversationId: input.conversationId,
            turnId: input.turnId,
            toolCallId: input.toolCallId,
            stream,
            data: tails[stream],
          })
          .catch(() => undefined);
        tails[stream] = '';
      }
    };
    const outputTimer = setInterval(flush, OUTPUT_EVERY_MS);
    const touchTimer = setInterval(
      () => void deps.sandboxes.touch(input.conversationId).catch(() => undefined),
      TOUCH_EVERY_MS,
    );
    const release = deps.sandboxes.hold(input.conversationId);
    try {
      const result = await sandbox.exec(setup.wrap(String(args.command)), {
        ...(typeof args.cwd === 'string' ? { cwd: args.cwd } : {}),
        env: setup.env,
        timeoutMs,
        signal: ctx.cancellationSignal,
        onOutput: (chunk) => {
          tails[chunk.stream] = (tails[chunk.stream] + chunk.data).slice(-OUTPUT_TAIL_CHARS);
          dirty = true;
        },
      });
      flush();
      return {
        output: commandOutputForLlm(result),
        isError: result.exitCode !== 0,
        exitCode: result.exitCode,
        network: storedNetwork(result.network),
      };
    } finally {
      clearInterval(outputTimer);
      clearInterval(touchTimer);
      release();
    }
  });
}

export async function readFileCall(deps: ToolRunDeps, input: ToolRunInput, label: string) {
  return running(deps, input, label, async (_ctx, args) => {
    const sandbox = await deps.sandboxes.forConversation(input.conversationId);
    const path = String(args.path);
    const data = await sandbox.readFile(path);
    if (data.includes(0)) {
      return {
        output: toolOutputForLlm(
          'read_file',
          `${path} is binary (${data.length} bytes); not shown.`,
        ),
        isError: true,
      };
    }
    return {
      output: toolOutputForLlm('read_file', data.toString('utf8'), [path, `${data.length} bytes`]),
      isError: false,
    };
  });
}

export async function writeFileCall(deps: ToolRunDeps, input: ToolRunInput, label: string) {
  return running(deps, input, label, async (_ctx, args) => {
    const sandbox = await deps.sandboxes.forConversation(input.conversationId);
    const content = String(args.content);
    await sandbox.writeFile(String(args.path), content);
    return {
      output: toolOutputForLlm(
        'write_file',
        `Wrote ${Buffer.byteLength(content)} bytes to ${String(args.path)}.`,
      ),
      isError: false,
    };
  });
}

export async function listFilesCall(deps: ToolRunDeps, input: ToolRunInput, label: string) {
  return running(deps, input, label, async (_ctx, args) => {
    const sandbox = await deps.sandboxes.forConversation(input.conversationId);
    const path = typeof args.path === 'string' && args.path ? args.path : '/work';
    const entries = await sandbox.listFiles(path);
    const lines = entries.map(
      (e) =>
        `${e.type === 'dir' ? 'd' : e.type === 'symlink' ? 'l' : '-'} ${e.sizeBytes}\t${e.name}`,
    );
    return {
      output: toolOutputForLlm('list_files', lines.join('\n') || '(empty folder)', [
        path,
        `${entries.length} entries`,
      ]),
      isError: false,
    };
  });
}

export async function mcpCall(
  deps: ToolRunDeps,
  input: ToolRunInput & { app: string; mcpTool: string },
  label: string,
) {
  return running(deps, input, label, async (ctx, args) => {
    const result = await deps.mcp.callTool(input.authorUserId, input.app, input.mcpTool, args, {
      signal: ctx.cancellationSignal,
      onProgress: (p) => ctx.heartbeat(p),
    });
    const facts = [result.isError ? 'the tool reported an error' : 'ok'];
    if (result.truncated) facts.push(`cut from ${result.totalChars} characters`);
    return {
      output: toolOutputForLlm(`${input.app}__${input.mcpTool}`, result.text, facts),
      isError: result.isError,
    };
  });
}
