import type { IntegrationInput } from '../schema.js';
import { bearer } from './shared.js';

/** Data warehouses and analytics platforms, reached through their CLIs. */
export const dataAnalytics: IntegrationInput[] = [
  {
    id: 'snowflake',
    name: 'Snowflake',
    description: 'Cloud data warehouse: SQL queries, databases, warehouses and stages.',
    category: 'data-analytics',
    providerType: 'cli',
    authType: 'token',
    // A programmatic access token is passed where the connector expects a password.
    cli: {
      command: 'snow',
      env: ['SNOWFLAKE_ACCOUNT', 'SNOWFLAKE_USER', 'SNOWFLAKE_PASSWORD'],
      credentialEnv: { token: 'SNOWFLAKE_PASSWORD' },
    },
    keyCheck: { kind: 'cli', command: 'snow connection test --temporary-connection' },
    longLivedKeyOnly: true,
    agentInstructions: [
      'Use the Snowflake CLI with a temporary connection: `snow sql -x -q "<query>"`.',
      'Add `LIMIT` to exploratory queries and check the warehouse size before large scans, since queries cost credits.',
      'Put longer SQL in a file and run it with `snow sql -x -f <file>`.',
      'Ask before any DDL or DML (CREATE, ALTER, DROP, INSERT, UPDATE, DELETE, MERGE).',
    ].join('\n'),
    capabilities: ['sql', 'databases', 'warehouses', 'stages', 'tasks'],
    docsUrl: 'https://docs.snowflake.com/en/developer-guide/snowflake-cli/index',
    enabled: true,
  },
  {
    id: 'databricks',
    name: 'Databricks',
    description: 'Lakehouse platform: clusters, jobs, notebooks, SQL warehouses and Unity Catalog.',
    category: 'data-analytics',
    providerType: 'cli',
    authType: 'token',
    cli: {
      command: 'databricks',
      env: ['DATABRICKS_HOST', 'DATABRICKS_TOKEN'],
      credentialEnv: { token: 'DATABRICKS_TOKEN' },
      baseUrlEnv: 'DATABRICKS_HOST',
    },
    // Each customer has their own workspace host, so this must be overridden per deployment.
    apiBaseUrl: 'https://{workspace}.cloud.databricks.com',
    keyPlacement: bearer,
    keyCheck: { kind: 'http', method: 'GET', path: '/api/2.0/preview/scim/v2/Me' },
    longLivedKeyOnly: true,
    agentInstructions: [
      'Use the Databricks CLI; it reads DATABRICKS_HOST and DATABRICKS_TOKEN. Add `--output json` when parsing.',
      'Inspect with `clusters list`, `jobs list`, `jobs list-runs` and `workspace list`.',
      'Ask before starting clusters, running jobs or changing Unity Catalog grants, since these cost money or widen access.',
    ].join('\n'),
    capabilities: ['clusters', 'jobs', 'notebooks', 'sql_warehouses', 'unity_catalog', 'dbfs'],
    docsUrl: 'https://docs.databricks.com/aws/en/dev-tools/cli/',
    enabled: true,
  },
];
