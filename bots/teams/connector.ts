// The only module (with credentials.ts) that speaks botbuilder: authentication of incoming
// activities and the connector calls the rest of bots/teams makes. A move to
// @microsoft/agents-hosting (the same CloudAdapter shape) replaces these two files.
import { CloudAdapter } from 'botbuilder';
import type { Activity, ConversationReference, InvokeResponse, TurnContext } from 'botbuilder';
import {
  AuthenticationConfiguration,
  AuthenticationConstants,
  BotFrameworkAuthenticationFactory,
  JwtTokenProviderFactory,
  ManagedIdentityServiceClientCredentialsFactory,
} from 'botframework-connector';
import type {
  AuthenticateRequestResult,
  BotFrameworkAuthentication,
  ConnectorClient,
  ServiceClientCredentialsFactory,
} from 'botframework-connector';
import { Entity as entityMapper } from 'botframework-connector/lib/connectorApi/models/mappers.js';
import type { TeamsConfig } from '../../lib/config/index.js';
import { DynamiqError } from '../../lib/errors/index.js';
import { ClientSecretCredentialsFactory } from './credentials.js';
import type { StoredReference } from './store.js';

/** Thrown when an incoming activity's Bot Framework JWT does not verify (any reason). */
export class TeamsAuthError extends DynamiqError {
  override name = 'TeamsAuthError';
  constructor(readonly why: string) {
    super('dynamiq.teams.unauthorized', 'Refused: the Bot Framework token did not verify.', {
      status: 401,
      retryable: false,
    });
  }
}

/** Thrown when Teams (the connector at the service URL) refuses or fails a call. */
export class TeamsApiError extends DynamiqError {
  override name = 'TeamsApiError';
  constructor(
    readonly httpStatus: number | undefined,
    message: string,
  ) {
    const retryable = httpStatus === undefined || httpStatus === 429 || httpStatus >= 500;
    super('dynamiq.teams.api', `Teams refused a call (${httpStatus ?? 'no answer'}): ${message}`, {
      status: 502,
      retryable,
      ...(retryable ? { retryAfterMs: 1_000 } : {}),
    });
  }
}

/** What an invoke is answered with: the HTTP status and body Teams reads. */
export interface InvokeAnswer {
  status: number;
  body: unknown;
}

/** The turn as the rest of bots/teams sees it (no botbuilder types outside this file). */
export interface Turn {
  answerInvoke(answer: InvokeAnswer): Promise<void>;
}

/** The proof an activity's token verified, handed from `authenticate` to `run`. */
export type Authenticated = AuthenticateRequestResult;

/** An outgoing activity: what Dynamiq sets; the reference fills in the addresses. */
export type OutgoingActivity = Partial<Activity> & { type: string };

/** The default token endpoint: Entra ID's, for the bot's tenant (botframework.com for multi-tenant). */
export function defaultTokenUrl(config: TeamsConfig): string {
  const tenant =
    config.appType === 'MultiTenant' || !config.tenantId
      ? AuthenticationConstants.DefaultChannelAuthTenant
      : config.tenantId;
  return `${AuthenticationConstants.ToChannelFromBotLoginUrlPrefix}${tenant}/oauth2/v2.0/token`;
}

// botframework-connector serializes an entity with only the fields its mapper names (type,
// text, mentioned) and drops the rest, so a `streaminfo` entity would reach Teams empty. Its
// fields are named here once, so Teams gets the streaming protocol as documented (entities);
// channelData carries the same fields, as the Teams AI library sends them.
const entityFields = entityMapper.type.modelProperties!;
for (const field of ['streamId', 'streamType'] as const) {
  entityFields[field] ??= { serializedName: field, type: { name: 'String' } };
}
entityFields.streamSequence ??= { serializedName: 'streamSequence', type: { name: 'Number' } };

class Adapter extends CloudAdapter {
  runAuthenticated(
    auth: AuthenticateRequestResult,
    activity: Activity,
    logic: (context: TurnContext) => Promise<void>,
  ): Promise<InvokeResponse | undefined> {
    return this.processActivity(auth, activity, logic);
  }
}

/**
 * The bot's side of the Bot Framework protocol: verifies the JWT of each incoming activity
 * (issuer, audience = MICROSOFT_APP_ID, signature against the OpenID metadata's keys, expiry,
 * the `serviceurl` claim against the activity's), runs the turn, and sends, replies and edits
 * proactively from a stored conversation reference with the bot's own token.
 */
export class TeamsConnector {
  readonly appId: string;
  private readonly auth: BotFrameworkAuthentication;
  private readonly adapter: Adapter;

