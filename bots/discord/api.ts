import { DiscordAPIError, REST, Routes } from 'discord.js';

/** What Dynamiq sends as a message: markdown content, buttons, at most one file. */
export interface MessageBody {
  content?: string;
  components?: object[];
  flags?: number;
  file?: { name: string; content: string };
}

/** Discord's JSON error codes Dynamiq branches on. */
export const DiscordCode = {
  UnknownChannel: 10003,
  UnknownMessage: 10008,
  UnknownWebhook: 10015,
  MissingAccess: 50001,
  CannotSendInChannelType: 50003,
  MissingPermissions: 50013,
  InvalidWebhookToken: 50027,
  ThreadAlreadyExists: 160004,
} as const;

export function discordCode(err: unknown): number | string | undefined {
  return err instanceof DiscordAPIError ? err.code : undefined;
}

/**
 * Discord's REST API through @discordjs/rest (rate limits, retries of 5xx and 429 are its
 * business). Interaction webhooks are called without the bot token, as Discord requires.
 * Mentions in what the agent writes never ping anyone (`allowed_mentions.parse` is empty).
 */
export class DiscordApi {
  readonly rest: REST;

  constructor(
    readonly opts: {
      /** DISCORD_API_URL without the version, e.g. https://discord.com/api. */
      apiUrl: string;
      botToken: string;
      applicationId: string;
    },
  ) {
    this.rest = new REST({ api: opts.apiUrl, version: '10' }).setToken(opts.botToken);
  }

  async createMessage(channelId: string, body: MessageBody): Promise<{ id: string }> {
    return (await this.rest.post(Routes.channelMessages(channelId), request(body))) as {
      id: string;
    };
  }

  async editMessage(channelId: string, messageId: string, body: MessageBody): Promise<void> {
    await this.rest.patch(Routes.channelMessage(channelId, messageId), request(body));
  }

  async deleteMessage(channelId: string, messageId: string): Promise<void> {
    await this.rest.delete(Routes.channelMessage(channelId, messageId));
  }

  async typing(channelId: string): Promise<void> {
    await this.rest.post(Routes.channelTyping(channelId));
  }

  /**
   * A thread started from a message: its id is the message's id. True when it exists now
   * (created, or created before); false when this channel cannot have one (no permission,
   * not a guild text channel, not a message here).
   */
  async ensureThread(channelId: string, messageId: string, name: string): Promise<boolean> {
    try {
      await this.rest.post(Routes.threads(channelId, messageId), {
        body: { name: threadName(name), auto_archive_duration: 1440 },
      });
      return true;
    } catch (err) {
      const code = discordCode(err);
      if (code === DiscordCode.ThreadAlreadyExists) return true;
      if (
        code === DiscordCode.MissingAccess ||
        code === DiscordCode.MissingPermissions ||
        code === DiscordCode.CannotSendInChannelType ||
        code === DiscordCode.UnknownMessage ||
        code === 50024 // cannot execute action on this channel type
      )
        return false;
      throw err;
    }
  }

  /** Edits the interaction's first response (the deferred "thinking…" message). */
  async editOriginal(token: string, body: MessageBody): Promise<void> {
    await this.rest.patch(Routes.webhookMessage(this.opts.applicationId, token, '@original'), {
      ...request(body),
      auth: false,
    });
  }

  async followUp(token: string, body: MessageBody): Promise<{ id: string }> {
    return (await this.rest.post(Routes.webhook(this.opts.applicationId, token), {
      ...request(body),
      auth: false,
    })) as { id: string };
  }

  /** Registers the slash commands: globally, or in one guild (immediate, for testing). */
  async putCommands(
    commands: object[],
    guildId?: string,
  ): Promise<Array<{ id: string; name: string }>> {
    const route = guildId
      ? Routes.applicationGuildCommands(this.opts.applicationId, guildId)
      : Routes.applicationCommands(this.opts.applicationId);
    return (await this.rest.put(route, { body: commands })) as Array<{ id: string; name: string }>;
  }
}

function request(body: MessageBody) {
  const json: Record<string, unknown> = { allowed_mentions: { parse: [] } };
  if (body.content !== undefined) json.content = body.content;
  if (body.components !== undefined) json.components = body.components;
  if (body.flags !== undefined) json.flags = body.flags;
  if (!body.file) return { body: json };
  json.attachments = [{ id: 0, filename: body.file.name }];
  return {
    body: json,
    files: [
      {
        name: body.file.name,
        data: Buffer.from(body.file.content, 'utf8'),
        contentType: 'text/markdown',
      },
    ],
  };
}

/** Thread names are 1–100 characters on one line. */
export function threadName(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return (line.length > 90 ? `${line.slice(0, 89)}…` : line) || 'Dynamiq';
}
