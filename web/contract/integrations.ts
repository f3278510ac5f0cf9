import { z } from 'zod';

export const connectionState = z.enum(['connected', 'needs_reconnect', 'not_connected']);
export type ConnectionStateView = z.infer<typeof connectionState>;

/** One catalog entry with the caller's connection; holds no secret. */
export const integrationSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  category: z.string(),
  providerType: z.string(),
  authType: z.string(),
  capabilities: z.array(z.string()).readonly(),
  docsUrl: z.string(),
  /** False when an OAuth entry has no client configured (and cannot register one). */
  connectable: z.boolean(),
  /** api_key/token entries: the names the connect body expects under `credentials`. */
  credentialNames: z.array(z.string()).nullable(),
  /** The vendor's CLI takes only a long-lived key: sandboxes get it only with consent. */
  longLivedKeyOnly: z.boolean(),
  status: connectionState,
  connection: z
    .object({
      accountLabel: z.string().nullable(),
      scopes: z.array(z.string()),
      expiresAt: z.string().nullable(),
      connectedAt: z.string(),
      updatedAt: z.string(),
      lastError: z.string().nullable(),
      sandboxKeyConsentAt: z.string().nullable(),
      /** The credential does not expire: sandbox commands get it only with consent. */
      needsSandboxConsent: z.boolean().optional(),
    })
    .nullable(),
  /** mcp entries only: the provider holding the account (`pipedream`, `composio`). */
  accountProvider: z.string().optional(),
  /** mcp entries only: why the provider could not tell the status. */
  providerError: z.string().nullable().optional(),
});
export type IntegrationView = z.infer<typeof integrationSchema>;

export const integrationsResponse = z.object({ integrations: z.array(integrationSchema) });
export type IntegrationsResponse = z.infer<typeof integrationsResponse>;

/** Integration ids in routes: lower-case words joined by dashes. */
export const integrationIdParams = z.object({
  id: z
    .string()
    .max(64)
    .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, { error: 'must be an integration id such as github' }),
});

/** `POST /api/integrations/{id}/connect` body. */
export const connectBody = z
  .strictObject({
    /** api_key/token integrations: the key(s) by name, e.g. {"token": "..."}. */
    credentials: z
      .record(
        z.string().regex(/^[a-z][A-Za-z]{0,31}$/, 'credential names are camelCase'),
        z.string().trim().min(1).max(16_384),
      )
      .optional(),
    accountLabel: z.string().trim().min(1).max(200).optional(),
  })
  // OAuth connects are usually a POST without a body, which arrives as null.
  .nullish();
export type ConnectBody = z.infer<typeof connectBody>;

/** What a connect answers, by the integration's kind. */
export const oauthConnectResponse = z.object({ authorizeUrl: z.string(), expiresAt: z.string() });
export const providerConnectResponse = z.object({
  connectUrl: z.string(),
  expiresAt: z.string().nullable(),
  provider: z.string(),
});
export type ProviderConnectResponse = z.infer<typeof providerConnectResponse>;
export const keysConnectResponse = z.object({
  integration: integrationSchema,
  /** Whether the provider was asked and accepted the key (false: no check exists for it). */
  checked: z.boolean(),
});
export const connectResponse = z.union([
  oauthConnectResponse,
  providerConnectResponse,
  keysConnectResponse,
]);
export type ConnectResponse = z.infer<typeof connectResponse>;

export const disconnectResponse = z.object({
  integrationId: z.string(),
  revoked: z.boolean().nullable(),
});
export type DisconnectResponse = z.infer<typeof disconnectResponse>;

/** `PUT /api/integrations/{id}/sandbox-consent`. */
export const sandboxConsentBody = z.strictObject({ allow: z.boolean() });
export const sandboxConsentResponse = z.object({
  integrationId: z.string(),
  sandboxKeyConsentAt: z.string().nullable(),
});
export type SandboxConsentResponse = z.infer<typeof sandboxConsentResponse>;
