import { parse } from 'shell-quote';

/**
 * A shell command split into the simple commands it runs. shell-quote removes quotes and splits
 * words and operators; a scan before it handles what shell-quote does not see the way bash
 * does: line breaks (it joins lines into one command), comments (a `#` inside a word would end
 * the command for it), here-documents, and command and process substitutions (cut out and
 * returned so the caller can flag and analyze them).
 */

export interface Heredoc {
  body: string;
  /** The delimiter was quoted, so bash takes the body literally (no substitutions). */
  literal: boolean;
}

export interface Segment {
  /** The words after quote removal: leading assignments, the program, its arguments. */
  words: string[];
  /** How standard input is fed, when the command line feeds it. */
  stdin?: 'pipe' | 'heredoc' | 'herestring' | 'file';
  /** The text fed by a here-document or a here-string (`<<< text`). */
  heredoc?: Heredoc;
  /** Files the output is redirected to, `/dev/null` and descriptor copies (`2>&1`) left out. */
  writes: string[];
}

export interface Substitution {
  kind: 'command' | 'process';
  /** The command text inside `$(...)`, backticks, `<(...)` or `>(...)`. */
  text: string;
}

export interface ShellParse {
  segments: Segment[];
  substitutions: Substitution[];
  /** Why the command cannot be read reliably (an unterminated quote, a stray operator). */
  problem?: string;
}

/** Stands in for a substitution in the text given to shell-quote; never a real program. */
export const SUBSTITUTION_MARK = '__dynamiq_substitution__';
const HEREDOC_MARK = /^__dynamiq_heredoc_(\d+)__$/;
const NOT_WRITTEN = /^\/dev\/(null|stdout|stderr|tty|fd\/[12])$/;

export function parseShell(command: string): ShellParse {
  const scan = prescan(command);
  let entries: Entry[];
  try {
    // Variables stay as written (`${NAME}`), so `$DYNAMIQ_API_PROXY/<id>` can still be found.
    entries = parse(scan.text, (name: string) =>
      name === '' ? '$' : '${' + name + '}',
    ) as Entry[];
  } catch (error) {
    const problem = error instanceof Error ? error.message : String(error);
    return { segments: [], substitutions: scan.substitutions, problem };
  }
  const split = toSegments(entries, scan.heredocs);
  return {
    segments: split.segments,
    substitutions: scan.substitutions,
    problem: scan.problem ?? split.problem,
  };
}

interface Prescan {
  text: string;
  substitutions: Substitution[];
  heredocs: Heredoc[];
  problem?: string;
}

