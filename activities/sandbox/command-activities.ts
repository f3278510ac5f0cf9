import { Context } from '@temporalio/activity';
import { SandboxFileTooLargeError } from './errors.js';
import type { CommandCredentials } from './command-credentials.js';
import type { SandboxSessions } from './sessions.js';
import type { ExecResult, FileEntry } from './types.js';

/** Largest file moved through the workflow by upload/download, in bytes. */
export const MAX_TRANSFER_BYTES = 1024 * 1024;

export interface RunCommandInput {
  conversationId: string;
  command: string;
  /** Relative paths resolve under /work. */
  cwd?: string;
  timeoutMs?: number;
}

/** What the agent sees of a command: bounded output, never the whole stream. */
export type CommandResult = ExecResult;

/**
 * Runs a command in the conversation's sandbox, with a fresh sandbox token in its
 * environment when `credentials` is given. Heartbeats every second with the bytes seen
 * so far, so Temporal notices a dead worker, and a cancelled activity kills the command's
 * whole process tree.
 */
export async function runCommand(
  sessions: SandboxSessions,
  input: RunCommandInput,
  credentials?: CommandCredentials,
): Promise<CommandResult> {
  const ctx = Context.current();
  const sandbox = await sessions.forConversation(input.conversationId);
  // A fresh sandbox token per command; without the broker the command runs without one.
  const setup = credentials
    ? await credentials.prepare(input.conversationId, sandbox)
    : { env: {}, wrap: (c: string) => c };
  let bytes = 0;
  const beat = setInterval(() => ctx.heartbeat({ bytes }), 1000);
  try {
    return await sandbox.exec(setup.wrap(input.command), {
      cwd: input.cwd,
      env: setup.env,
      timeoutMs: input.timeoutMs,
      signal: ctx.cancellationSignal,
      onOutput: (chunk) => {
        bytes += chunk.data.length;
      },
    });
  } finally {
    clearInterval(beat);
  }
}

export async function uploadFile(
  sessions: SandboxSessions,
  input: { conversationId: string; path: string; contentBase64: string },
): Promise<{ path: string; sizeBytes: number }> {
  const data = Buffer.from(input.contentBase64, 'base64');
  if (data.length > MAX_TRANSFER_BYTES) {
    throw tooLarge(input.path, data.length);
  }
  const sandbox = await sessions.forConversation(input.conversationId);
  await sandbox.writeFile(input.path, data);
  return { path: input.path, sizeBytes: data.length };
}

export async function downloadFile(
  sessions: SandboxSessions,
  input: { conversationId: string; path: string },
): Promise<{ path: string; contentBase64: string; sizeBytes: number }> {
  const sandbox = await sessions.forConversation(input.conversationId);
  const data = await sandbox.readFile(input.path);
  if (data.length > MAX_TRANSFER_BYTES) {
    throw tooLarge(input.path, data.length);
  }
  return { path: input.path, contentBase64: data.toString('base64'), sizeBytes: data.length };
}

export async function listFiles(
  sessions: SandboxSessions,
  input: { conversationId: string; path: string },
): Promise<FileEntry[]> {
  const sandbox = await sessions.forConversation(input.conversationId);
  return sandbox.listFiles(input.path);
}

/** A file moved through the workflow (and so its history) is bounded; not worth a retry. */
function tooLarge(path: string, size: number): SandboxFileTooLargeError {
  return new SandboxFileTooLargeError(
    path,
    MAX_TRANSFER_BYTES,
    `${path} is ${size} bytes; files move through the workflow up to ${MAX_TRANSFER_BYTES} bytes. Split it, or process it inside the sandbox.`,
  );
}
