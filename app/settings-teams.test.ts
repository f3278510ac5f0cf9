import { describe, expect, it } from 'vitest';
import { loadConfig } from '../lib/config/index.js';
import { resolveSettings } from './settings.js';

const problems = (env: Record<string, string>) => {
  try {
    resolveSettings(loadConfig(env));
    return '';
  } catch (err) {
    return (err as Error).message;
  }
};

describe('Teams settings', () => {
  it('are on with an app id and a password, and take the endpoint overrides', () => {
    const config = loadConfig({
      MICROSOFT_APP_ID: 'app',
      MICROSOFT_APP_PASSWORD: 'secret',
      MICROSOFT_OPENID_METADATA_URL: 'http://127.0.0.1:1/v1/.well-known/openidconfiguration',
      MICROSOFT_TOKEN_URL: 'http://127.0.0.1:1/t/oauth2/v2.0/token',
    });
    expect(config.teams).toMatchObject({
      enabled: true,
      appType: 'MultiTenant',
      openIdMetadataUrl: 'http://127.0.0.1:1/v1/.well-known/openidconfiguration',
      tokenUrl: 'http://127.0.0.1:1/t/oauth2/v2.0/token',
    });
    expect(loadConfig({}).teams.enabled).toBe(false);
    expect(loadConfig({ MICROSOFT_APP_TYPE: '' }).teams.appType).toBe('MultiTenant');
  });

  it('name what is missing from half a configuration', () => {
    expect(problems({ MICROSOFT_APP_ID: 'app' })).toContain('MICROSOFT_APP_PASSWORD is needed');
    expect(problems({ MICROSOFT_APP_PASSWORD: 'secret' })).toContain('MICROSOFT_APP_ID is needed');
    expect(
      problems({
        MICROSOFT_APP_ID: 'app',
        MICROSOFT_APP_PASSWORD: 'secret',
        MICROSOFT_APP_TYPE: 'SingleTenant',
      }),
    ).toContain('MICROSOFT_APP_TENANT_ID is needed when MICROSOFT_APP_TYPE is SingleTenant');
    expect(
      problems({
        MICROSOFT_APP_ID: 'app',
        MICROSOFT_APP_TYPE: 'UserAssignedMSI',
        MICROSOFT_APP_TENANT_ID: 'tenant',
      }),
    ).toBe('');
    expect(() => loadConfig({ MICROSOFT_APP_TYPE: 'Other' })).toThrow(/MICROSOFT_APP_TYPE/);
  });
});
