// Markdown (what the LLM writes) to Slack: mrkdwn sections for posted messages, split so no
// message breaks Slack's limits and nothing is cut. Streams take the markdown as it is.

/** Slack's limits (https://docs.slack.dev/reference/block-kit/blocks): characters per section, blocks per message. */
export const SECTION_CHARS = 3_000;
export const BLOCKS_PER_MESSAGE = 50;
/** markdown_text per chat.startStream / appendStream / stopStream call. */
export const STREAM_CALL_CHARS = 12_000;
/** Text streamed into one message at most; a longer answer is finished as several messages. */
export const STREAM_TEXT_LIMIT = 11_000;
/** Messages one answer may take in the thread; a longer one is posted as a file instead. */
export const MESSAGES_PER_ANSWER = 6;

export interface SlackMessagePart {
  /** Notification and fallback text. */
  text: string;
  blocks: Array<{ type: 'section'; text: { type: 'mrkdwn'; text: string } }>;
}

/** Converts CommonMark-ish markdown to Slack mrkdwn, leaving code spans and fences alone. */
export function markdownToMrkdwn(markdown: string): string {
  return markdown
    .split(/(```[\s\S]*?(?:```|$))/)
    .map((part, i) => (i % 2 === 1 ? part.replace(/^```[\w+-]*\n/, '```\n') : inline(part)))
    .join('');
}

function inline(text: string): string {
  return text
    .split(/(`[^`\n]+`)/)
    .map((part, i) => {
      if (i % 2 === 1) return part;
      return part
        .replace(/&/g, '&amp;')
        .replace(/</g, '&lt;')
        .replace(/>/g, '&gt;')
        .replace(/^&gt; ?/gm, '> ')
        .replace(
          /^#{1,6}\s+(.+?)\s*#*$/gm,
          (_m, title: string) => `\u0001${title.replace(/\*\*/g, '')}\u0001`,
        )
        .replace(/!?\[([^\]]+)\]\((https?:\/\/[^)\s]+)\)/g, '<$2|$1>')
        .replace(/^(\s*)[-*+]\s+/gm, '$1• ')
        .replace(/(\*\*|__)(?=\S)([\s\S]*?\S)\1/g, '\u0001$2\u0001')
        .replace(/(^|[^*\w])\*(?=\S)([^*\n]*?\S)\*(?!\*)/g, '$1_$2_')
        .replaceAll('\u0001', '*')
        .replace(/~~(?=\S)([\s\S]*?\S)~~/g, '~$1~');
    })
    .join('');
}

/**
 * The answer as Slack messages: one section per markdown block (paragraph, list, fence),
 * sections over 3,000 characters split at line ends (fences closed and reopened), at most 50
 * blocks a message. Joining every section's text gives back the whole answer.
 */
export function renderMessages(markdown: string): SlackMessagePart[] {
  const sections = splitBlocks(markdown).flatMap((block) => splitSection(markdownToMrkdwn(block)));
  if (sections.length === 0) sections.push(' ');
  const parts: SlackMessagePart[] = [];
  for (let i = 0; i < sections.length; i += BLOCKS_PER_MESSAGE) {
    const chunk = sections.slice(i, i + BLOCKS_PER_MESSAGE);
    parts.push({
      text: summary(chunk[0]!),
      blocks: chunk.map((text) => ({ type: 'section', text: { type: 'mrkdwn', text } })),
    });
  }
  return parts;
}

/** Markdown blocks separated by blank lines; a code fence stays one block. */
export function splitBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  let current: string[] = [];
  let inFence = false;
  for (const line of markdown.replace(/\r\n/g, '\n').split('\n')) {
    if (/^\s*```/.test(line)) inFence = !inFence;
    if (!inFence && line.trim() === '') {
      if (current.length) blocks.push(current.join('\n'));
      current = [];
    } else {
      current.push(line);
    }
  }
  if (current.length) blocks.push(current.join('\n'));
  return blocks;
}

function splitSection(text: string): string[] {
  if (text.length <= SECTION_CHARS) return [text];
  const fenced = text.startsWith('```');
  const budget = SECTION_CHARS - (fenced ? 8 : 0);
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > budget) {
    let cut = rest.lastIndexOf('\n', budget);
    if (cut < budget / 2) cut = budget;
    pieces.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^\n/, '');
  }
  pieces.push(rest);
  if (!fenced) return pieces;
  return pieces.map((p, i) => {
    const open = i === 0 ? p : '```\n' + p;
    return i === pieces.length - 1 ? open : open + '\n```';
  });
}

function summary(text: string): string {
  const plain = text.replace(/[*_~`>]/g, '').trim();
  return plain.length > 150 ? `${plain.slice(0, 149)}…` : plain || ' ';
}

/**
 * Text as Slack shows it literally in mrkdwn: `&`, `<` and `>` escaped, as Slack requires, so a
 * command or a reason holding `<!channel>` or `<https://…|…>` can neither ping a channel nor
 * render a disguised link.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
