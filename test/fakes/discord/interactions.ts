import { generateKeyPairSync, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/** An Ed25519 key pair as a Discord application has one: the public key in hex for settings. */
export function discordKeyPair(): { publicKeyHex: string; privateKey: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });
  return { publicKeyHex: Buffer.from(jwk.x!, 'base64url').toString('hex'), privateKey };
}

/** The headers Discord sends with an interaction: Ed25519 over timestamp + body. */
export function signedHeaders(
  privateKey: KeyObject,
  body: string,
  timestampSec = Math.floor(Date.now() / 1000),
) {
  const timestamp = String(timestampSec);
  const signature = sign(null, Buffer.from(timestamp + body), privateKey).toString('hex');
  return {
    'content-type': 'application/json',
    'x-signature-ed25519': signature,
    'x-signature-timestamp': timestamp,
  };
}

let counter = 0;
/** A fresh snowflake-shaped id for a test interaction. */
export function interactionId(): string {
  return String(
    1_400_000_000_000_000_000n + BigInt(Date.now() % 1_000_000) * 1000n + BigInt(counter++),
  );
}

/** Interactions as Discord sends them (API v10 JSON), signed, posted to /discord/interactions. */
export function interactionSender(url: string, privateKey: KeyObject, applicationId: string) {
  const post = async (
    payload: unknown,
    init: { timestampSec?: number; headers?: Record<string, string> } = {},
  ) => {
    const body = JSON.stringify(payload);
    const res = await fetch(`${url}/discord/interactions`, {
      method: 'POST',
      headers: { ...signedHeaders(privateKey, body, init.timestampSec), ...init.headers },
      body,
    });
    const text = await res.text();
    return { status: res.status, text, json: () => JSON.parse(text) as Record<string, unknown> };
  };
  const member = (user: { id: string; username: string }) => ({
    user: { ...user, discriminator: '0', avatar: null, global_name: null },
    roles: [],
    permissions: '1071698660929',
    nick: null,
    joined_at: new Date().toISOString(),
  });
  return {
    post,
    ping: () =>
      post({
        id: interactionId(),
        application_id: applicationId,
        type: 1,
        token: 'ping-token',
        version: 1,
      }),
    command(input: {
      id?: string;
      token: string;
      guildId: string;
      channelId: string;
      user: { id: string; username: string };
      prompt: string;
    }) {
      const id = input.id ?? interactionId();
      return post({
        id,
        application_id: applicationId,
        type: 2,
        token: input.token,
        version: 1,
        guild_id: input.guildId,
        channel_id: input.channelId,
        channel: { id: input.channelId, type: 0, guild_id: input.guildId, name: 'ops' },
        member: member(input.user),
        app_permissions: '1071698660929',
        locale: 'en-US',
        guild_locale: 'en-US',
        entitlements: [],
        authorizing_integration_owners: { '0': input.guildId },
        context: 0,
        data: {
          id: '1500000000000000001',
          name: 'dynamiq',
          type: 1,
          options: [{ name: 'prompt', type: 3, value: input.prompt }],
        },
      });
    },
    button(input: {
      token: string;
      guildId: string;
      channelId: string;
      messageId: string;
      user: { id: string; username: string };
      customId: string;
    }) {
      return post({
        id: interactionId(),
        application_id: applicationId,
        type: 3,
        token: input.token,
        version: 1,
        guild_id: input.guildId,
        channel_id: input.channelId,
        channel: { id: input.channelId, type: 11, guild_id: input.guildId, name: 'thread' },
        member: member(input.user),
        message: { id: input.messageId, channel_id: input.channelId, content: '', components: [] },
        data: { custom_id: input.customId, component_type: 2 },
        locale: 'en-US',
      });
    },
  };
}
