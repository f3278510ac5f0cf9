import { DynamiqError } from '../lib/errors/index.js';
import { integrationSchema, type Integration } from './schema.js';

/** Thrown when catalog entries are invalid; `problems` has one line per entry and field. */
export class CatalogError extends DynamiqError {
  constructor(readonly problems: readonly string[]) {
    super(
      'dynamiq.integrations.invalid_catalog',
      `Invalid integration catalog:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'CatalogError';
  }
}

function entryLabel(raw: unknown, index: number): string {
  const id = (raw as { id?: unknown } | null)?.id;
  return typeof id === 'string' && id !== '' ? `integration "${id}"` : `integration #${index}`;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * Validates every entry and collects all problems before failing, so one start-up shows
 * everything a catalog edit broke rather than the first mistake only.
 */
export function loadCatalog(entries: readonly unknown[]): readonly Integration[] {
  const problems: string[] = [];
  const valid: Integration[] = [];
  const seen = new Map<string, number>();

  entries.forEach((raw, index) => {
    const label = entryLabel(raw, index);
    const result = integrationSchema.safeParse(raw);
    if (!result.success) {
      for (const issue of result.error.issues) {
        const field = issue.path.length > 0 ? issue.path.join('.') : '(entry)';
        problems.push(`${label}: ${field}: ${issue.message}`);
      }
      return;
    }
    const first = seen.get(result.data.id);
    if (first !== undefined) {
      problems.push(`${label}: id: duplicates entry #${first}`);
      return;
    }
    seen.set(result.data.id, index);
    valid.push(result.data);
  });

  if (problems.length > 0) throw new CatalogError(problems);
  return Object.freeze(valid.map(deepFreeze));
}
