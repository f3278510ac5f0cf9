import { signSlack } from './web-api.js';

/** Posts payloads to the product's /slack/events exactly as Slack sends them, signed. */
export function slackSender(url: string, signingSecret: string) {
  const post = async (
    body: string,
    contentType: string,
    headers: Record<string, string> = {},
    timestampSec?: number,
  ) => {
    const res = await fetch(`${url}/slack/events`, {
      method: 'POST',
      headers: {
        'content-type': contentType,
        ...signSlack(signingSecret, body, timestampSec),
        ...headers,
      },
      body,
    });
    const text = await res.text();
    return { status: res.status, text, json: () => JSON.parse(text) as Record<string, unknown> };
  };
  return {
    post,
    /** A slash command: a form body, as Slack posts it. */
    command(
      fields: Record<string, string>,
      opts: { headers?: Record<string, string>; timestampSec?: number } = {},
    ) {
      const body = new URLSearchParams({
        command: '/dynamiq',
        token: 'legacy',
        api_app_id: 'A0FAKE',
        ...fields,
      }).toString();
      return post(body, 'application/x-www-form-urlencoded', opts.headers, opts.timestampSec);
    },
    /** An Events API callback: JSON. */
    event(
      teamId: string,
      eventId: string,
      event: Record<string, unknown>,
      opts: { headers?: Record<string, string>; botUserId?: string } = {},
    ) {
      const body = JSON.stringify({
        token: 'legacy',
        team_id: teamId,
        api_app_id: 'A0FAKE',
        event,
        type: 'event_callback',
        event_id: eventId,
        event_time: Math.floor(Date.now() / 1000),
        authorizations: [
          {
            team_id: teamId,
            user_id: opts.botUserId ?? 'UBOT',
            is_bot: true,
            is_enterprise_install: false,
          },
        ],
      });
      return post(body, 'application/json', opts.headers);
    },
    /** An interactivity payload (a button click): a form with one `payload` field. */
    interaction(payload: Record<string, unknown>) {
      return post(
        new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
        'application/x-www-form-urlencoded',
      );
    },
  };
}
