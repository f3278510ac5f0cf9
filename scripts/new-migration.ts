/**
 * Writes prisma/migrations/<timestamp>_<name>/migration.sql: the change from the schema
 * committed at a git ref (default HEAD; empty when the file is new there) to the working
 * prisma/schema.prisma.   Usage: npm run db:migration -- <name> [--from <git-ref>]
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { diffSchemas } from './prisma6.js';

const args = process.argv.slice(2);
const name = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--from');
const fromAt = args.indexOf('--from');
const fromRef = fromAt >= 0 ? args[fromAt + 1] : 'HEAD';
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error('Usage: npm run db:migration -- <name_in_snake_case> [--from <git-ref>]');
  process.exit(2);
}

let previous: string | null = null;
try {
  previous = execFileSync('git', ['show', `${fromRef}:prisma/schema.prisma`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
} catch {
  previous = null;
}
const current = await fs.readFile('prisma/schema.prisma', 'utf8');
const sql = await diffSchemas(previous, current);
if (!/^(CREATE|ALTER|DROP)/m.test(sql)) {
  console.error('No schema change to migrate.');
  process.exit(1);
}
const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
const dir = path.join('prisma/migrations', `${stamp}_${name}`);
await fs.mkdir(dir, { recursive: true });
await fs.writeFile(path.join(dir, 'migration.sql'), sql);
console.log(`Wrote ${dir}/migration.sql`);
