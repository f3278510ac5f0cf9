import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The policy runs inside the workflow sandbox: no I/O, no clock, no randomness, and only
// shell-quote from outside the folder.
const here = path.dirname(fileURLToPath(import.meta.url));
const sources = readdirSync(here).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));

describe('the policy module', () => {
  it('has sources to check', () => {
    expect(sources).toEqual(expect.arrayContaining(['index.ts', 'classify.ts', 'commands.ts']));
  });

  it.each(sources)('%s imports only its own files and shell-quote', (file) => {
    const text = readFileSync(path.join(here, file), 'utf8');
    const imports = [...text.matchAll(/\bfrom\s+'([^']+)'|\bimport\s*\(\s*'([^']+)'/g)].map(
      (m) => m[1] ?? m[2],
    );
    for (const specifier of imports) {
      expect(
        specifier === 'shell-quote' || specifier?.startsWith('./'),
        `${file} imports ${specifier}`,
      ).toBe(true);
    }
    expect(text).not.toMatch(/['"]node:/);
    expect(text).not.toMatch(
      /\bnew Date\b|\bDate\.now\b|\bMath\.random\b|\bprocess\.|\brequire\(|\bperformance\.|\bsetTimeout\(|\bfetch\(/,
    );
  });

  it('loads shell-quote by a named import in plain Node ESM', () => {
    const script =
      "import { parse } from 'shell-quote'; console.log(JSON.stringify(parse('a | b')));";
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: here,
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual(['a', { op: '|' }, 'b']);
  });
});
