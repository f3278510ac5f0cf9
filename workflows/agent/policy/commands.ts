import { CLI_RULES } from './cli-rules.js';
import { DEV_RULES } from './dev-rules.js';
import { LOCAL_RULES } from './local-rules.js';
import { scanOptions } from './options.js';
import { parseShell, SUBSTITUTION_MARK, type Heredoc, type Segment } from './shell.js';
import {
  code,
  reads,
  unclear,
  worst,
  type Effect,
  type Rule,
  type Verdict,
  list,
} from './verdict.js';

/**
 * What a shell command does, from its text alone: the programs it runs (looked up in the rule
 * tables), whether every one of them only reads, and the integrations it names. Wrappers
 * (`sudo`, `env`, `timeout`, `xargs`, `integration-exec`, ...) are looked through. What the
 * text cannot show — `sh -c`, `eval`, substitutions, code piped into an interpreter — is
 * flagged as hidden; the text inside is still analyzed so its integrations are known.
 */

export interface ProgramCall {
  /** The name matched against the rule table (a path's last part). */
  program: string;
  args: string[];
  /** The program with its command words: `gh pr list`. */
  label: string;
  effect: Effect;
  reason: string;
}

export interface CommandAnalysis {
  /** Every program the command runs, wrappers looked through, in order. */
  programs: ProgramCall[];
  /** read only when every part only reads. */
  effect: Effect;
  /** The deciding part's reason: the hidden construct, else the first write, else unknown. */
  reason: string;
  /** Part of what runs is hidden from the text (shell -c, eval, substitutions, ...). */
  hidden: boolean;
  /** Integrations the text names: `integration-exec <id>`, `$DYNAMIQ_API_PROXY/<id>`, `mcp-cli call <id>`. Sorted. */
  integrations: string[];
}

const RULES: Readonly<Record<string, Rule>> = { ...LOCAL_RULES, ...DEV_RULES, ...CLI_RULES };
/** Nesting followed into `sh -c`, `eval` and substitutions; deeper text is flagged, not read. */
const MAX_DEPTH = 3;

interface Findings {
  programs: ProgramCall[];
  parts: Verdict[];
  integrations: Set<string>;
}

interface Input {
  stdin?: Segment['stdin'];
  heredoc?: Heredoc;
}

const newFindings = (): Findings => ({ programs: [], parts: [], integrations: new Set() });
const effectOf = (f: Findings): Effect =>
  f.parts.reduce<Effect>((e, p) => worst(e, p.effect), 'read');

const hidden = (label: string, reason: string, effect: Effect = 'unknown'): Verdict => ({
  effect: worst(effect, 'unknown'),
  label,
  reason,
  hidden: true,
});
const runsHidden = (label: string, effect?: Effect) =>
  hidden(label, `the command runs ${code(label)}, which hides what really runs`, effect);

export function analyzeCommand(command: string): CommandAnalysis {
  const found = newFindings();
  analyze(command, 0, found);
  const concealed = found.parts.find((p) => p.hidden);
  const effect = effectOf(found);
  let reason: string;
  if (concealed) reason = concealed.reason;
  else if (effect !== 'read')
    reason = (found.parts.find((p) => p.effect === effect) as Verdict).reason;
  else if (found.parts.length === 0)
    reason = command.trim() ? 'the command only sets shell variables' : 'the command is empty';
  else if (found.parts.length === 1) reason = (found.parts[0] as Verdict).reason;
  else reason = `${listOf(found.parts.map((p) => p.label))} only read`;
  return {
    programs: found.programs,
    effect,
    reason,
    hidden: concealed !== undefined,
    integrations: [...found.integrations].sort(),
  };
}

function listOf(labels: string[]): string {
  const unique = [...new Set(labels)].map(code);
  const shown = unique.length > 4 ? [...unique.slice(0, 3), `${unique.length - 3} more`] : unique;
  return shown.length === 1
    ? (shown[0] as string)
    : `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}`;
}

function analyze(command: string, depth: number, into: Findings): void {
  const parsed = parseShell(command);
  if (parsed.problem) {
    into.parts.push({
      effect: 'unknown',
      label: 'the command',
      reason: `the command cannot be read reliably: ${parsed.problem}`,
    });
  }
  for (const sub of parsed.substitutions) {
    into.parts.push(
      sub.kind === 'process'
        ? hidden(
            '<(...)',
            'the command uses process substitution `<(...)`, which hides what really runs',
          )
        : hidden(
            '$(...)',
            'the command uses command substitution `$(...)`, which hides what really runs',
          ),
    );
    if (depth < MAX_DEPTH) analyze(sub.text, depth + 1, into);
  }
  for (const segment of parsed.segments) analyzeSegment(segment, depth, into);
}

