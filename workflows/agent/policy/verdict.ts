/** What one program does, as a rule in the table sees it. */

/** read = read-only; write = changes something; unknown = could not tell. */
export type Effect = 'read' | 'write' | 'unknown';

export interface Verdict {
  effect: Effect;
  /** Plain words: "`kubectl delete` changes the cluster". */
  reason: string;
  /** The program and its command words, for reasons naming several: `gh pr list`. */
  label: string;
  /** Part of what runs cannot be seen from the command line; the reason says what hides it. */
  hidden?: boolean;
  /** Commands this one runs in turn (`find -exec`), each analyzed like a command of its own. */
  runs?: string[][];
  /** Integration ids the words name (`mcp-cli call <app>`). */
  integrations?: string[];
}

/** A table's entries written as one comma-separated text, so long tables stay readable. */
export const list = (text: string): string[] =>
  text
    .split(/[,\n]/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');

/** A rule gets the words after the program name and the name it was called by. */
export type Rule = (args: readonly string[], name: string) => Verdict;

/** Text in backticks, kept short and free of backticks so a reason stays one clean line. */
export const code = (text: string): string => {
  const chars = Array.from(text.replace(/`/g, "'"));
  return '`' + (chars.length > 60 ? chars.slice(0, 59).join('') + '…' : chars.join('')) + '`';
};

export const reads = (label: string, why = 'only reads'): Verdict => ({
  effect: 'read',
  label,
  reason: `${code(label)} ${why}`,
});

export const writes = (label: string, what: string): Verdict => ({
  effect: 'write',
  label,
  reason: `${code(label)} ${what}`,
});

export const unclear = (label: string, why: string): Verdict => ({
  effect: 'unknown',
  label,
  reason: `${code(label)} ${why}`,
});

export const hides = (label: string, why: string, effect: Effect = 'unknown'): Verdict => ({
  effect: effect === 'read' ? 'unknown' : effect,
  label,
  reason: `${code(label)} ${why}`,
  hidden: true,
});

/** Prints a secret into the transcript: it changes nothing, but it is not counted as a read. */
export const credential = (label: string): Verdict => unclear(label, 'prints a credential');

const RANK: Record<Effect, number> = { read: 0, unknown: 1, write: 2 };

/** The effect of doing both: write over unknown over read. */
export const worst = (a: Effect, b: Effect): Effect => (RANK[a] >= RANK[b] ? a : b);