function prescan(src: string): Prescan {
  const result: Prescan = { text: '', substitutions: [], heredocs: [] };
  const pending: { delimiter: string; stripTabs: boolean; index: number }[] = [];
  let quote: "'" | '"' | undefined;
  let out = '';
  let i = 0;
  const substitute = (kind: Substitution['kind'], open: number, close: number) => {
    const text = src.slice(open, close);
    if (kind === 'command' && text.startsWith('(') && text.endsWith(')')) {
      // `$((...))` is arithmetic, harmless unless it holds a substitution of its own.
      const inner = prescan(text.slice(1, -1));
      result.substitutions.push(...inner.substitutions);
    } else {
      result.substitutions.push({ kind, text });
    }
    out += SUBSTITUTION_MARK;
  };
  while (i < src.length) {
    const c = src[i] as string;
    const next = src[i + 1];
    if (quote === "'") {
      out += c;
      if (c === "'") quote = undefined;
      i += 1;
    } else if (quote === '"' && c === '\\') {
      out += src.slice(i, i + 2);
      i += 2;
    } else if (quote === '"' && c === '"') {
      out += c;
      quote = undefined;
      i += 1;
    } else if (c === '`' || (c === '$' && next === '(')) {
      const open = c === '`' ? i + 1 : i + 2;
      const close = c === '`' ? closingBacktick(src, open) : closingParen(src, open);
      if (close < 0) return { ...result, text: out, problem: 'a substitution is not closed' };
      substitute('command', open, close);
      i = close + 1;
    } else if (quote === '"') {
      out += c;
      i += 1;
    } else if (c === '\\') {
      // A backslash before a line break joins the lines.
      if (next !== '\n') out += src.slice(i, i + 2);
      i += 2;
    } else if (c === "'" && out.endsWith('$') && !out.endsWith('\\$')) {
      // ANSI-C quoting, `$'...'`: a backslash escapes the next character, `\'` included.
      let j = i + 1;
      while (j < src.length && src[j] !== "'") j += src[j] === '\\' ? 2 : 1;
      if (j >= src.length) return { ...result, text: out, problem: 'a quote is not closed' };
      out += src.slice(i, j + 1);
      i = j + 1;
    } else if (c === "'" || c === '"') {
      quote = c;
      out += c;
      i += 1;
    } else if ((c === '<' || c === '>') && next === '(') {
      const close = closingParen(src, i + 2);
      if (close < 0) return { ...result, text: out, problem: 'a substitution is not closed' };
      substitute('process', i + 2, close);
      i = close + 1;
    } else if (c === '<' && next === '<' && src[i + 2] === '<') {
      out += '<<<';
      i += 3;
    } else if (c === '<' && next === '<') {
      const heredoc = readDelimiter(src, i + 2);
      if (!heredoc.delimiter)
        return { ...result, text: out, problem: 'a here-document has no end' };
      const index = result.heredocs.push({ body: '', literal: heredoc.literal }) - 1;
      pending.push({ delimiter: heredoc.delimiter, stripTabs: heredoc.stripTabs, index });
      out += ` <<< __dynamiq_heredoc_${index}__ `;
      i = heredoc.end;
    } else if (c === '#') {
      if (out === '' || /[\s;&|()<>]$/.test(out)) {
        while (i < src.length && src[i] !== '\n') i += 1;
      } else {
        out += '\\#'; // a `#` inside a word is a character; shell-quote would end the command there
        i += 1;
      }
    } else if (c === '\n') {
      i += 1;
      for (const doc of pending.splice(0)) {
        const body = readBody(src, i, doc.delimiter, doc.stripTabs);
        const heredoc = result.heredocs[doc.index] as Heredoc;
        heredoc.body = body.text;
        if (!heredoc.literal) result.substitutions.push(...bodySubstitutions(body.text));
        i = body.end;
      }
      // A line ending in `|`, `&&` or `||` continues on the next one.
      out += /(\||&&)\s*$/.test(out) ? ' ' : ' ; ';
    } else {
      out += c === '\r' ? ' ' : c;
      i += 1;
    }
  }
  result.text = out;
  if (quote) result.problem = 'a quote is not closed';
  return result;
}

/** Index of the `)` closing a `(` just before `start`, minding quotes and nesting; -1 if none. */
function closingParen(src: string, start: number): number {
  let depth = 1;
  let quote: string | undefined;
  for (let j = start; j < src.length; j += 1) {
    const ch = src[j];
    if (quote === "'") {
      if (ch === "'") quote = undefined;
    } else if (ch === '\\') {
      j += 1;
    } else if (quote === '"') {
      if (ch === '"') quote = undefined;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
    } else if (ch === '(') {
      depth += 1;
    } else if (ch === ')' && --depth === 0) {
      return j;
    }
  }
  return -1;
}

function closingBacktick(src: string, start: number): number {
  for (let j = start; j < src.length; j += 1) {
    if (src[j] === '\\') j += 1;
    else if (src[j] === '`') return j;
  }
  return -1;
}

/** The word after `<<` (or `<<-`): the delimiter without its quotes. */
function readDelimiter(src: string, start: number) {
  let i = start;
  const stripTabs = src[i] === '-';
  if (stripTabs) i += 1;
  while (src[i] === ' ' || src[i] === '\t') i += 1;
  let delimiter = '';
  let literal = false;
  while (i < src.length && !/[\s;&|()<>]/.test(src[i] as string)) {
    const ch = src[i] as string;
    if (ch === "'" || ch === '"') {
      const close = src.indexOf(ch, i + 1);
      if (close < 0) break;
      delimiter += src.slice(i + 1, close);
      literal = true;
      i = close + 1;
    } else if (ch === '\\') {
      delimiter += src[i + 1] ?? '';
      literal = true;
      i += 2;
    } else {
      delimiter += ch;
      i += 1;
    }
  }
  return { delimiter, literal, stripTabs, end: i };
}

