import { defineConfig } from 'prisma/config';

// Prisma 7 reads the connection from here, not from schema.prisma. The product itself
// connects through driver adapters (lib/db); this URL only serves Prisma's own CLI.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/postgres' },
});
