import { cloud } from './catalog/cloud.js';
import { communication } from './catalog/communication.js';
import { dataAnalytics } from './catalog/data-analytics.js';
import { developerToolsMcp } from './catalog/developer-tools-mcp.js';
import { developerToolsCli } from './catalog/developer-tools.js';
import { monitoring } from './catalog/monitoring.js';
import { productivityWork } from './catalog/productivity-work.js';
import { productivityWorkspace } from './catalog/productivity-workspace.js';
import { loadCatalog } from './load.js';
import type { Category, Integration, IntegrationInput, ProviderType } from './schema.js';

/**
 * Every catalog entry, unvalidated, in display order. To add an integration, append one entry to
 * the file for its category; only a new category file needs a line here.
 */
export const catalogEntries: readonly IntegrationInput[] = [
  ...developerToolsCli,
  ...developerToolsMcp,
  ...cloud,
  ...dataAnalytics,
  ...productivityWorkspace,
  ...productivityWork,
  ...communication,
  ...monitoring,
];

/**
 * The validated, frozen catalog. Validation runs when this module is first imported, so a broken
 * entry stops start-up (and every test) with a message naming the entry and field.
 */
export const catalog: readonly Integration[] = loadCatalog(catalogEntries);

const byId: ReadonlyMap<string, Integration> = new Map(catalog.map((i) => [i.id, i]));

export function getIntegration(id: string): Integration | undefined {
  return byId.get(id);
}

export interface IntegrationFilter {
  category?: Category;
  providerType?: ProviderType;
  /** Leave out to get both enabled and disabled entries. */
  enabled?: boolean;
}

/** Catalog entries matching every given criterion, in catalog order. */
export function listIntegrations(filter: IntegrationFilter = {}): readonly Integration[] {
  return catalog.filter(
    (i) =>
      (filter.category === undefined || i.category === filter.category) &&
      (filter.providerType === undefined || i.providerType === filter.providerType) &&
      (filter.enabled === undefined || i.enabled === filter.enabled),
  );
}
