import { describe, expect, it } from 'vitest';
import { checkRoles } from '../../app/roles.js';
import { resolveSettings } from '../../app/settings.js';
import { ConfigError, loadConfig } from '../../lib/config/index.js';

const KEY = 'ab'.repeat(32);
const full = {
  DISCORD_BOT_TOKEN: 'token',
  DISCORD_PUBLIC_KEY: KEY,
  DISCORD_APPLICATION_ID: '1200000000000000002',
};
const problems = (env: Record<string, string>) => {
  try {
    resolveSettings(loadConfig(env));
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
};

describe('Discord settings', () => {
  it('is enabled with all three set, off with none, and defaults its API base', () => {
    expect(loadConfig(full).discord).toEqual({
      enabled: true,
      botToken: 'token',
      publicKey: KEY,
      applicationId: '1200000000000000002',
      apiUrl: 'https://discord.com/api',
    });
    expect(loadConfig({}).discord.enabled).toBe(false);
    expect(problems({})).toEqual([]);
    expect(loadConfig({ ...full, DISCORD_API_URL: 'http://127.0.0.1:9/api/' }).discord.apiUrl).toBe(
      'http://127.0.0.1:9/api',
    );
  });

  it('names what a partial set lacks', () => {
    expect(problems({ DISCORD_BOT_TOKEN: 'token' })).toEqual([
      expect.stringMatching(/^Discord needs DISCORD_PUBLIC_KEY and DISCORD_APPLICATION_ID as well/),
    ]);
    expect(problems({ DISCORD_BOT_TOKEN: 'token', DISCORD_PUBLIC_KEY: KEY })).toEqual([
      expect.stringMatching(/^Discord needs DISCORD_APPLICATION_ID as well/),
    ]);
  });

  it('refuses a public key or application id of the wrong shape', () => {
    expect(() => loadConfig({ ...full, DISCORD_PUBLIC_KEY: 'xyz' })).toThrow(/DISCORD_PUBLIC_KEY/);
    expect(() => loadConfig({ ...full, DISCORD_APPLICATION_ID: 'app' })).toThrow(
      /DISCORD_APPLICATION_ID/,
    );
  });

  it('a gateway role on its own needs the shared database and Temporal', () => {
    expect(() => checkRoles(loadConfig(full), new Set(['gateway']))).toThrow(/DATABASE_URL/);
    expect(() => checkRoles(loadConfig(full), new Set(['api', 'worker', 'gateway']))).not.toThrow();
  });
});
