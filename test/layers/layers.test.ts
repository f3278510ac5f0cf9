import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { cruise } from 'dependency-cruiser';
import type { IConfiguration } from 'dependency-cruiser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The layer rules of `npm run lint`, run over a small tree that breaks each of them on purpose,
// so a rule that stopped matching (a renamed folder, a typo in a pattern) fails here.
const config = createRequire(import.meta.url)('../../.dependency-cruiser.cjs') as IConfiguration;

const files: Record<string, string> = {
  'package.json': '{"type":"module"}',
  'lib/config.ts': "import { thing } from '../activities/thing.js';\nexport const c = thing;\n",
  'activities/thing.ts': 'export const thing = 1;\n',
  'workflows/flow.ts':
    "import { readFileSync } from 'node:fs';\nimport type { Thing } from '../activities/types.js';\nimport { helper } from './helper.js';\nexport const f = (t: Thing) => [readFileSync, helper, t];\n",
  'workflows/helper.ts': 'export const helper = 1;\n',
  'activities/types.ts': 'export type Thing = number;\n',
  'bots/slack.ts': "import { thing } from '../activities/thing.js';\nexport const s = thing;\n",
  'broker/a.ts': "import type { B } from './b.js';\nexport type A = { b?: B };\n",
  'broker/b.ts': "import type { A } from './a.js';\nexport type B = { a?: A };\n",
  'web/route.ts':
    "import { startDynamiq } from '../app/start.js';\nexport const r = startDynamiq;\n",
  'app/start.ts': 'export const startDynamiq = 1;\n',
  'mcp/registry.ts': "import { fake } from '../test/fakes/x.js';\nexport const m = fake;\n",
  'test/fakes/x.ts': 'export const fake = 1;\n',
};

let dir: string;
let violations: Array<{ rule: string; from: string; to: string }>;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dynamiq-layers-'));
  for (const [name, text] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await fs.writeFile(path.join(dir, name), text);
  }
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const result = await cruise(['.'], {
      validate: true,
      ruleSet: { forbidden: config.forbidden ?? [] },
      tsPreCompilationDeps: true,
      doNotFollow: { path: 'node_modules' },
    });
    const output = result.output as Exclude<typeof result.output, string>;
    violations = output.summary.violations.map((v) => ({
      rule: v.rule.name,
      from: v.from,
      to: v.to,
    }));
  } finally {
    process.chdir(cwd);
  }
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('layer rules', () => {
  it('refuse lib/ importing another part', () => {
    expect(violations).toContainEqual({
      rule: 'lib-is-a-leaf',
      from: 'lib/config.ts',
      to: 'activities/thing.ts',
    });
  });

  it('refuse a workflow importing node I/O, but allow type imports and its own helpers', () => {
    const fromFlow = violations.filter((v) => v.from === 'workflows/flow.ts');
    expect(fromFlow.map((v) => [v.rule, v.to])).toEqual([['workflows-allowlist', 'fs']]);
  });

  it('refuse a front end importing activities', () => {
    expect(violations).toContainEqual({
      rule: 'bots-not-activities',
      from: 'bots/slack.ts',
      to: 'activities/thing.ts',
    });
  });

  it('refuse cycles made of type-only imports', () => {
    expect(violations.filter((v) => v.rule === 'no-circular').map((v) => v.from)).toContain(
      'broker/a.ts',
    );
  });

  it('refuse importing the composition root or test fakes from product code', () => {
    expect(violations).toContainEqual(
      expect.objectContaining({ rule: 'nothing-imports-app', from: 'web/route.ts' }),
    );
    expect(violations).toContainEqual(
      expect.objectContaining({ rule: 'product-not-tests', from: 'mcp/registry.ts' }),
    );
  });
});
