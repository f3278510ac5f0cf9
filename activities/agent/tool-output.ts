import type { ExecResult } from '../sandbox/index.js';
import { redactText } from './redact.js';

/** What the LLM gets of one stream at most: its head and its tail, in characters. */
export const LLM_HEAD_CHARS = 12_000;
export const LLM_TAIL_CHARS = 12_000;

/** Keeps the head and tail of long text, saying how much was left out between them. */
export function headAndTail(text: string, head = LLM_HEAD_CHARS, tail = LLM_TAIL_CHARS): string {
  if (text.length <= head + tail) return text;
  const omitted = text.length - head - tail;
  return `${text.slice(0, head)}\n[... ${omitted} characters omitted ...]\n${text.slice(-tail)}`;
}

/**
 * A command's result as the LLM reads it: marked as tool output (data, never instructions),
 * with the exit code and the real byte counts, each stream bounded and token-shaped secrets
 * redacted.
 */
export function commandOutputForLlm(result: ExecResult): string {
  const facts = [
    `exit code ${result.exitCode}`,
    `stdout ${result.totalBytes.stdout} bytes`,
    `stderr ${result.totalBytes.stderr} bytes`,
    `${(result.durationMs / 1000).toFixed(1)} s`,
  ];
  if (result.timedOut) facts.push('killed: ran past its time limit');
  if (result.truncated) facts.push('long output cut to its head and tail');
  const parts = [`[run_command output: ${facts.join(', ')}]`];
  if (result.stdout) parts.push(`<stdout>\n${redactText(headAndTail(result.stdout))}\n</stdout>`);
  if (result.stderr) parts.push(`<stderr>\n${redactText(headAndTail(result.stderr))}\n</stderr>`);
  if (!result.stdout && !result.stderr) parts.push('(no output)');
  return parts.join('\n');
}

/** Any other tool's result, marked and bounded the same way. */
export function toolOutputForLlm(tool: string, text: string, facts: string[] = []): string {
  const head = `[${tool} output${facts.length ? `: ${facts.join(', ')}` : ''}]`;
  return `${head}\n${redactText(headAndTail(text))}`;
}
