import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { catalog, getIntegration } from '../index.js';
import { oauthClientsFromEnv, oauthEnvNames, requireOAuthClient } from './clients.js';
import { buildAuthorizeUrl, createPkce, hashState, randomState } from './oauth-client.js';

describe('OAuth clients from the environment', () => {
  it('names variables in upper snake case', () => {
    expect(oauthEnvNames('google-drive')).toEqual({
      clientId: 'OAUTH_GOOGLE_DRIVE_CLIENT_ID',
      clientSecret: 'OAUTH_GOOGLE_DRIVE_CLIENT_SECRET',
    });
  });

  it('reads oauth2 integrations only, trims values and allows public clients', () => {
    const clients = oauthClientsFromEnv(
      {
        OAUTH_GITHUB_CLIENT_ID: ' gh-id ',
        OAUTH_GITHUB_CLIENT_SECRET: 'gh-secret',
        OAUTH_GOOGLE_DRIVE_CLIENT_ID: 'gd-id',
        OAUTH_GOOGLE_DRIVE_CLIENT_SECRET: '',
        OAUTH_STRIPE_CLIENT_ID: 'stripe is api_key',
      },
      catalog,
    );
    expect(Object.fromEntries(clients)).toEqual({
      github: { clientId: 'gh-id', clientSecret: 'gh-secret' },
      'google-drive': { clientId: 'gd-id' },
    });
  });

  it('refuses a secret without its client id, naming the missing variable', () => {
    expect(() => oauthClientsFromEnv({ OAUTH_GITLAB_CLIENT_SECRET: 's' }, catalog)).toThrow(
      'OAUTH_GITLAB_CLIENT_SECRET is set but OAUTH_GITLAB_CLIENT_ID is not',
    );
  });

  it('tells the administrator which variables to set', () => {
    expect(() => requireOAuthClient(new Map(), getIntegration('notion')!)).toThrow(
      /OAUTH_NOTION_CLIENT_ID and OAUTH_NOTION_CLIENT_SECRET/,
    );
  });
});

describe('PKCE and state', () => {
  it('derives the S256 challenge from a 43-character verifier', async () => {
    const { verifier, challenge } = await createPkce();
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(challenge).toBe(createHash('sha256').update(verifier).digest('base64url'));
    expect((await createPkce()).verifier).not.toBe(verifier);
  });

  it('stores states only as their sha256', () => {
    const state = randomState();
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(hashState(state)).toBe(createHash('sha256').update(state).digest('hex'));
  });

  it('keeps query parameters already in the authorize URL', () => {
    const url = new URL(
      buildAuthorizeUrl({
        authorizeUrl: 'https://auth.example.com/authorize?audience=api.example.com',
        client: { clientId: 'cid' },
        redirectUri: 'https://dynamiq.example.com/api/integrations/oauth/callback',
        state: 'st',
        scopes: ['a', 'b'],
        codeChallenge: undefined,
      }),
    );
    expect(Object.fromEntries(url.searchParams)).toEqual({
      audience: 'api.example.com',
      response_type: 'code',
      client_id: 'cid',
      redirect_uri: 'https://dynamiq.example.com/api/integrations/oauth/callback',
      state: 'st',
      scope: 'a b',
    });
  });
});
