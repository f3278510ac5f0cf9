// Markdown (what the LLM writes) to what Teams renders. Teams text messages take a markdown
// subset (bold, italic, strike, inline code and fences, lists, links, quotes) but no headings,
// tables, task lists or images, and a message is limited to about 28 KB in all.

/**
 * Bytes of text one message carries at most. Teams refuses an activity over ~28 KB (text,
 * entities and envelope together), so the text keeps well under it.
 */
export const MESSAGE_TEXT_BYTES = 24_000;

const FENCE = /^\s{0,3}(`{3,}|~{3,})(.*)$/;

/** Converts CommonMark-ish markdown to the subset Teams renders, leaving code alone. */
export function markdownToTeams(markdown: string): string {
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  let fence: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const f = FENCE.exec(line);
    if (fence !== null) {
      out.push(line);
      if (f && f[1]!.startsWith(fence) && !f[2]!.trim()) fence = null;
      continue;
    }
    if (f) {
      fence = f[1]!;
      out.push(line);
      continue;
    }
    // A table (header row, then a |---| row) is shown as monospaced text: Teams has no tables.
    if (isTableRow(line) && isTableSeparator(lines[i + 1] ?? '')) {
      out.push('```');
      while (i < lines.length && isTableRow(lines[i]!)) out.push(lines[i++]!);
      out.push('```');
      i--;
      continue;
    }
    out.push(inline(line));
  }
  if (fence !== null) out.push(fence);
  return out.join('\n');
}

function inline(line: string): string {
  const heading = /^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
  if (heading) return `**${heading[1]!.replace(/\*\*/g, '')}**`;
  return line
    .replace(/^(\s*)[-*+]\s+\[ \]\s+/, '$1- ☐ ')
    .replace(/^(\s*)[-*+]\s+\[[xX]\]\s+/, '$1- ☑ ')
    .replace(
      /!\[([^\]]*)\]\((\S+?)\)/g,
      (_m, alt: string, url: string) => `[${alt || url}](${url})`,
    );
}

const isTableRow = (line: string) => /^\s*\|.*\|\s*$/.test(line);
const isTableSeparator = (line: string) => /^\s*\|(\s*:?-{3,}:?\s*\|)+\s*$/.test(line);

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/**
 * The answer as Teams messages, each under `maxBytes` of text: split at paragraph ends where
 * possible, else at line ends, else inside a line; a code fence cut in two is closed and
 * reopened with its language. Nothing is lost: the parts hold every line of the answer.
 */
export function renderMessages(markdown: string, maxBytes = MESSAGE_TEXT_BYTES): string[] {
  const text = markdownToTeams(markdown).trim();
  if (!text) return [' '];
  if (bytes(text) <= maxBytes) return [text];
  const parts: string[] = [];
  let current: string[] = [];
  let size = 0;
  let fence: string | null = null;
  /** Where the last paragraph ended in `current` (a blank line outside code), and its fence. */
  let lastBreak = -1;

  const flush = (upTo = current.length) => {
    const taken = current.slice(0, upTo);
    const rest = current.slice(upTo);
    const openAt = fenceAt(taken);
    const body = taken.join('\n').trim();
    if (body) parts.push(openAt ? `${body}\n${openAt.close}` : body);
    current = openAt ? [openAt.open, ...rest] : rest;
    size = current.reduce((n, l) => n + bytes(l) + 1, 0);
    lastBreak = -1;
  };

  for (const raw of text.split('\n')) {
    // A single line longer than a message: cut it into pieces that fit.
    const pieces = bytes(raw) + 16 > maxBytes ? cutLine(raw, maxBytes - 16) : [raw];
    for (const line of pieces) {
      const need = bytes(line) + 1;
      // Room for a closing fence is kept in every part.
      if (size + need + 8 > maxBytes && current.length) {
        flush(lastBreak > 0 && size > maxBytes / 2 ? lastBreak : current.length);
        if (size + need + 8 > maxBytes && current.length) flush();
      }
      current.push(line);
      size += need;
      const f = FENCE.exec(line);
      if (fence !== null) {
        if (f && f[1]!.startsWith(fence) && !f[2]!.trim()) fence = null;
      } else if (f) {
        fence = f[1]!;
      } else if (!line.trim()) {
        lastBreak = current.length;
      }
    }
  }
  flush();
  return parts.length ? parts : [' '];
}

/** The fence left open at the end of `lines`, as the lines that close and reopen it. */
function fenceAt(lines: string[]): { open: string; close: string } | null {
  let open: { marker: string; line: string } | null = null;
  for (const line of lines) {
    const f = FENCE.exec(line);
    if (!f) continue;
    if (open) {
      if (f[1]!.startsWith(open.marker) && !f[2]!.trim()) open = null;
    } else {
      open = { marker: f[1]!, line: line.trim() };
    }
  }
  return open ? { open: open.line, close: open.marker } : null;
}

function cutLine(line: string, maxBytes: number): string[] {
  const out: string[] = [];
  let piece = '';
  for (const ch of line) {
    if (bytes(piece) + bytes(ch) > maxBytes) {
      out.push(piece);
      piece = '';
    }
    piece += ch;
  }
  if (piece) out.push(piece);
  return out;
}
