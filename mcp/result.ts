import type { CallToolResult, ContentBlock } from '@modelcontextprotocol/sdk/types.js';

/** A tool's answer, bounded in size, with a plain-text rendering for the LLM. */
export interface McpToolResult {
  app: string;
  tool: string;
  /** The tool reported a failure; `text` says what went wrong, for the LLM to react to. */
  isError: boolean;
  /** The server's content blocks, large text cut and large binary blocks replaced by a note. */
  content: ContentBlock[];
  /** Structured output, when the tool has some and it fits in the limit. */
  structuredContent: Record<string, unknown> | undefined;
  /** Every block rendered as text (binary data described, not included), within the limit. */
  text: string;
  /** True when anything was cut or left out. */
  truncated: boolean;
  /** Length of the full rendering before cutting, in characters. */
  totalChars: number;
}

export const DEFAULT_MAX_RESULT_CHARS = 50_000;

/**
 * Bounds a result to `maxChars` so one verbose tool cannot flood the LLM's context or the
 * history store. The cut is marked in the text itself, so the model knows to ask for less.
 */
export function boundResult(
  app: string,
  tool: string,
  result: CallToolResult,
  maxChars = DEFAULT_MAX_RESULT_CHARS,
): McpToolResult {
  const blocks = result.content ?? [];
  const structured = result.structuredContent;
  const rendered = blocks.length
    ? blocks.map(renderBlock).join('\n')
    : structured
      ? JSON.stringify(structured)
      : '';
  let truncated = false;
  let budget = maxChars;
  const content: ContentBlock[] = [];
  for (const block of blocks) {
    const size = blockSize(block);
    if (size <= budget) {
      content.push(block);
      budget -= size;
    } else if (block.type === 'text' && budget > 0) {
      content.push({ ...block, text: block.text.slice(0, budget) });
      budget = 0;
      truncated = true;
    } else {
      content.push({ type: 'text', text: `[${renderBlock(block)} left out: over the size limit]` });
      truncated = true;
    }
  }
  let structuredContent = structured;
  if (structured && JSON.stringify(structured).length > maxChars) {
    structuredContent = undefined;
    truncated = true;
  }
  let text = rendered;
  if (rendered.length > maxChars) {
    text = `${rendered.slice(0, maxChars)}\n\n[truncated: showing ${maxChars} of ${rendered.length} characters; ask for less, e.g. a narrower query or one page]`;
    truncated = true;
  }
  return {
    app,
    tool,
    isError: result.isError === true,
    content,
    structuredContent,
    text,
    truncated,
    totalChars: rendered.length,
  };
}

function blockSize(block: ContentBlock): number {
  switch (block.type) {
    case 'text':
      return block.text.length;
    case 'image':
    case 'audio':
      return block.data.length;
    case 'resource':
      return 'text' in block.resource ? block.resource.text.length : block.resource.blob.length;
    default:
      return JSON.stringify(block).length;
  }
}

/** Text as is; anything binary described by type, MIME type and size, never inlined. */
function renderBlock(block: ContentBlock): string {
  switch (block.type) {
    case 'text':
      return block.text;
    case 'image':
    case 'audio':
      return `[${block.type} ${block.mimeType}, ${base64Bytes(block.data)} bytes]`;
    case 'resource_link':
      return `[resource link ${block.name}: ${block.uri}]`;
    case 'resource': {
      const r = block.resource;
      if ('text' in r) return r.text;
      return `[resource ${r.uri}${r.mimeType ? ` ${r.mimeType}` : ''}, ${base64Bytes(r.blob)} bytes]`;
    }
    default:
      return JSON.stringify(block);
  }
}

function base64Bytes(data: string): number {
  return Math.floor((data.length * 3) / 4) - (data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0);
}
