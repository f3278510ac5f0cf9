import { analyzeCommand } from './commands.js';
import { code, type Effect } from './verdict.js';

/**
 * Whether one LLM tool call runs at once, waits for a person's approval, or is refused. Pure:
 * the workflow calls it during replay, so it reads nothing but its arguments.
 */

export type PolicyMode = 'ask-writes' | 'ask-all' | 'auto';

/** A tool call as the workflow knows it. */
export type PolicyCall =
  | { kind: 'sandbox'; tool: 'run_command'; command: string }
  | { kind: 'sandbox'; tool: 'read_file' | 'list_files'; path: string }
  | { kind: 'sandbox'; tool: 'write_file'; path: string; bytes: number }
  | {
      kind: 'mcp';
      /** `<app>__<tool>`. */
      tool: string;
      app: string;
      /** MCP annotations with the spec's defaults filled in (readOnly false, destructive true). */
      hints: { readOnly: boolean; destructive: boolean };
    };

export interface PolicyContext {
  /** Mode set for the channel the turn is in, if any. */
  channelMode?: PolicyMode;
  /** Modes an administrator set per integration id; the sandbox itself is `sandbox`. */
  integrationModes: Record<string, PolicyMode>;
  /** Program name → integration id, for the author's connected CLI integrations, e.g. { gh: 'github' }. */
  cliIntegrations: Record<string, string>;
  /** Integration ids this channel may use; undefined = all. */
  allowedIntegrations?: string[];
}

export interface PolicyDecision {
  action: 'run' | 'ask' | 'refuse';
  /** Plain words for people and for the LLM: why it asks / is refused, or why it is safe. */
  reason: string;
  /** Integrations whose credentials the call needs (its sandbox token's scope). Sorted, unique. */
  integrations: string[];
  /** One line saying exactly what will run, bounded to 200 characters. */
  summary: string;
  /** read = read-only; write = changes something; unknown = could not tell. */
  effect: Effect;
}

/** The mode for calls that touch no integration: commands without one, and the file tools. */
export const SANDBOX_INTEGRATION = 'sandbox';
export const DEFAULT_MODE: PolicyMode = 'ask-writes';
export const SUMMARY_LIMIT = 200;

const STRICTNESS: Record<PolicyMode, number> = { auto: 0, 'ask-writes': 1, 'ask-all': 2 };

interface Facts {
  effect: Effect;
  reason: string;
  integrations: string[];
  summary: string;
}

/**
 * Decides one call. The mode is the strictest of those set for the channel and for every
 * integration the call touches (`sandbox` when it touches none), `ask-writes` when none is
 * set: `auto` runs everything (hidden shell constructs too — that is what auto means),
 * `ask-all` asks for everything, `ask-writes` runs reads and asks for the rest. A call needing
 * an integration outside `allowedIntegrations` is refused whatever the mode.
 */
export function classifyCall(call: PolicyCall, ctx: PolicyContext, args?: unknown): PolicyDecision {
  const facts = describe(call, ctx, args);
  const decision = (action: PolicyDecision['action'], reason: string): PolicyDecision => ({
    action,
    reason,
    integrations: facts.integrations,
    summary: facts.summary,
    effect: facts.effect,
  });
  const allowed = ctx.allowedIntegrations;
  const blocked = allowed ? facts.integrations.filter((id) => !allowed.includes(id)) : [];
  if (blocked.length > 0) {
    const names = blocked.map(code).join(', ');
    return decision('refuse', `this channel may not use ${names}, which the call needs`);
  }
  const mode = effectiveMode(
    ctx,
    facts.integrations.length ? facts.integrations : [SANDBOX_INTEGRATION],
  );
  switch (mode.mode) {
    case 'auto':
      return decision(
        'run',
        facts.effect === 'read'
          ? facts.reason
          : `${facts.reason}; it runs without asking because ${mode.source} is set to auto`,
      );
    case 'ask-all':
      return decision(
        'ask',
        facts.effect === 'read'
          ? `${facts.reason}, but ${mode.source} is set to ask before every call`
          : facts.reason,
      );
    case 'ask-writes':
      return decision(facts.effect === 'read' ? 'run' : 'ask', facts.reason);
  }
}

function effectiveMode(
  ctx: PolicyContext,
  integrations: string[],
): { mode: PolicyMode; source: string } {
  let chosen: { mode: PolicyMode; source: string } | undefined;
  const consider = (mode: PolicyMode | undefined, source: string) => {
    if (mode === undefined || !Object.hasOwn(STRICTNESS, mode)) return;
    if (!chosen || STRICTNESS[mode] > STRICTNESS[chosen.mode]) chosen = { mode, source };
  };
  consider(ctx.channelMode, 'this channel');
  for (const id of integrations) {
    const source = id === SANDBOX_INTEGRATION ? 'the sandbox' : `the ${id} integration`;
    consider(
      Object.hasOwn(ctx.integrationModes, id) ? ctx.integrationModes[id] : undefined,
      source,
    );
  }
  return chosen ?? { mode: DEFAULT_MODE, source: 'the default' };
}

function describe(call: PolicyCall, ctx: PolicyContext, args: unknown): Facts {
  if (call.kind === 'mcp') {
    const facts = {
      integrations: [call.app],
      summary: summarize(`${call.tool} ${compactJson(args)}`.trim()),
    };
    if (call.hints.readOnly) {
      return {
        ...facts,
        effect: 'read',
        reason: `${code(call.tool)} is marked read-only by its server`,
      };
    }
    return {
      ...facts,
      effect: 'write',
      reason: call.hints.destructive
        ? `${code(call.tool)} may change or delete data in ${call.app} (its server marks it destructive)`
        : `${code(call.tool)} changes data in ${call.app} (its server does not mark it read-only)`,
    };
  }
  switch (call.tool) {
    case 'run_command': {
      const analysis = analyzeCommand(call.command);
      const integrations = new Set(analysis.integrations);
      for (const { program } of analysis.programs) {
        if (Object.hasOwn(ctx.cliIntegrations, program))
          integrations.add(ctx.cliIntegrations[program] as string);
      }
      return {
        effect: analysis.effect,
        reason: analysis.reason,
        integrations: [...integrations].sort(),
        summary: summarize(oneLine(call.command)),
      };
    }
    case 'read_file':
    case 'list_files':
      return {
        effect: 'read',
        reason: `${code(call.tool)} only reads the sandbox`,
        integrations: [],
        summary: summarize(`${call.tool} ${compactJson({ path: call.path })}`),
      };
    case 'write_file':
      return {
        effect: 'write',
        reason: `${code(call.tool)} writes ${code(call.path)} in the sandbox`,
        integrations: [],
        summary: summarize(`${call.tool} ${compactJson({ path: call.path, bytes: call.bytes })}`),
      };
  }
}

/** Lines joined with a visible mark, so a second line cannot pass for an argument. */
function oneLine(command: string): string {
  return command
    .split(/\r?\n/)
    .map((line) => line.trim().replace(/\s+/g, ' '))
    .filter((line) => line !== '')
    .join(' ↵ ');
}

function compactJson(value: unknown): string {
  if (value === undefined) return '';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** At most SUMMARY_LIMIT characters, cut at a code point, with an ellipsis when cut. */
export function summarize(text: string): string {
  const chars = Array.from(text);
  return chars.length <= SUMMARY_LIMIT ? text : chars.slice(0, SUMMARY_LIMIT - 1).join('') + '…';
}
