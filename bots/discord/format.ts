// Discord renders markdown itself, so the agent's answer stays markdown: what this module does
// is fit it into Discord's limits without breaking it (2,000 characters a message, a code
// block closed at the end of one part and reopened in the next).

/** Discord's limit on a message's content, in characters. */
export const MESSAGE_LIMIT = 2_000;
/** Longer answers than this many messages arrive as their first part and a file. */
export const MAX_MESSAGES_PER_ANSWER = 5;
/** The attachment a long answer arrives in. */
export const ANSWER_FILE_NAME = 'answer.md';

const FENCE = /^ {0,3}(`{3,}|~{3,})(.*)$/;

interface Block {
  /** Lines of the block; blank lines after it belong to it, so joining blocks loses nothing. */
  lines: string[];
  /** Set for a fenced code block: its opening line and the marker that closes it. */
  code?: { opener: string; closer: string };
}

/** What a fence line opens (its marker), or null when the line is not a fence. */
function fenceOf(line: string): { marker: string; info: string } | null {
  const m = FENCE.exec(line);
  if (!m) return null;
  const marker = m[1]!;
  // A backtick fence's info string may not contain a backtick (CommonMark 4.5).
  if (marker[0] === '`' && m[2]!.includes('`')) return null;
  return { marker, info: m[2]!.trim() };
}

/** Whether `line` closes a block opened with `closer` (same character, at least as long). */
function closes(line: string, closer: string): boolean {
  const f = fenceOf(line);
  return !!f && f.info === '' && f.marker[0] === closer[0] && f.marker.length >= closer.length;
}

/** Splits markdown into paragraphs and fenced code blocks (an unclosed fence runs to the end). */
function blocksOf(text: string): Block[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let current: Block | null = null;
  let inCode = false;
  for (const line of lines) {
    if (inCode) {
      current!.lines.push(line);
      if (closes(line, current!.code!.closer)) inCode = false;
      continue;
    }
    const fence = fenceOf(line);
    if (fence) {
      current = { lines: [line], code: { opener: line, closer: fence.marker } };
      blocks.push(current);
      inCode = true;
      continue;
    }
    if (line.trim() === '') {
      if (current) current.lines.push(line);
      else blocks.push((current = { lines: [line] }));
      continue;
    }
    // A paragraph starts after a blank line or a code block, and continues otherwise.
    const last = current?.lines.at(-1);
    if (!current || current.code || last === undefined || last.trim() === '') {
      current = { lines: [line] };
      blocks.push(current);
    } else {
      current.lines.push(line);
    }
  }
  return blocks;
}

/** A line longer than `room` cut into pieces, at a space where one is near the end. */
function cutLine(line: string, room: number): string[] {
  const pieces: string[] = [];
  let rest = line;
  while (rest.length > room) {
    const space = rest.lastIndexOf(' ', room);
    const at = space > room / 2 ? space + 1 : room;
    pieces.push(rest.slice(0, at));
    rest = rest.slice(at);
  }
  pieces.push(rest);
  return pieces;
}

/** Packs lines into pieces of at most `room` characters (lines joined by newlines). */
function packLines(lines: string[], room: number): string[][] {
  const pieces: string[][] = [];
  let current: string[] = [];
  let length = -1;
  for (const line of lines.flatMap((l) => cutLine(l, room))) {
    if (current.length && length + 1 + line.length > room) {
      pieces.push(current);
      current = [];
      length = -1;
    }
    current.push(line);
    length += 1 + line.length;
  }
  if (current.length) pieces.push(current);
  return pieces;
}

/** A block too long for one message, as pieces that each fit (code reopened in each). */
function splitBlock(block: Block, limit: number): string[] {
  if (!block.code) return packLines(block.lines, limit).map((p) => p.join('\n'));
  const { opener, closer } = block.code;
  const inner = block.lines.slice(1);
  // The closing fence (and blank lines after it) are put back on the last piece.
  let closeAt = inner.length;
  while (closeAt > 0 && inner[closeAt - 1]!.trim() === '') closeAt--;
  const closed = closeAt > 0 && closes(inner[closeAt - 1]!, closer);
  const body = inner.slice(0, closed ? closeAt - 1 : closeAt);
  const room = limit - opener.length - closer.length - 2;
  const pieces = packLines(body.length ? body : [''], Math.max(room, 1));
  return pieces.map((piece) => [opener, ...piece, closer].join('\n'));
}

/**
 * Splits markdown into messages of at most `limit` characters, at paragraph or code-block
 * boundaries where it can; a code block that must be split is closed at the end of one part
 * and reopened (with its language) at the start of the next, and an unclosed one is closed.
 */
export function splitMarkdown(text: string, limit = MESSAGE_LIMIT): string[] {
  const parts: string[] = [];
  let current = '';
  const flush = () => {
    const trimmed = current.replace(/\s+$/, '');
    if (trimmed.trim()) parts.push(trimmed);
    current = '';
  };
  for (const block of blocksOf(text)) {
    let raw = block.lines.join('\n');
    if (block.code && !closesBlock(block)) raw = `${raw.replace(/\s+$/, '')}\n${block.code.closer}`;
    const joined = current ? `${current}\n${raw}` : raw;
    if (joined.replace(/\s+$/, '').length <= limit) {
      current = joined;
      continue;
    }
    flush();
    if (raw.replace(/\s+$/, '').length <= limit) {
      current = raw;
      continue;
    }
    const pieces = splitBlock(block, limit);
    for (const piece of pieces.slice(0, -1))
      if (piece.trim()) parts.push(piece.replace(/\s+$/, ''));
    current = pieces.at(-1)!;
  }
  flush();
  return parts;
}

function closesBlock(block: Block): boolean {
  const inner = block.lines.slice(1).filter((l) => l.trim() !== '');
  return inner.length > 0 && closes(inner.at(-1)!, block.code!.closer);
}

/** How an answer goes out: its messages, and the whole text as a file when it is too long. */
export interface AnswerPlan {
  messages: string[];
  file?: { name: string; content: string };
}

/** An answer as Discord messages; past MAX_MESSAGES_PER_ANSWER, its start and a file. */
export function planAnswer(text: string): AnswerPlan {
  const parts = splitMarkdown(text.trim() ? text : '_(no answer)_');
  if (parts.length <= MAX_MESSAGES_PER_ANSWER) return { messages: parts };
  const note = `\n\n_The answer is ${text.length.toLocaleString('en')} characters long: the whole of it is in ${ANSWER_FILE_NAME}._`;
  const head = splitMarkdown(text, MESSAGE_LIMIT - note.length)[0]!;
  return {
    messages: [`${head}${note}`],
    file: { name: ANSWER_FILE_NAME, content: text },
  };
}

/** A message's text without the bot's own mentions (`<@id>`, `<@!id>`), trimmed. */
export function stripMention(content: string, botUserId: string): string {
  return content
    .replace(new RegExp(`<@!?${botUserId}>`, 'g'), ' ')
    .replace(/[ \t]{2,}/g, ' ')
    .trim();
}

/** Text shown inline in a code span or block, unable to close it early. */
export function codeSafe(text: string): string {
  return text.replace(/```/g, '`\u200b``');
}
