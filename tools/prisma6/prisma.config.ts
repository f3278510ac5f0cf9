import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';

// Prisma 6 diffs schemas offline with its wasm schema engine, which it only uses when a
// driver adapter is configured (engine "js"). `migrate diff` between schema files never
// opens this connection.
export default defineConfig({
  engine: 'js',
  experimental: { adapter: true },
  schema: '../../prisma/schema.prisma',
  adapter: async () =>
    new PrismaPg({
      connectionString: process.env.DATABASE_URL ?? 'postgresql://localhost/postgres',
    }),
});