/** Words that open or close a compound command; what follows them is a command of its own. */
const KEYWORDS = new Set(
  list(`
  if, then, elif, else, do, while, until, !, {, }, fi, done, esac
`),
);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/;
/** Variables that make programs load or run other code. */
const RISKY_VARIABLE =
  /^(LD_\w+|DYLD_\w+|GIT_CONFIG_\w+|PATH|BASH_ENV|ENV|PROMPT_COMMAND|GIT_SSH|GIT_SSH_COMMAND|GIT_EXTERNAL_DIFF|GIT_ASKPASS|SSH_ASKPASS|GIT_PAGER|PAGER|MANPAGER|EDITOR|VISUAL|GIT_EDITOR|NODE_OPTIONS|PYTHONSTARTUP|PERL5OPT|RUBYOPT|LESSOPEN|LESSCLOSE|KUBECTL_EXTERNAL_DIFF|BROWSER)$/;
const HARMLESS_PAGER = /^(cat|less|more|)$/;
const PROXY_URL = /\$\{?DYNAMIQ_(?:API_PROXY|MCP_URL)\}?\/+([a-z0-9-]+)/g;

function assignmentRisk(word: string): Verdict | undefined {
  const eq = word.indexOf('=');
  const name = word.slice(0, eq).replace(/\+$/, '');
  if (!RISKY_VARIABLE.test(name)) return undefined;
  if (/PAGER$/.test(name) && HARMLESS_PAGER.test(word.slice(eq + 1))) return undefined;
  return hidden(
    `${name}=`,
    `the command sets ${code(name)}, which can make a program run other code`,
  );
}

function analyzeSegment(segment: Segment, depth: number, into: Findings): void {
  for (const word of segment.words) {
    for (const match of word.matchAll(PROXY_URL)) into.integrations.add(match[1] as string);
  }
  let k = 0;
  for (; k < segment.words.length; k += 1) {
    const word = segment.words[k] as string;
    if (KEYWORDS.has(word)) continue;
    if (!ASSIGNMENT.test(word)) break;
    const risk = assignmentRisk(word);
    if (risk) into.parts.push(risk);
  }
  const argv = segment.words.slice(k);
  const first = argv[0];
  if (first === 'for' || first === 'select') {
    // A loop header only names the values; the body is its own segment.
  } else if (first === 'case' || first === 'function' || first === 'coproc') {
    into.parts.push(unclear(first, 'is shell syntax this policy does not follow'));
  } else if (first !== undefined) {
    runProgram(argv, { stdin: segment.stdin, heredoc: segment.heredoc }, depth, into);
  }
  for (const file of segment.writes) {
    into.parts.push({
      effect: 'write',
      label: `> ${file}`,
      reason: `the command writes ${code(file)} in the sandbox`,
    });
  }
}

const STANDARD_DIRS = new Set(
  list(`
  /bin, /usr/bin, /usr/local/bin, /sbin, /usr/sbin, /usr/local/sbin, /opt/dynamiq/bin,
  /home/user/.dynamiq/shims
`),
);

/** A path in a standard folder counts as the program; any other path is a script. */
function programName(word: string): string | undefined {
  const slash = word.lastIndexOf('/');
  if (slash < 0) return word;
  return STANDARD_DIRS.has(word.slice(0, slash)) ? word.slice(slash + 1) : undefined;
}

/** Runs `argv` into `into`; returns the effect of what it added. */
function runProgram(argv: readonly string[], input: Input, depth: number, into: Findings): Effect {
  const found = newFindings();
  analyzeProgram(argv, input, depth, found);
  into.programs.push(...found.programs);
  into.parts.push(...found.parts);
  for (const id of found.integrations) into.integrations.add(id);
  return effectOf(found);
}

