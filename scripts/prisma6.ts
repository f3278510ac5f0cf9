import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TOOL_DIR = path.join(ROOT, 'tools/prisma6');
const BIN = path.join(TOOL_DIR, 'node_modules/.bin/prisma');

/** Installs the dev-only Prisma 6 CLI (tools/prisma6) when it is missing. */
export function ensurePrisma6(): string {
  if (!existsSync(BIN)) {
    console.error('Installing the Prisma 6 schema-diff tool into tools/prisma6 ...');
    execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: TOOL_DIR,
      stdio: 'inherit',
    });
  }
  return BIN;
}

/**
 * SQL that turns the `from` schema into the `to` schema (`null` = empty database), by
 * Prisma 6's offline differ. Prisma 6 insists on a datasource url that Prisma 7 forbids,
 * so each schema is copied with one added; the differ never connects to it.
 */
export async function diffSchemas(from: string | null, to: string): Promise<string> {
  const bin = ensurePrisma6();
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dynamiq-prisma6-'));
  try {
    const withUrl = async (schema: string, name: string) => {
      const file = path.join(tmp, name);
      await fs.writeFile(
        file,
        schema.replace(/provider\s*=\s*"postgresql"/, '$&\n  url = env("DATABASE_URL")'),
      );
      return file;
    };
    const toFile = await withUrl(to, 'to.prisma');
    const fromArgs =
      from === null
        ? ['--from-empty']
        : ['--from-schema-datamodel', await withUrl(from, 'from.prisma')];
    return execFileSync(
      bin,
      ['migrate', 'diff', ...fromArgs, '--to-schema-datamodel', toFile, '--script'],
      {
        cwd: TOOL_DIR,
        encoding: 'utf8',
        env: {
          ...process.env,
          DATABASE_URL: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
          PRISMA_QUERY_ENGINE_LIBRARY: '/bin/false',
          PRISMA_SCHEMA_ENGINE_BINARY: '/bin/false',
          CHECKPOINT_DISABLE: '1',
          PRISMA_HIDE_UPDATE_MESSAGE: '1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}