  constructor(config: TeamsConfig) {
    if (!config.appId) throw new Error('MICROSOFT_APP_ID is not set');
    this.appId = config.appId;
    const credentials: ServiceClientCredentialsFactory =
      config.appType === 'UserAssignedMSI'
        ? new ManagedIdentityServiceClientCredentialsFactory(
            config.appId,
            new JwtTokenProviderFactory(),
          )
        : new ClientSecretCredentialsFactory({
            appId: config.appId,
            appPassword: config.appPassword ?? '',
            tokenUrl: config.tokenUrl ?? defaultTokenUrl(config),
          });
    // Every endpoint is passed, so botbuilder takes them as given (its "parameterized" mode).
    this.auth = BotFrameworkAuthenticationFactory.create(
      '',
      true,
      AuthenticationConstants.ToChannelFromBotLoginUrl,
      AuthenticationConstants.ToChannelFromBotOAuthScope,
      config.tokenIssuer ?? AuthenticationConstants.ToBotFromChannelTokenIssuer,
      AuthenticationConstants.OAuthUrl,
      config.openIdMetadataUrl ?? AuthenticationConstants.ToBotFromChannelOpenIdMetadataUrl,
      config.emulatorOpenIdMetadataUrl ??
        AuthenticationConstants.ToBotFromEmulatorOpenIdMetadataUrl,
      'urn:botframework:azure',
      credentials,
      new AuthenticationConfiguration(),
    );
    this.adapter = new Adapter(this.auth);
  }

  /**
   * Verifies the activity's JWT. Whatever goes wrong (a bad, expired or foreign token, an
   * unknown key, Microsoft's keys out of reach) is a TeamsAuthError: the request gets 401.
   */
  async authenticate(activity: object, authHeader: string): Promise<Authenticated> {
    if (!/^Bearer \S+$/.test(authHeader)) throw new TeamsAuthError('no bearer token');
    try {
      return await this.auth.authenticateRequest(activity as Activity, authHeader);
    } catch (err) {
      throw new TeamsAuthError((err as Error).message ?? String(err));
    }
  }

  /** Runs the turn of an authenticated activity; an invoke's answer comes back. */
  async run(
    auth: Authenticated,
    activity: object,
    logic: (turn: Turn) => Promise<void>,
  ): Promise<InvokeAnswer | undefined> {
    const answer = await this.adapter.runAuthenticated(auth, activity as Activity, (context) =>
      logic({
        answerInvoke: async (value) => {
          await context.sendActivity({ type: 'invokeResponse', value });
        },
      }),
    );
    return answer ? { status: answer.status, body: answer.body } : undefined;
  }

  /**
   * Sends an activity into the conversation: as a reply to `replyToId` (the message the turn
   * answers) when given, else to the conversation. Returns the new activity's id.
   */
  async send(
    reference: StoredReference,
    activity: OutgoingActivity,
    replyToId?: string,
  ): Promise<string> {
    return this.withConnector(
      reference,
      async (client, full) => {
        const res = replyToId
          ? await client.conversations.replyToActivity(full.conversation!.id, replyToId, {
              ...full,
              replyToId,
            })
          : await client.conversations.sendToConversation(full.conversation!.id, full);
        return res.id ?? '';
      },
      activity,
    );
  }

  /** Replaces a message the bot posted (its text or card). */
  async update(
    reference: StoredReference,
    activityId: string,
    activity: OutgoingActivity,
  ): Promise<void> {
    await this.withConnector(
      reference,
      async (client, full) => {
        await client.conversations.updateActivity(full.conversation!.id, activityId, {
          ...full,
          id: activityId,
        });
      },
      activity,
    );
  }

  private async withConnector<T>(
    reference: StoredReference,
    call: (client: ConnectorClient, activity: Partial<Activity>) => Promise<T>,
    activity: OutgoingActivity,
  ): Promise<T> {
    const ref = reference as unknown as ConversationReference;
    const full: Partial<Activity> = {
      ...activity,
      channelId: ref.channelId,
      serviceUrl: ref.serviceUrl,
      conversation: ref.conversation,
      ...(ref.bot ? { from: ref.bot } : {}),
      ...(ref.user ? { recipient: ref.user } : {}),
    };
    let result: { value: T } | undefined;
    try {
      await this.adapter.continueConversationAsync(this.appId, ref, async (context) => {
        const client = context.turnState.get<ConnectorClient>(this.adapter.ConnectorClientKey);
        result = { value: await call(client, full) };
      });
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      throw new TeamsApiError(status, (err as Error).message ?? String(err));
    }
    return result!.value;
  }
}
