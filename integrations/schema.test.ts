import { describe, expect, it } from 'vitest';
import { CatalogError, loadCatalog, type IntegrationInput } from './index.js';

function validEntry(overrides: Partial<IntegrationInput> = {}): IntegrationInput {
  return {
    id: 'example',
    name: 'Example',
    description: 'A made-up service for tests.',
    category: 'developer-tools',
    providerType: 'cli',
    authType: 'api_key',
    cli: { command: 'example', env: ['EXAMPLE_TOKEN'] },
    longLivedKeyOnly: true,
    agentInstructions: 'Use the `example` CLI for everything.',
    capabilities: ['things'],
    docsUrl: 'https://example.com/docs',
    enabled: true,
    ...overrides,
  };
}

function problemsOf(entries: unknown[]): readonly string[] {
  try {
    loadCatalog(entries);
  } catch (error) {
    expect(error).toBeInstanceOf(CatalogError);
    return (error as CatalogError).problems;
  }
  throw new Error('expected the catalog to be rejected');
}

const oauth = {
  authorizeUrl: 'https://example.com/oauth/authorize',
  tokenUrl: 'https://example.com/oauth/token',
  scopes: ['read'],
  pkce: true,
};

// Each case breaks one rule; the error must name the entry and the field to fix.
const INVALID: ReadonlyArray<readonly [string, Record<string, unknown>, string]> = [
  ['a non-kebab id', { id: 'Bad_Id' }, 'integration "Bad_Id": id: must be kebab-case'],
  ['an unknown category', { category: 'games' }, 'integration "example": category:'],
  [
    'oauth2 without endpoints',
    { authType: 'oauth2', longLivedKeyOnly: false },
    'integration "example": oauth: is required when authType is oauth2',
  ],
  [
    'endpoints without oauth2',
    { oauth },
    'integration "example": oauth: is only allowed when authType is oauth2',
  ],
  [
    'a plain-http token URL',
    {
      authType: 'oauth2',
      longLivedKeyOnly: false,
      oauth: { ...oauth, tokenUrl: 'http://example.com/token' },
    },
    'integration "example": oauth.tokenUrl: must be an https:// URL',
  ],
  [
    'an iss requirement without an issuer',
    { authType: 'oauth2', longLivedKeyOnly: false, oauth: { ...oauth, issRequired: true } },
    'integration "example": oauth.issRequired: needs an issuer to compare iss with',
  ],
  [
    'mcp without a slug',
    { providerType: 'mcp', cli: undefined, mcp: { provider: 'pipedream' } },
    'integration "example": mcp.appSlug: is required',
  ],
  [
    'mcp without a provider block',
    { providerType: 'mcp', cli: undefined },
    'integration "example": mcp.provider: must be pipedream or composio',
  ],
  [
    'direct_mcp without a server',
    { providerType: 'direct_mcp', cli: undefined, mcp: { provider: 'direct' } },
    'integration "example": mcp.serverUrl: is required',
  ],
  [
    'cli without a cli block',
    { cli: undefined },
    'integration "example": cli: is required for cli integrations',
  ],
  [
    'cli without env vars',
    { cli: { command: 'example', env: [] } },
    'integration "example": cli.env:',
  ],
  [
    'a lower-case env var',
    { cli: { command: 'example', env: ['token'] } },
    'integration "example": cli.env.0: must be an UPPER_SNAKE name',
  ],
  [
    'api without a base URL',
    { providerType: 'api', cli: undefined, keyPlacement: [{ in: 'header', name: 'X-Key' }] },
    'integration "example": apiBaseUrl: is required for api integrations',
  ],
  [
    'api without key placement',
    { providerType: 'api', cli: undefined, apiBaseUrl: 'https://api.example.com' },
    'integration "example": keyPlacement: is required for api integrations',
  ],
  [
    'an http key check without a base URL',
    { keyCheck: { kind: 'http', method: 'GET', path: '/me' } },
    'integration "example": apiBaseUrl: is required by an http keyCheck',
  ],
  [
    'a cloud_role outside cloud_cli',
    { authType: 'cloud_role', longLivedKeyOnly: false },
    'integration "example": authType: cloud_role is only for cloud_cli',
  ],
  [
    'a long-lived flag on OAuth',
    { authType: 'oauth2', oauth },
    'integration "example": longLivedKeyOnly: cannot be true with authType oauth2',
  ],
  ['no capabilities', { capabilities: [] }, 'integration "example": capabilities:'],
  ['a missing enabled flag', { enabled: undefined }, 'integration "example": enabled:'],
];

describe('catalog validation', () => {
  it('accepts the valid fixture', () => {
    expect(loadCatalog([validEntry()])).toHaveLength(1);
  });

  it.each(INVALID)('rejects %s, naming the entry and field', (_, change, expected) => {
    const problems = problemsOf([validEntry(change as Partial<IntegrationInput>)]);
    expect(problems.join('\n')).toContain(expected);
  });

  it('rejects unknown fields so typos do not pass silently', () => {
    const problems = problemsOf([{ ...validEntry(), apiBaseURL: 'https://x.example' }]);
    expect(problems.join('\n')).toMatch(/integration "example": .*apiBaseURL/);
  });

  it('labels entries without a usable id by position', () => {
    const problems = problemsOf([validEntry(), { name: 'No id' }]);
    expect(problems.every((p) => p.startsWith('integration #1: '))).toBe(true);
  });

  it('rejects duplicate ids', () => {
    const problems = problemsOf([validEntry(), validEntry({ name: 'Again' })]);
    expect(problems).toEqual(['integration "example": id: duplicates entry #0']);
  });

  it('reports problems from every entry at once', () => {
    const problems = problemsOf([
      validEntry({ id: 'one', cli: undefined }),
      validEntry({ id: 'two', docsUrl: 'nope' }),
    ]);
    expect(problems.some((p) => p.startsWith('integration "one": cli:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('integration "two": docsUrl:'))).toBe(true);
  });

  it('puts every problem in the error message', () => {
    expect(() => loadCatalog([validEntry({ cli: undefined })])).toThrow(
      /Invalid integration catalog:\n {2}- integration "example": cli:/,
    );
  });

  it('accepts URL placeholders for per-tenant hosts', () => {
    const entry = validEntry({
      apiBaseUrl: 'https://{workspace}.example.com',
      keyPlacement: [{ in: 'header', name: 'Authorization', prefix: 'Bearer ' }],
      keyCheck: { kind: 'http', method: 'GET', path: '/me' },
    });
    const [loaded] = loadCatalog([entry]);
    expect(loaded?.apiBaseUrl).toBe('https://{workspace}.example.com');
    expect(loaded?.keyPlacement?.[0]?.credential).toBe('token');
  });
});
