import type { Db } from '../../lib/db/index.js';
import type { OutgoingActivity, TeamsApiError, TeamsConnector } from './connector.js';
import { renderMessages } from './format.js';
import type { StoredReference, TeamsConversations, TeamsPostRow, TeamsPosts } from './store.js';

/** What both the api (live progress) and the worker (answers, approvals) post with. */
export interface TeamsContext {
  db: Db;
  connector: TeamsConnector;
  conversations: TeamsConversations;
  posts: TeamsPosts;
}

/**
 * How long Dynamiq keeps a native stream open, in ms. Teams ends a stream after two minutes;
 * past this the stream is closed with what it has and the answer follows as a new message.
 */
export const STREAM_MAX_MS = 100_000;

export const markdownMessage = (text: string): OutgoingActivity => ({
  type: 'message',
  text,
  textFormat: 'markdown',
});

/** The `streaminfo` entity (and its channelData twin) of a streaming update. */
export function streamInfo(
  streamType: 'informative' | 'streaming' | 'final',
  streamId: string | null,
  streamSequence?: number,
) {
  const info = {
    streamType,
    ...(streamId ? { streamId } : {}),
    ...(streamType === 'final' ? {} : { streamSequence }),
  };
  return { entities: [{ type: 'streaminfo', ...info }], channelData: info };
}

const refused = (err: unknown) => {
  const status = (err as TeamsApiError).httpStatus;
  return status !== undefined && status >= 400 && status < 500 && status !== 429;
};

/**
 * Finishes the turn's answer on the row the caller holds: ends the native stream with the
 * answer's first part (or, when the stream is past Teams' two minutes or refused, posts it),
 * edits the progress message, or posts; every further part follows as its own message.
 * Returns the ids of the messages the answer occupies.
 */
export async function finishAnswer(
  ctx: TeamsContext,
  reference: StoredReference,
  row: TeamsPostRow,
  text: string,
  replyToId: string | undefined,
): Promise<{ activityId: string; extraIds: string[] }> {
  const [first, ...rest] = renderMessages(text);
  let activityId: string | null = null;
  if (row.state === 'streaming' && row.activityId) {
    const age = Date.now() - (row.streamStartedAt?.getTime() ?? 0);
    if (age < STREAM_MAX_MS + 15_000) {
      try {
        await ctx.connector.send(
          reference,
          { ...markdownMessage(first!), ...streamInfo('final', row.activityId) },
          replyToId,
        );
        activityId = row.activityId;
      } catch (err) {
        // Teams ended the stream itself (timeout, the person pressed stop): post instead.
        if (!refused(err)) throw err;
      }
    }
  } else if (row.state === 'message' && row.activityId) {
    await ctx.connector.update(reference, row.activityId, markdownMessage(first!));
    activityId = row.activityId;
  }
  activityId ??= await ctx.connector.send(reference, markdownMessage(first!), replyToId);
  const extraIds: string[] = [];
  for (const part of rest) {
    extraIds.push(await ctx.connector.send(reference, markdownMessage(part), replyToId));
  }
  return { activityId, extraIds };
}

/** Loads a stored message's text (a turn's answer). */
export async function answerText(db: Db, messageId: string): Promise<string> {
  const message = await db.message.findUnique({
    where: { id: messageId },
    select: { content: true },
  });
  if (!message) throw new Error(`answer ${messageId} not found`);
  return message.content;
}
