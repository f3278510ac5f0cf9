import { slackErrorCode } from './api.js';
import {
  MESSAGES_PER_ANSWER,
  STREAM_CALL_CHARS,
  STREAM_TEXT_LIMIT,
  renderMessages,
} from './format.js';
import type { SlackPostRow } from './posts.js';
import type { SlackContext, SlackPlace } from './thread.js';

/** What the api streamed into a message, when it is the one finishing it. */
export interface Streamed {
  /** The markdown appended so far. */
  text: string;
  /** False once something shown cannot be taken back (a retried step streamed again). */
  clean: boolean;
  /** Task cards not yet sent. */
  chunks?: object[];
}

/**
 * Finishes the turn's answer on the row the caller holds: stops the live stream (appending
 * what it lacks, or editing it to the stored answer when what was streamed differs), edits a
 * placeholder, or posts; continuation messages (or a file) carry what one message cannot.
 * Returns the ts of every message the answer occupies.
 */
export async function finishAnswer(
  ctx: SlackContext,
  place: SlackPlace,
  row: SlackPostRow,
  text: string,
  streamed?: Streamed,
): Promise<{ ts: string; extraTs: string[] }> {
  const { auth, teamId, channel } = place;
  const call = (method: string, args: Record<string, unknown>) =>
    ctx.api.call<{ ts?: string }>(auth.botToken, teamId, method, { channel, ...args });

  if (row.state === 'streaming' && row.ts) {
    const rest =
      streamed?.clean && text.startsWith(streamed.text) ? text.slice(streamed.text.length) : null;
    if (rest !== null && text.length <= STREAM_TEXT_LIMIT) {
      await call('chat.stopStream', {
        ts: row.ts,
        ...(rest || streamed?.chunks?.length
          ? { chunks: [...(streamed?.chunks ?? []), ...markdownChunks(rest)] }
          : {}),
      });
      return { ts: row.ts, extraTs: [] };
    }
    try {
      await call('chat.stopStream', { ts: row.ts });
    } catch (err) {
      // Stopped already (a previous attempt got this far): edit it below all the same.
      if (slackErrorCode(err) !== 'message_not_in_streaming_state') throw err;
    }
  }
  const parts = renderMessages(text);
  const tooLong = parts.length > MESSAGES_PER_ANSWER;
  const shown = tooLong ? [parts[0]!] : parts;
  let ts = row.ts;
  const extraTs: string[] = [];
  for (const [i, part] of shown.entries()) {
    if (i === 0 && ts && row.state !== 'opening') {
      await call('chat.update', { ts, text: part.text, blocks: part.blocks });
      continue;
    }
    const posted = await call('chat.postMessage', {
      thread_ts: place.threadTs,
      text: part.text,
      blocks: part.blocks,
      unfurl_links: false,
    });
    if (i === 0) ts = posted.ts!;
    else extraTs.push(posted.ts!);
  }
  if (tooLong) {
    await ctx.api.take('files.getUploadURLExternal', teamId, channel);
    const uploaded = await ctx.api.client(auth.botToken).filesUploadV2({
      channel_id: channel,
      thread_ts: place.threadTs,
      content: text,
      filename: 'answer.md',
      title: 'The whole answer',
      initial_comment: 'The answer is too long for Slack messages; here it is in full.',
    });
    const files = (uploaded as { files?: Array<{ files?: Array<{ id?: string }> }> }).files;
    if (files?.length) extraTs.push(`file:${files[0]?.files?.[0]?.id ?? ''}`);
  }
  return { ts: ts!, extraTs };
}

/** Markdown as stream chunks, each within Slack's 12,000 characters per call. */
export function markdownChunks(text: string | null): object[] {
  const chunks: object[] = [];
  for (let i = 0; text && i < text.length; i += STREAM_CALL_CHARS) {
    chunks.push({ type: 'markdown_text', text: text.slice(i, i + STREAM_CALL_CHARS) });
  }
  return chunks;
}
