/** Command-line options read the way getopt reads them, for rules that look at flags. */

export interface Flag {
  /** `-X` or `--request`; `-abc` is read as `-a`, `-b`, `-c`. */
  name: string;
  /** Set when the option took a value (`--x=1`, `--x 1`, `-X1`, `-X 1`). */
  value?: string;
}

export interface Options {
  flags: Flag[];
  /** Words that are not options, before `--` (all of them, wherever they stand). */
  operands: string[];
  /** Words after `--`, or from the first operand on with `stopAtOperand`. */
  rest: string[];
}

export interface OptionSpec {
  /** Short options that take a value, as letters: 'XdHo'. */
  short?: string;
  /** Long options that take a value: ['--request', '--data']. */
  long?: readonly string[];
  /** Stop at the first operand (global options before a subcommand); it starts `rest`. */
  stopAtOperand?: boolean;
}

export function scanOptions(args: readonly string[], spec: OptionSpec = {}): Options {
  const result: Options = { flags: [], operands: [], rest: [] };
  const short = spec.short ?? '';
  const long = new Set(spec.long ?? []);
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    if (arg === '--') {
      result.rest = args.slice(i + 1);
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      if (eq > 0) result.flags.push({ name: arg.slice(0, eq), value: arg.slice(eq + 1) });
      else if (long.has(arg) && i + 1 < args.length)
        result.flags.push({ name: arg, value: args[++i] });
      else result.flags.push({ name: arg });
    } else if (arg.startsWith('-') && arg.length > 1) {
      for (let j = 1; j < arg.length; j += 1) {
        const letter = arg[j] as string;
        if (!short.includes(letter)) {
          result.flags.push({ name: '-' + letter });
          continue;
        }
        const attached = arg.slice(j + 1);
        const value = attached !== '' ? attached : args[++i];
        result.flags.push(
          value === undefined ? { name: '-' + letter } : { name: '-' + letter, value },
        );
        break;
      }
    } else if (spec.stopAtOperand) {
      result.rest = args.slice(i);
      break;
    } else {
      result.operands.push(arg);
    }
  }
  return result;
}

export const has = (options: Options, ...names: string[]): boolean =>
  options.flags.some((f) => names.includes(f.name));

/** The last value given to any of `names`. */
export const valueOf = (options: Options, ...names: string[]): string | undefined =>
  options.flags.filter((f) => names.includes(f.name) && f.value !== undefined).at(-1)?.value;

export const valuesOf = (options: Options, ...names: string[]): string[] =>
  options.flags
    .filter((f) => names.includes(f.name))
    .flatMap((f) => (f.value === undefined ? [] : [f.value]));
