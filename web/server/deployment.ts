/** What the deployment runs on, as plain non-secret values (the composition root fills it). */
export interface DeploymentFacts {
  llm: { configured: boolean; baseUrl: string | null; model: string };
  temporal: { address: string; embedded: boolean; namespace: string; uiUrl: string | null };
  database: { kind: 'postgresql' | 'embedded' };
  sandbox: { provider: 'local' | 'e2b'; network: 'proxied' | 'shared' | 'none'; e2bKey: boolean };
  eventBus: 'memory' | 'postgres';
  mcpProviders: { pipedream: boolean; composio: boolean };
  /** Which chat platforms are configured (Slack: Socket Mode or the request URL). */
  chat?: { slack: false | 'http' | 'socket'; teams: boolean; discord: boolean };
  /** True when the master key came from DYNAMIQ_MASTER_KEY (not a generated local file). */
  masterKeyFromEnv: boolean;
}
