import type { IntegrationInput } from '../schema.js';
import { composioDocs, mcpInstructions, microsoftOAuth, pipedreamDocs } from './shared.js';

// Dynamiq already talks to users over Slack, Teams and Discord as a bot; these integrations are
// for acting as the user elsewhere (other channels, DMs, search), so they need their own consent.

const NOT_THIS_CHAT =
  'Reply to the current conversation normally; use these tools only for other channels, people or searches.';

/** Chat and email. */
export const communication: IntegrationInput[] = [
  {
    id: 'slack',
    name: 'Slack',
    description: 'Post and read messages, search, and manage channels and files in Slack.',
    category: 'communication',
    providerType: 'mcp',
    authType: 'oauth2',
    mcp: { provider: 'pipedream', appSlug: 'slack' },
    oauth: {
      authorizeUrl: 'https://slack.com/oauth/v2/authorize',
      tokenUrl: 'https://slack.com/api/oauth.v2.access',
      revokeUrl: 'https://slack.com/api/auth.revoke',
      // User-token scopes (sent as `user_scope`), so messages and searches act as the user.
      scopes: [
        'channels:read',
        'channels:history',
        'groups:read',
        'chat:write',
        'users:read',
        'search:read',
        'files:write',
      ],
      pkce: false,
      dialect: 'slack',
    },
    longLivedKeyOnly: false,
    agentInstructions: mcpInstructions(
      'Slack',
      `${NOT_THIS_CHAT} Messages are posted as the user, so show the text and channel before sending.`,
    ),
    capabilities: ['messages', 'channels', 'search', 'users', 'files', 'reactions'],
    docsUrl: pipedreamDocs('slack'),
    enabled: true,
  },
  {
    id: 'discord',
    name: 'Discord',
    description: 'Servers, channels and messages in Discord.',
    category: 'communication',
    providerType: 'mcp',
    authType: 'oauth2',
    mcp: { provider: 'pipedream', appSlug: 'discord' },
    oauth: {
      authorizeUrl: 'https://discord.com/oauth2/authorize',
      tokenUrl: 'https://discord.com/api/oauth2/token',
      revokeUrl: 'https://discord.com/api/oauth2/token/revoke',
      scopes: ['identify', 'guilds'],
      pkce: false,
    },
    longLivedKeyOnly: false,
    agentInstructions: mcpInstructions(
      'Discord',
      `${NOT_THIS_CHAT} Resolve the server (guild) and channel ids before posting.`,
    ),
    capabilities: ['messages', 'channels', 'guilds', 'members'],
    docsUrl: pipedreamDocs('discord'),
    enabled: true,
  },
  {
    id: 'microsoft-teams',
    name: 'Microsoft Teams',
    description: 'Teams, channels, chats and messages in Microsoft Teams.',
    category: 'communication',
    providerType: 'mcp',
    authType: 'oauth2',
    mcp: { provider: 'composio', appSlug: 'microsoft_teams' },
    // ChannelMessage.Read.All needs tenant admin consent.
    oauth: microsoftOAuth([
      'Team.ReadBasic.All',
      'Channel.ReadBasic.All',
      'ChannelMessage.Read.All',
      'ChannelMessage.Send',
      'Chat.ReadWrite',
    ]),
    longLivedKeyOnly: false,
    agentInstructions: mcpInstructions(
      'Microsoft Teams',
      `${NOT_THIS_CHAT} Resolve the team and channel first; chats and channel messages are different tools.`,
    ),
    capabilities: ['messages', 'channels', 'teams', 'chats'],
    docsUrl: composioDocs('microsoft_teams'),
    enabled: true,
  },
  {
    id: 'outlook',
    name: 'Outlook',
    description: 'Microsoft 365 mail, calendar and contacts.',
    category: 'communication',
    providerType: 'mcp',
    authType: 'oauth2',
    mcp: { provider: 'composio', appSlug: 'outlook' },
    oauth: microsoftOAuth(['Mail.ReadWrite', 'Mail.Send', 'Calendars.ReadWrite', 'Contacts.Read']),
    longLivedKeyOnly: false,
    agentInstructions: mcpInstructions(
      'Outlook',
      "Prefer drafts over sending directly, and state meeting times in the user's time zone.",
    ),
    capabilities: ['email', 'drafts', 'calendar', 'contacts'],
    docsUrl: composioDocs('outlook'),
    enabled: true,
  },
];