function readBody(src: string, start: number, delimiter: string, stripTabs: boolean) {
  const lines: string[] = [];
  let i = start;
  while (i < src.length) {
    const eol = src.indexOf('\n', i);
    const line = src.slice(i, eol < 0 ? src.length : eol);
    i = eol < 0 ? src.length : eol + 1;
    if ((stripTabs ? line.replace(/^\t+/, '') : line) === delimiter) break;
    lines.push(line);
  }
  return { text: lines.join('\n'), end: i };
}

/** Substitutions in a here-document whose delimiter was not quoted: bash runs them. */
function bodySubstitutions(body: string): Substitution[] {
  const found: Substitution[] = [];
  for (let i = 0; i < body.length; i += 1) {
    const ch = body[i];
    if (ch === '\\') {
      i += 1;
      continue;
    }
    const backtick = ch === '`';
    if (!backtick && !(ch === '$' && body[i + 1] === '(')) continue;
    const open = backtick ? i + 1 : i + 2;
    const end = backtick ? closingBacktick(body, open) : closingParen(body, open);
    const close = end < 0 ? body.length : end;
    found.push({ kind: 'command', text: body.slice(open, close) });
    i = close;
  }
  return found;
}

const SEPARATORS = new Set([';', '&', '&&', '||', ';;', ';;&', ';&', '(', ')']);
const OUTPUT = new Set(['>', '>>', '>|', '&>', '&>>', '<>']);

/** What shell-quote returns; its types predate operators it now emits (`&>`, `<<<`, `>|`). */
type Entry = string | { op: string; pattern?: string } | { comment: string };

const wordOf = (entry: Entry | undefined): string | undefined =>
  typeof entry === 'string'
    ? entry
    : entry && 'op' in entry && entry.op === 'glob'
      ? entry.pattern
      : undefined;

function toSegments(
  entries: Entry[],
  heredocs: Heredoc[],
): { segments: Segment[]; problem?: string } {
  const segments: Segment[] = [];
  let current: Segment = { words: [], writes: [] };
  let problem: string | undefined;
  const finish = (piped: boolean) => {
    if (current.words.length || current.writes.length) segments.push(current);
    current = piped ? { words: [], writes: [], stdin: 'pipe' } : { words: [], writes: [] };
  };
  for (let i = 0; i < entries.length; i += 1) {
    const entry = entries[i];
    const word = wordOf(entry);
    if (word !== undefined) {
      current.words.push(word);
      continue;
    }
    if (entry === undefined || typeof entry === 'string' || !('op' in entry)) break;
    const op = entry.op;
    if (SEPARATORS.has(op)) {
      finish(false);
      continue;
    }
    if (op === '|' || op === '|&') {
      finish(true);
      continue;
    }
    const target = wordOf(entries[i + 1]);
    if (target === undefined) {
      problem = `\`${op}\` has nothing after it`;
      continue;
    }
    i += 1;
    // A descriptor number before the operator (`2>`) belongs to the redirection.
    if (op !== '<<<' && /^\d+$/.test(current.words.at(-1) ?? '')) current.words.pop();
    if (OUTPUT.has(op) || (op === '>&' && !/^(\d+-?|-)$/.test(target))) {
      if (!NOT_WRITTEN.test(target)) current.writes.push(target);
    } else if (op === '<') {
      current.stdin = 'file';
    } else if (op === '<<<') {
      const heredoc = HEREDOC_MARK.exec(target);
      const doc = heredoc ? heredocs[Number(heredoc[1])] : undefined;
      if (doc) {
        current.stdin = 'heredoc';
        current.heredoc = doc;
      } else {
        current.stdin = 'herestring';
        current.heredoc = { body: target, literal: true };
      }
    } else if (op !== '>&' && op !== '<&') {
      problem = `\`${op}\` is not understood here`;
    }
  }
  finish(false);
  return problem ? { segments, problem } : { segments };
}
