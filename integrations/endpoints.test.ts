import { describe, expect, it } from 'vitest';
import {
  EndpointOverrideError,
  catalog,
  checkEndpointOverrides,
  getIntegration,
  resolveEndpoints,
  type EndpointOverride,
  type Integration,
} from './index.js';

const get = (id: string): Integration => {
  const integration = getIntegration(id);
  if (!integration) throw new Error(`no ${id} in catalog`);
  return integration;
};

describe('resolveEndpoints', () => {
  it("returns the catalog's endpoints when nothing is overridden", () => {
    expect(resolveEndpoints(get('gitlab'))).toEqual({
      apiBaseUrl: 'https://gitlab.com/api/v4',
      authorizeUrl: 'https://gitlab.com/oauth/authorize',
      tokenUrl: 'https://gitlab.com/oauth/token',
      revokeUrl: 'https://gitlab.com/oauth/revoke',
      unresolved: [],
    });
  });

  it('applies GitHub Enterprise overrides and keeps the rest', () => {
    const resolved = resolveEndpoints(get('github'), {
      github: {
        apiBaseUrl: 'https://ghe.acme.test/api/v3',
        authorizeUrl: 'https://ghe.acme.test/login/oauth/authorize',
        tokenUrl: 'https://ghe.acme.test/login/oauth/access_token',
      },
    });
    expect(resolved).toMatchObject({
      apiBaseUrl: 'https://ghe.acme.test/api/v3',
      authorizeUrl: 'https://ghe.acme.test/login/oauth/authorize',
      tokenUrl: 'https://ghe.acme.test/login/oauth/access_token',
      revokeUrl: 'https://api.github.com/applications/{client_id}/token',
    });
  });

  it('applies only the override for its own integration', () => {
    const overrides = { gitlab: { apiBaseUrl: 'https://git.acme.test/api/v4' } };
    expect(resolveEndpoints(get('github'), overrides).apiBaseUrl).toBe('https://api.github.com');
    expect(resolveEndpoints(get('gitlab'), overrides).apiBaseUrl).toBe(
      'https://git.acme.test/api/v4',
    );
  });

  it('does not modify the catalog entry', () => {
    const github = get('github');
    resolveEndpoints(github, { github: { apiBaseUrl: 'https://ghe.acme.test/api/v3' } });
    expect(github.apiBaseUrl).toBe('https://api.github.com');
  });

  it('lets tests point an integration at a local fake over plain http', () => {
    const resolved = resolveEndpoints(get('datadog'), {
      datadog: { apiBaseUrl: 'http://127.0.0.1:4010/' },
    });
    expect(resolved.apiBaseUrl).toBe('http://127.0.0.1:4010');
  });

  it('overrides the MCP server URL of a direct MCP integration', () => {
    const resolved = resolveEndpoints(get('sentry'), {
      sentry: { mcpServerUrl: 'https://sentry-mcp.acme.test/mcp' },
    });
    expect(resolved.mcpServerUrl).toBe('https://sentry-mcp.acme.test/mcp');
    expect(resolved.registrationUrl).toBe('https://mcp.sentry.dev/oauth/register');
  });

  it('reports placeholders that only configuration can fill', () => {
    expect(resolveEndpoints(get('grafana')).unresolved).toEqual(['apiBaseUrl']);
    const configured = resolveEndpoints(get('grafana'), {
      grafana: { apiBaseUrl: 'https://acme.grafana.net' },
    });
    expect(configured.unresolved).toEqual([]);
    // The OAuth broker fills {client_id} itself, so it is not missing configuration.
    expect(resolveEndpoints(get('github')).unresolved).toEqual([]);
  });

  // Typed loosely on purpose: overrides arrive from configuration files, typos included.
  it.each<[string, Record<string, string>, string]>([
    ['a relative URL', { apiBaseUrl: '/api' }, '"github".apiBaseUrl must be an absolute URL'],
    [
      'a non-http scheme',
      { tokenUrl: 'ftp://ghe.acme.test/token' },
      '"github".tokenUrl must use http or https',
    ],
    [
      'an unknown field',
      { apiBaseURL: 'https://x.test' },
      '"github".apiBaseURL is not an endpoint',
    ],
  ])('rejects %s, naming integration and field', (_, override, message) => {
    expect(() => resolveEndpoints(get('github'), { github: override as EndpointOverride })).toThrow(
      EndpointOverrideError,
    );
    expect(() => resolveEndpoints(get('github'), { github: override as EndpointOverride })).toThrow(
      message,
    );
  });

  it('rejects overriding an endpoint the integration does not have', () => {
    expect(() =>
      resolveEndpoints(get('datadog'), { datadog: { authorizeUrl: 'https://x.test/authorize' } }),
    ).toThrow('"datadog".authorizeUrl cannot be set: the integration has none');
  });
});

describe('checkEndpointOverrides', () => {
  it('accepts valid overrides for known integrations', () => {
    expect(() =>
      checkEndpointOverrides({ datadog: { apiBaseUrl: 'https://api.datadoghq.eu' } }, catalog),
    ).not.toThrow();
  });

  it('rejects overrides for integrations that do not exist', () => {
    expect(() =>
      checkEndpointOverrides({ githb: { apiBaseUrl: 'https://x.test' } }, catalog),
    ).toThrow('"githb".* names no integration in the catalog');
  });

  it('rejects a bad URL anywhere in the map', () => {
    expect(() =>
      checkEndpointOverrides({ gitlab: {}, pagerduty: { apiBaseUrl: 'not a url' } }, catalog),
    ).toThrow('"pagerduty".apiBaseUrl must be an absolute URL');
  });
});