function analyzeProgram(
  argv: readonly string[],
  input: Input,
  depth: number,
  into: Findings,
): void {
  const [word, ...args] = argv;
  if (word === undefined) return;
  if (word.includes(SUBSTITUTION_MARK)) {
    into.parts.push(
      hidden(
        '$(...)',
        "the program's name comes from a substitution, which hides what really runs",
      ),
    );
    return;
  }
  if (word.includes('$')) {
    into.parts.push(
      hidden(word, `the program's name comes from ${code(word)}, which hides what really runs`),
    );
    return;
  }
  const name = programName(word);
  const leaf = (verdict: Verdict) => {
    into.programs.push({
      program: name ?? word,
      args,
      label: verdict.label,
      effect: verdict.effect,
      reason: verdict.reason,
    });
    into.parts.push(verdict);
    for (const id of verdict.integrations ?? []) into.integrations.add(id);
  };
  if (name === undefined)
    return leaf(unclear(word, 'runs a script whose contents are not checked'));
  const wrapped = unwrap(name, args);
  if (wrapped) {
    if (wrapped.verdict) return leaf(wrapped.verdict);
    if (wrapped.argv.length > 0) runProgram(wrapped.argv, input, depth, into);
    return;
  }
  switch (name) {
    case 'integration-exec': {
      const [id, dashes, ...inner] = args;
      if (!id || dashes !== '--' || inner.length === 0) {
        return leaf(unclear(name, 'needs `integration-exec <id> -- <command>`'));
      }
      into.integrations.add(id);
      runProgram(inner, input, depth, into);
      return;
    }
    case 'xargs':
      return xargs(args, depth, into);
    case 'eval':
      into.parts.push(runsHidden('eval'));
      if (depth < MAX_DEPTH) analyze(args.join(' '), depth + 1, into);
      return;
    case 'exec':
      into.parts.push(runsHidden('exec'));
      if (args.length) runProgram(args, input, depth, into);
      return;
    case 'source':
    case '.':
    case 'trap':
      return leaf(runsHidden(name));
  }
  if (SHELLS.has(name)) return shell(name, args, input, depth, into, leaf);
  const family = interpreterOf(name);
  if (family) return interpreter(name, family, args, input, depth, into, leaf);
  const rule = RULES[name];
  if (!rule || !Object.hasOwn(RULES, name)) return leaf(unclear(name, 'is not in the rule table'));
  const verdict = rule(args, name);
  leaf(verdict);
  for (const inner of verdict.runs ?? []) runProgram(inner, {}, depth, into);
}

/** Wrappers that run the rest of their words as a command: their own options skipped. */
function unwrap(
  name: string,
  args: readonly string[],
): { argv: string[]; verdict?: Verdict } | undefined {
  const after = (short: string, long: string[] = []) =>
    scanOptions(args, { short, long, stopAtOperand: true }).rest;
  switch (name) {
    case 'sudo':
    case 'doas': {
      const options = scanOptions(args, {
        short: 'ugpChrtUD',
        long: ['--user', '--group', '--prompt'],
        stopAtOperand: true,
      });
      if (options.flags.some((f) => f.name === '-e' || f.name === '--edit')) {
        return {
          argv: [],
          verdict: {
            effect: 'write',
            label: `${name} -e`,
            reason: `${code(`${name} -e`)} edits a file in the sandbox`,
          },
        };
      }
      return options.rest.length
        ? { argv: options.rest }
        : { argv: [], verdict: unclear(name, 'has no command to check') };
    }
    case 'env': {
      const options = scanOptions(args, {
        short: 'uCS',
        long: ['--unset', '--chdir', '--split-string'],
        stopAtOperand: true,
      });
      if (options.flags.some((f) => f.name === '-S' || f.name === '--split-string')) {
        return { argv: [], verdict: runsHidden('env -S') };
      }
      const rest = [...options.rest];
      while (rest[0] !== undefined && ASSIGNMENT.test(rest[0])) {
        const risk = assignmentRisk(rest.shift() as string);
        if (risk) return { argv: [], verdict: risk };
      }
      return rest.length
        ? { argv: rest }
        : { argv: [], verdict: reads('env', 'only prints the environment') };
    }
    case 'time':
      return { argv: after('fo', ['--format', '--output']) };
    case 'nice':
      return { argv: after('n', ['--adjustment']) };
    case 'timeout':
      return { argv: after('sk', ['--signal', '--kill-after']).slice(1) };
    case 'nohup':
    case 'builtin':
      return { argv: [...args] };
    case 'stdbuf':
      return { argv: after('ioe', ['--input', '--output', '--error']) };
    case 'ionice':
      return { argv: after('cnp', ['--class', '--classdata', '--pid']) };
    case 'command': {
      const options = scanOptions(args, { stopAtOperand: true });
      if (options.flags.some((f) => f.name === '-v' || f.name === '-V'))
        return { argv: [], verdict: reads('command -v') };
      return { argv: options.rest };
    }
    default:
      return undefined;
  }
}

