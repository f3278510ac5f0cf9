import { has, scanOptions, valueOf, valuesOf, type OptionSpec, type Options } from './options.js';
import { credential, reads, unclear, writes, type Rule, type Verdict } from './verdict.js';

/**
 * How the CLI rules are written: a table of command paths that only read (`pathRule`), or, for
 * CLIs whose commands nest to any depth, the verbs that only read (`nestedRule`).
 */

/** Words that name an action: never a group name, and where a nested CLI's command ends. */
export const ACTION =
  /^(add|apply|assign|attach|build|call|cancel|commit|connect|copy|cp|create|delete|deploy|destroy|detach|disable|download|drop|edit|enable|exec|execute|export|import|init|install|invoke|kill|launch|load|login|logout|merge|move|mv|patch|pause|post|promote|prune|publish|pull|purge|push|put|reboot|recreate|redeploy|remove|rename|replace|reset|resend|resize|restart|restore|resume|revoke|rm|rollback|rotate|run|save|scale|send|set|sign|ssh|start|stop|submit|suspend|sync|tag|trigger|unassign|uninstall|unpause|unset|untag|update|upgrade|upload|write)([-_]|$)/;

/** Commands that print a token or key: they change nothing, but they ask. */
export const CREDENTIAL =
  /^(print-access-token|print-identity-token|print-refresh-token|get-access-token|get-login-password|get-authorization-token|get-session-token|get-federation-token|get-token|token|connection-string|cs|api-keys)$/;

/** `--help` or a leading `help`: every CLI here only prints help then. */
export function helpOf(name: string, options: Options): Verdict | undefined {
  if (has(options, '--help') || options.operands[0] === 'help') {
    return reads(`${name} --help`, 'only shows help');
  }
  if (options.operands.length === 0 && has(options, '--version')) {
    return reads(`${name} --version`, 'only shows its version');
  }
  return undefined;
}

export interface PathSpec {
  /** What a command outside `reads` changes, after its name: "changes GitHub". */
  changes: string;
  /** Options taking a value that may stand before the command words. */
  options?: OptionSpec;
  /** Command paths that only read, matched against the first command words; `*` is a group. */
  reads: readonly string[];
  /** The names `*` matches; without them, any word that does not name an action. */
  groups?: readonly string[];
  /** Command words shown in reasons: 1 or 2 (default 2); with 1, these first words show two. */
  depth?: 1 | 2;
  pairs?: readonly string[];
  /** Reasons for particular first words, when "changes ..." would be wrong. */
  notes?: Readonly<Record<string, string>>;
  /** Cases paths cannot express; `undefined` falls through to the paths. */
  special?: Special;
}

type Special = (
  words: string[],
  options: Options,
  name: string,
  args: readonly string[],
) => Verdict | undefined;

function matches(words: readonly string[], path: string, spec: PathSpec): boolean {
  const parts = path.split(' ');
  return (
    parts.length <= words.length &&
    parts.every((part, i) => {
      const word = words[i] as string;
      if (part !== '*') return part === word;
      return spec.groups ? spec.groups.includes(word) : !ACTION.test(word);
    })
  );
}

export function pathRule(spec: PathSpec): Rule {
  return (args, name) => {
    const options = scanOptions(args, spec.options);
    const help = helpOf(name, options);
    if (help) return help;
    const words = options.operands;
    const special = spec.special?.(words, options, name, args);
    if (special) return special;
    if (words.length === 0) return reads(name, 'only shows help');
    const first = words[0] as string;
    const shown = spec.depth === 1 && !spec.pairs?.includes(first) ? 1 : 2;
    const label = [name, ...words.slice(0, shown)].join(' ');
    if (spec.reads.some((path) => matches(words, path, spec))) return reads(label);
    return writes(label, spec.notes?.[first] ?? spec.changes);
  };
}

export interface NestedSpec {
  changes: string;
  options?: OptionSpec;
  /** Verbs that only read. The command is the first word that is a read verb or an action. */
  readVerbs: RegExp;
  /** Verbs that look like reads but change something (`get-credentials` writes a kubeconfig). */
  writeVerbs?: readonly string[];
  /** Where verbs may start: 1 when the first word is always a group (`gcloud run ...`). */
  from?: 0 | 1;
  /** Top-level commands, decided by the first word alone. */
  top?: Readonly<Record<string, 'read' | 'write'>>;
  /** Words dropped before looking (release tracks: `gcloud beta ...`). */
  skip?: readonly string[];
  /** Split `kv:key` into `kv key` (older wrangler). */
  colons?: boolean;
  special?: Special;
}

/** CLIs whose commands nest to any depth (gcloud compute instances list). */
export function nestedRule(spec: NestedSpec): Rule {
  return (args, name) => {
    const options = scanOptions(args, spec.options);
    const help = helpOf(name, options);
    if (help) return help;
    const words = options.operands
      .flatMap((w) => (spec.colons ? w.split(':') : [w]))
      .filter((w) => !spec.skip?.includes(w));
    const special = spec.special?.(words, options, name, args);
    if (special) return special;
    const first = words[0];
    if (first === undefined) return reads(name, 'only shows help');
    const top = spec.top?.[first];
    if (top === 'read') return reads(`${name} ${first}`);
    if (top === 'write') return writes(`${name} ${first}`, spec.changes);
    for (let i = spec.from ?? 0; i < Math.min(words.length, 6); i += 1) {
      const word = words[i] as string;
      const label = [name, ...words.slice(0, i + 1)].join(' ');
      if (CREDENTIAL.test(word)) return credential(label);
      if (spec.writeVerbs?.includes(word)) return writes(label, spec.changes);
      if (spec.readVerbs.test(word)) return reads(label);
      if (ACTION.test(word)) return writes(label, spec.changes);
    }
    return unclear([name, ...words.slice(0, 3)].join(' '), 'is not a command the rule table knows');
  };
}

/**
 * `gh api` and `glab api`: a GET (the default) reads; fields or `--input` make it a POST. A
 * GraphQL document reads unless it holds a mutation.
 */
export function apiRequest(name: string, args: readonly string[], service: string): Verdict {
  const options = scanOptions(args, {
    short: 'XfFHqtpR',
    long: ['--method', '--field', '--raw-field', '--input', '--header', '--jq', '--template'],
  });
  const endpoint = options.operands[options.operands.indexOf('api') + 1] ?? '';
  const fields = valuesOf(options, '-f', '-F', '--field', '--raw-field');
  const body = fields.length > 0 || has(options, '--input');
  const method = (valueOf(options, '-X', '--method') ?? (body ? 'POST' : 'GET')).toUpperCase();
  if (endpoint === 'graphql') {
    const query = fields.find((f) => f.startsWith('query='))?.slice('query='.length);
    const label = `${name} api graphql`;
    if (query === undefined || query.startsWith('@') || has(options, '--input')) {
      return unclear(label, 'sends a GraphQL document that is not on the command line');
    }
    return /\bmutation\b/.test(query)
      ? writes(label, `runs a GraphQL mutation, which changes ${service}`)
      : reads(label, 'runs a GraphQL query, which only reads');
  }
  return method === 'GET' || method === 'HEAD'
    ? reads(`${name} api`, `sends a ${method} request, which only reads`)
    : writes(`${name} api`, `sends a ${method} request, which can change ${service}`);
}
