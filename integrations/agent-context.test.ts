import { describe, expect, it } from 'vitest';
import { buildAgentContext, catalog, getIntegration, type Integration } from './index.js';

const instructions = (id: string) => getIntegration(id)!.agentInstructions;

function availableLine(context: string): string {
  return context.split('\n').find((line) => line.startsWith('Available but not connected:')) ?? '';
}

function availableNames(context: string): string[] {
  const list = /^Available but not connected: (.*?)\. If a request/.exec(availableLine(context));
  return list?.[1]?.split(', ') ?? [];
}

describe('buildAgentContext', () => {
  const connected = [
    { integrationId: 'github', accountLabel: 'octocat' },
    { integrationId: 'gmail', accountLabel: 'ops@acme.test' },
    { integrationId: 'datadog' },
  ];
  const context = buildAgentContext(connected);

  it("includes each connected integration's instructions and capabilities", () => {
    for (const { integrationId } of connected) {
      const integration = getIntegration(integrationId)!;
      expect(context).toContain(integration.agentInstructions);
      expect(context).toContain(`Capabilities: ${integration.capabilities.join(', ')}.`);
    }
  });

  it("leaves out every unconnected integration's instructions", () => {
    const connectedIds = new Set(connected.map((c) => c.integrationId));
    for (const integration of catalog.filter((i) => !connectedIds.has(i.id))) {
      expect(context, integration.id).not.toContain(integration.agentInstructions);
      expect(context).not.toContain(`## ${integration.name}\n`);
    }
  });

  it('says how to reach each kind of integration', () => {
    expect(context).toContain(
      'Access: run `gh` in the sandbox; credentials are already set (GH_TOKEN).',
    );
    expect(context).toContain('Access: MCP tools from Pipedream, app `gmail`.');
    expect(context).toContain('Access: HTTP API at https://api.datadoghq.com;');
    expect(context).toContain(
      'adds DD-API-KEY, DD-APPLICATION-KEY, so send no credentials yourself',
    );
    const sentry = buildAgentContext([{ integrationId: 'sentry' }]);
    expect(sentry).toContain(
      'Access: MCP tools from the official server https://mcp.sentry.dev/mcp.',
    );
    const aws = buildAgentContext([{ integrationId: 'aws' }]);
    expect(aws).toContain('Access: run `aws` in the sandbox; session credentials are already set');
  });

  it('names the connected account', () => {
    expect(context).toContain('## GitHub (account: octocat)');
    expect(context).toContain('## Gmail (account: ops@acme.test)');
    expect(context).toContain('## Datadog\n');
  });

  it('lists every other enabled integration once as available to connect', () => {
    const names = availableNames(context);
    for (const integration of catalog) {
      const listed = names.includes(integration.name);
      expect(listed, integration.name).toBe(
        !['github', 'gmail', 'datadog'].includes(integration.id),
      );
    }
    expect(availableNames(context).slice(0, 4)).toEqual(['Airtable', 'Asana', 'AWS', 'Canva']);
  });

  it('is deterministic whatever the input order, duplicates and label order', () => {
    const shuffled = buildAgentContext([
      { integrationId: 'datadog' },
      { integrationId: 'gmail', accountLabel: 'ops@acme.test' },
      { integrationId: 'github', accountLabel: 'octocat' },
      { integrationId: 'github', accountLabel: 'octocat' },
    ]);
    expect(shuffled).toBe(context);
    expect(buildAgentContext(connected)).toBe(context);
  });

  it('merges several accounts of one integration, sorted', () => {
    const text = buildAgentContext([
      { integrationId: 'aws', accountLabel: 'prod' },
      { integrationId: 'aws', accountLabel: 'dev' },
      { integrationId: 'aws', accountLabel: ' ' },
    ]);
    expect(text).toContain('## AWS (accounts: dev, prod)');
    expect(text.match(/## AWS/g)).toHaveLength(1);
  });

  it('ignores connections to integrations the catalog no longer has', () => {
    expect(buildAgentContext([{ integrationId: 'retired-service' }, ...connected])).toBe(context);
  });

  it('says when nothing is connected and still offers everything', () => {
    const text = buildAgentContext([]);
    expect(text).toContain('No integrations are connected for this user.');
    expect(availableNames(text)).toHaveLength(catalog.filter((i) => i.enabled).length);
    expect(text).not.toContain(instructions('github'));
  });

  it('skips disabled integrations, connected or not', () => {
    const integrations: Integration[] = catalog.map((i) =>
      i.id === 'stripe' || i.id === 'github' ? { ...i, enabled: false } : i,
    );
    const text = buildAgentContext([{ integrationId: 'github' }], { integrations });
    expect(text).not.toContain(instructions('github'));
    expect(text).not.toContain('Stripe');
    expect(text).not.toContain('GitHub');
  });

  it('uses endpoint overrides and the proxy URL when given', () => {
    const text = buildAgentContext([{ integrationId: 'datadog' }], {
      endpointOverrides: { datadog: { apiBaseUrl: 'https://api.datadoghq.eu' } },
      apiProxyUrl: 'http://broker.internal:8080/proxy/',
    });
    expect(text).toContain('HTTP API at https://api.datadoghq.eu;');
    expect(text).toContain('send requests to http://broker.internal:8080/proxy/datadog/<path>');
  });

  it('ends with a single newline', () => {
    expect(context.endsWith('\n')).toBe(true);
    expect(context.endsWith('\n\n')).toBe(false);
  });
});
