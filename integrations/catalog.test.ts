import { describe, expect, it } from 'vitest';
import {
  CATEGORIES,
  CATEGORY_LABELS,
  PROVIDER_TYPES,
  catalog,
  catalogEntries,
  getIntegration,
  integrationSchema,
  listIntegrations,
  loadCatalog,
  type Category,
  type ProviderType,
} from './index.js';

// The seed's table of 37 integrations with its categories, and the provider type its catalog
// gives each one. Names are the seed's own.
const SEED: ReadonlyArray<readonly [name: string, category: string, providerType: ProviderType]> = [
  ['GitHub', 'Developer Tools', 'cli'],
  ['Stripe', 'Developer Tools', 'cli'],
  ['Vercel', 'Developer Tools', 'cli'],
  ['Supabase', 'Developer Tools', 'cli'],
  ['Neon', 'Developer Tools', 'cli'],
  ['Cloudflare', 'Developer Tools', 'cli'],
  ['Sentry', 'Developer Tools', 'direct_mcp'],
  ['Linear', 'Developer Tools', 'mcp'],
  ['Jira', 'Developer Tools', 'mcp'],
  ['Confluence', 'Developer Tools', 'mcp'],
  ['ClickUp', 'Developer Tools', 'mcp'],
  ['AWS', 'Cloud', 'cloud_cli'],
  ['Google Cloud', 'Cloud', 'cloud_cli'],
  ['Microsoft Azure', 'Cloud', 'cloud_cli'],
  ['IBM Cloud', 'Cloud', 'cloud_cli'],
  ['Oracle Cloud', 'Cloud', 'cloud_cli'],
  ['Kubernetes', 'Cloud', 'cloud_cli'],
  ['Snowflake', 'Data & Analytics', 'cli'],
  ['Databricks', 'Data & Analytics', 'cli'],
  ['Gmail', 'Productivity', 'mcp'],
  ['Google Calendar', 'Productivity', 'mcp'],
  ['Google Drive', 'Productivity', 'mcp'],
  ['OneDrive', 'Productivity', 'mcp'],
  ['SharePoint', 'Productivity', 'mcp'],
  ['Notion', 'Productivity', 'mcp'],
  ['Asana', 'Productivity', 'mcp'],
  ['Monday.com', 'Productivity', 'mcp'],
  ['Trello', 'Productivity', 'mcp'],
  ['Airtable', 'Productivity', 'mcp'],
  ['HubSpot', 'Productivity', 'mcp'],
  ['Slack', 'Communication', 'mcp'],
  ['Discord', 'Communication', 'mcp'],
  ['Microsoft Teams', 'Communication', 'mcp'],
  ['Outlook', 'Communication', 'mcp'],
  ['Datadog', 'Monitoring', 'api'],
  ['New Relic', 'Monitoring', 'api'],
  ['PagerDuty', 'Monitoring', 'api'],
];

const byName = (name: string) => catalog.find((i) => i.name === name);

describe('catalog', () => {
  it('validates every entry on its own', () => {
    for (const entry of catalogEntries) {
      const result = integrationSchema.safeParse(entry);
      expect(result.success, `${entry.id}: ${result.error?.message}`).toBe(true);
    }
  });

  it('loads all entries, at least the 39 the seed promises', () => {
    expect(catalog).toHaveLength(catalogEntries.length);
    expect(catalog.length).toBeGreaterThanOrEqual(39);
  });

  it('has unique kebab-case ids', () => {
    const ids = catalog.map((i) => i.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it('lists the seed table exactly once each', () => {
    expect(SEED).toHaveLength(37);
    expect(new Set(SEED.map(([name]) => name)).size).toBe(37);
  });

  it.each(SEED)('has %s in %s as a %s integration', (name, label, providerType) => {
    const integration = byName(name);
    expect(integration, `${name} is missing`).toBeDefined();
    expect(CATEGORY_LABELS[integration!.category]).toBe(label);
    expect(integration!.providerType).toBe(providerType);
  });

  it('keeps the seed catalog extras and adds GitLab and Grafana', () => {
    expect(getIntegration('fireflies')?.providerType).toBe('api');
    expect(getIntegration('canva')?.providerType).toBe('api');
    expect(getIntegration('gitlab')).toMatchObject({
      providerType: 'cli',
      cli: { command: 'glab' },
    });
    expect(getIntegration('grafana')).toMatchObject({
      providerType: 'api',
      category: 'monitoring',
    });
  });

  it('uses every category and provider type', () => {
    expect(new Set(catalog.map((i) => i.category))).toEqual(new Set(CATEGORIES));
    expect(new Set(catalog.map((i) => i.providerType))).toEqual(new Set(PROVIDER_TYPES));
  });

  it('uses the real Pipedream slugs for the seed examples', () => {
    const slug = (id: string) => getIntegration(id)?.mcp;
    expect(slug('gmail')).toEqual({ provider: 'pipedream', appSlug: 'gmail' });
    expect(slug('google-drive')).toEqual({ provider: 'pipedream', appSlug: 'google_drive' });
    expect(slug('linear')).toEqual({ provider: 'pipedream', appSlug: 'linear_app' });
    expect(slug('sentry')).toEqual({ provider: 'direct', serverUrl: 'https://mcp.sentry.dev/mcp' });
  });

  it('records the cheap key checks named in the issue', () => {
    expect(getIntegration('github')?.keyCheck).toEqual({
      kind: 'http',
      method: 'GET',
      path: '/user',
    });
    expect(getIntegration('stripe')?.keyCheck).toMatchObject({ path: '/v1/balance' });
    expect(getIntegration('datadog')?.keyCheck).toMatchObject({ path: '/api/v1/validate' });
    expect(getIntegration('stripe')?.cli?.env).toContain('STRIPE_API_KEY');
    expect(getIntegration('github')?.cli?.env).toContain('GH_TOKEN');
  });

  it('is frozen so callers cannot edit shared entries', () => {
    const github = getIntegration('github')!;
    expect(Object.isFrozen(catalog)).toBe(true);
    expect(Object.isFrozen(github)).toBe(true);
    expect(Object.isFrozen(github.oauth?.scopes)).toBe(true);
  });

  it('accepts a new entry appended to the list', () => {
    const extra = { ...catalogEntries[0]!, id: 'github-second', name: 'GitHub (second org)' };
    expect(loadCatalog([...catalogEntries, extra])).toHaveLength(catalogEntries.length + 1);
  });
});

describe('getIntegration', () => {
  it('finds by id and returns undefined for unknown ids', () => {
    expect(getIntegration('aws')?.name).toBe('AWS');
    expect(getIntegration('nope')).toBeUndefined();
  });
});

describe('listIntegrations', () => {
  it('returns everything without a filter', () => {
    expect(listIntegrations()).toEqual(catalog);
  });

  it.each(CATEGORIES)('filters by category %s', (category: Category) => {
    const listed = listIntegrations({ category });
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.every((i) => i.category === category)).toBe(true);
    expect(listed).toEqual(catalog.filter((i) => i.category === category));
  });

  it('combines category and provider type', () => {
    const listed = listIntegrations({ category: 'developer-tools', providerType: 'direct_mcp' });
    expect(listed.map((i) => i.id)).toEqual(['sentry']);
  });

  it('filters by enabled flag', () => {
    expect(listIntegrations({ enabled: true })).toHaveLength(
      catalog.filter((i) => i.enabled).length,
    );
    expect(listIntegrations({ enabled: false })).toHaveLength(
      catalog.filter((i) => !i.enabled).length,
    );
  });
});
