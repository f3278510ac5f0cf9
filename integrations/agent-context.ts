import { resolveEndpoints, type EndpointOverrides } from './endpoints.js';
import { catalog } from './registry.js';
import type { Integration } from './schema.js';

export interface ConnectedIntegration {
  integrationId: string;
  /** What the user recognises the account by, e.g. `octocat` or `ops@example.com`. */
  accountLabel?: string;
}

export interface AgentContextOptions {
  /** Same overrides the broker uses, so the prompt names the URLs the agent will really reach. */
  endpointOverrides?: EndpointOverrides;
  /**
   * Base URL of the API proxy as seen from the sandbox; api integrations are described as
   * `<apiProxyUrl>/<integration id>/<path>`. Default `$DYNAMIQ_API_PROXY`, which every sandbox
   * command has in its environment.
   */
  apiProxyUrl?: string;
  /** Defaults to the built-in catalog; tests pass their own. */
  integrations?: readonly Integration[];
}

// Code-unit order on lower case, so output does not depend on the ICU build's collation.
const byText = (a: string, b: string) => {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  return x < y ? -1 : x > y ? 1 : 0;
};

const MCP_PROVIDER_NAMES = { pipedream: 'Pipedream', composio: 'Composio', direct: 'the vendor' };

function accessLine(i: Integration, options: AgentContextOptions): string {
  const endpoints = resolveEndpoints(i, options.endpointOverrides);
  switch (i.providerType) {
    case 'cli':
      return `Access: run \`${i.cli?.command}\` in the sandbox; credentials are already set (${i.cli?.env.join(', ')}).`;
    case 'cloud_cli':
      return `Access: run \`${i.cli?.command}\` in the sandbox; session credentials are already set (${i.cli?.env.join(', ')}).`;
    case 'mcp':
      return `Access: MCP tools from ${MCP_PROVIDER_NAMES[i.mcp?.provider ?? 'direct']}, app \`${i.mcp?.appSlug}\`.`;
    case 'direct_mcp':
      return `Access: MCP tools from the official server ${endpoints.mcpServerUrl}.`;
    case 'api': {
      const headers = (i.keyPlacement ?? []).map((p) => p.name).join(', ');
      const proxy = (options.apiProxyUrl ?? '$DYNAMIQ_API_PROXY').replace(/\/+$/, '');
      return `Access: HTTP API at ${endpoints.apiBaseUrl}; from the sandbox send requests to ${proxy}/${i.id}/<path> with \`Authorization: Bearer $DYNAMIQ_SANDBOX_TOKEN\`. The proxy adds ${headers}, so send no credentials yourself.`;
    }
  }
}

function section(i: Integration, labels: readonly string[], options: AgentContextOptions): string {
  const accounts =
    labels.length === 0
      ? ''
      : ` (${labels.length === 1 ? 'account' : 'accounts'}: ${labels.join(', ')})`;
  return [
    `## ${i.name}${accounts}`,
    accessLine(i, options),
    `Capabilities: ${i.capabilities.join(', ')}.`,
    i.agentInstructions,
  ].join('\n');
}

/**
 * The system-prompt part describing the user's integrations: for each connected one how to reach
 * it, what it can do and how to use it; then one line naming what could still be connected.
 * Output depends only on the arguments (catalog order, sorted labels), so prompts cache well and
 * tests can compare text. Unknown or disabled integration ids are skipped: a connection may
 * outlive its catalog entry.
 */
export function buildAgentContext(
  connected: readonly ConnectedIntegration[],
  options: AgentContextOptions = {},
): string {
  const integrations = (options.integrations ?? catalog).filter((i) => i.enabled);
  const labels = new Map<string, Set<string>>();
  for (const c of connected) {
    const set = labels.get(c.integrationId) ?? new Set<string>();
    const label = c.accountLabel?.trim();
    if (label) set.add(label);
    labels.set(c.integrationId, set);
  }

  const isConnected = (i: Integration) => labels.has(i.id);
  const connectedList = integrations.filter(isConnected);
  const available = integrations
    .filter((i) => !isConnected(i))
    .map((i) => i.name)
    .sort(byText);

  const parts = ['# Integrations'];
  if (connectedList.length === 0) {
    parts.push('No integrations are connected for this user.');
  } else {
    parts.push(
      `Connected: ${connectedList.map((i) => i.name).join(', ')}. ` +
        'Credentials are provided for you: never ask the user for keys or tokens, and never print them.',
    );
    for (const i of connectedList) {
      const sorted = [...(labels.get(i.id) ?? [])].sort(byText);
      parts.push(section(i, sorted, options));
    }
  }
  if (available.length > 0) {
    parts.push(
      `Available but not connected: ${available.join(', ')}. ` +
        'If a request needs one of these, suggest the user connects it rather than working around it.',
    );
  }
  return parts.join('\n\n') + '\n';
}