/** xargs appends words from its input, so the command is judged with one more argument. */
function xargs(args: readonly string[], depth: number, into: Findings): void {
  const options = scanOptions(args, {
    short: 'adEeIiLlnPs',
    long: list(`
      --arg-file, --delimiter, --eof, --replace, --max-lines, --max-args, --max-procs,
      --max-chars, --process-slot-var
    `),
    stopAtOperand: true,
  });
  const inner = options.rest.length ? [...options.rest, '…'] : ['echo', '…'];
  const effect = runProgram(inner, {}, depth, into);
  if (effect !== 'read') {
    const label = `xargs ${inner[0]}`;
    into.parts.push(
      hidden(
        label,
        `${code(label)} runs ${code(inner[0] as string)} with arguments from its input, which hides what really runs`,
        effect,
      ),
    );
  }
}

const SHELLS = new Set(
  list(`
  sh, bash, zsh, dash, ksh, mksh, ash, fish, csh, tcsh, busybox
`),
);

type Leaf = (verdict: Verdict) => void;

/** Code fed on standard input, by how it is fed. */
function fedCode(name: string, input: Input, depth: number, into: Findings): Verdict | undefined {
  const how =
    input.stdin === 'pipe'
      ? `pipes into ${code(name)}`
      : input.stdin === 'heredoc'
        ? `feeds a here-document to ${code(name)}`
        : input.stdin === 'herestring'
          ? `feeds a string to ${code(name)}`
          : input.stdin === 'file'
            ? `feeds a file to ${code(name)}`
            : undefined;
  if (!how) return undefined;
  if (input.heredoc && depth < MAX_DEPTH && SHELLS.has(name))
    analyze(input.heredoc.body, depth + 1, into);
  return hidden(name, `the command ${how}, which hides what really runs`);
}

function shell(
  name: string,
  args: readonly string[],
  input: Input,
  depth: number,
  into: Findings,
  leaf: Leaf,
): void {
  let inline = false;
  let fromStdin = false;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    if (arg === '--') continue;
    if (/^[-+][oO]$/.test(arg)) {
      i += 1;
    } else if (/^[-+]/.test(arg)) {
      if (/^-[a-zA-Z]*c/.test(arg) || arg === '--command') inline = true;
      if (/^-[a-zA-Z]*s/.test(arg)) fromStdin = true;
    } else if (inline) {
      leaf(runsHidden(`${name} -c`));
      if (depth < MAX_DEPTH) analyze(arg, depth + 1, into);
      return;
    } else if (!fromStdin) {
      return leaf(unclear(`${name} ${arg}`, 'runs a script whose contents are not checked'));
    } else {
      break;
    }
  }
  if (inline) return leaf(runsHidden(`${name} -c`));
  leaf(fedCode(name, input, depth, into) ?? unclear(name, 'starts an interactive shell'));
}

type Family = 'python' | 'node' | 'perl' | 'ruby' | 'php' | 'lua' | 'pwsh' | 'deno' | 'expression';

function interpreterOf(name: string): Family | undefined {
  if (/^python[\d.]*$/.test(name) || name === 'pypy3') return 'python';
  if (['node', 'nodejs', 'bun', 'tsx', 'ts-node'].includes(name)) return 'node';
  if (['perl', 'ruby', 'php', 'lua', 'deno'].includes(name)) return name as Family;
  if (name === 'irb') return 'ruby';
  if (name === 'pwsh' || name === 'powershell') return 'pwsh';
  if (name === 'Rscript' || name === 'osascript') return 'expression';
  return undefined;
}

const INLINE: Readonly<Record<Family, RegExp>> = {
  python: /^-[a-zA-Z]*c/,
  node: /^(-e|--eval|-p|--print)(=|$)/,
  perl: /^-[a-zA-Z]*[eE]/,
  ruby: /^-[a-zA-Z]*e/,
  php: /^-r/,
  lua: /^-e/,
  pwsh: /^-(c|command|encodedcommand|ec|e)$/i,
  deno: /^eval$/,
  expression: /^-e$/,
};

function interpreter(
  name: string,
  family: Family,
  args: readonly string[],
  input: Input,
  depth: number,
  into: Findings,
  leaf: Leaf,
): void {
  if (args.length === 1 && /^(--version|-V|-v|version)$/.test(args[0] as string)) {
    return leaf(reads(`${name} ${args[0]}`, 'only shows its version'));
  }
  const inline = args.find((a) => INLINE[family].test(a));
  if (inline) return leaf(runsHidden(`${name} ${inline}`));
  if (family === 'python' && args[0] === '-m' && (args[1] === 'pip' || args[1] === 'pip3')) {
    runProgram(['pip', ...args.slice(2)], input, depth, into);
    return;
  }
  const script = args.find((a) => !a.startsWith('-'));
  if (script !== undefined)
    return leaf(unclear(`${name} ${script}`, 'runs a script whose contents are not checked'));
  leaf(fedCode(name, input, depth, into) ?? unclear(name, 'starts an interactive interpreter'));
}
