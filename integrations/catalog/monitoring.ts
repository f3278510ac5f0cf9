import type { IntegrationInput } from '../schema.js';
import { bearer } from './shared.js';

const READ_FIRST =
  'Query read-only endpoints first and quote the time range you looked at; ask before muting, acknowledging, resolving or editing anything.';

/**
 * Observability and incident tools with plain HTTP APIs. The proxy attaches the key server-side,
 * so it never enters the sandbox.
 */
export const monitoring: IntegrationInput[] = [
  {
    id: 'datadog',
    name: 'Datadog',
    description: 'Metrics, monitors, logs, dashboards, hosts and APM.',
    category: 'monitoring',
    providerType: 'api',
    authType: 'api_key',
    // US1 site; EU, US3, US5, AP1 and Gov customers override the base URL.
    apiBaseUrl: 'https://api.datadoghq.com',
    keyPlacement: [
      { in: 'header', name: 'DD-API-KEY', credential: 'apiKey' },
      { in: 'header', name: 'DD-APPLICATION-KEY', credential: 'appKey' },
    ],
    keyCheck: { kind: 'http', method: 'GET', path: '/api/v1/validate' },
    longLivedKeyOnly: true,
    agentInstructions: [
      'Use the Datadog REST API: /api/v1/monitor, /api/v1/query for metrics, /api/v2/logs/events/search, /api/v1/dashboard.',
      'Timestamps are Unix seconds for metrics and ISO-8601 or relative (now-15m) for logs.',
      READ_FIRST,
    ].join('\n'),
    capabilities: ['metrics', 'monitors', 'logs', 'dashboards', 'hosts', 'apm', 'events'],
    docsUrl: 'https://docs.datadoghq.com/api/latest/',
    enabled: true,
  },
  {
    id: 'newrelic',
    name: 'New Relic',
    description: 'Full-stack observability: NRQL queries, APM, alerts and entities.',
    category: 'monitoring',
    providerType: 'api',
    authType: 'api_key',
    // US data centre; EU accounts use https://api.eu.newrelic.com.
    apiBaseUrl: 'https://api.newrelic.com',
    keyPlacement: [{ in: 'header', name: 'API-Key' }],
    keyCheck: {
      kind: 'http',
      method: 'POST',
      path: '/graphql',
      body: '{"query":"{ actor { user { email } } }"}',
    },
    longLivedKeyOnly: true,
    agentInstructions: [
      'Use NerdGraph: POST GraphQL to /graphql. Run NRQL through `actor { account(id: ...) { nrql(query: "...") { results } } }`.',
      'List accounts first when the account id is unknown; always bound NRQL with SINCE and LIMIT.',
      READ_FIRST,
    ].join('\n'),
    capabilities: ['nrql', 'apm', 'alerts', 'entities', 'dashboards'],
    docsUrl:
      'https://docs.newrelic.com/docs/apis/nerdgraph/get-started/introduction-new-relic-nerdgraph/',
    enabled: true,
  },
  {
    id: 'pagerduty',
    name: 'PagerDuty',
    description: 'Incidents, on-call schedules, services and escalation policies.',
    category: 'monitoring',
    providerType: 'api',
    authType: 'api_key',
    // US service region; EU accounts use https://api.eu.pagerduty.com.
    apiBaseUrl: 'https://api.pagerduty.com',
    keyPlacement: [{ in: 'header', name: 'Authorization', prefix: 'Token token=' }],
    // Works with both account and user API keys, unlike /users/me.
    keyCheck: { kind: 'http', method: 'GET', path: '/abilities' },
    longLivedKeyOnly: true,
    agentInstructions: [
      'Use the PagerDuty REST API v2: /incidents, /oncalls, /services, /schedules, /escalation_policies.',
      'Filter incidents by `statuses[]` and `since`/`until`; writes need a `From` header with a valid user email.',
      READ_FIRST,
    ].join('\n'),
    capabilities: ['incidents', 'oncalls', 'services', 'schedules', 'escalation_policies'],
    docsUrl: 'https://developer.pagerduty.com/api-reference/',
    enabled: true,
  },
  {
    id: 'grafana',
    name: 'Grafana',
    description: 'Dashboards, alerts, annotations and data source queries in Grafana.',
    category: 'monitoring',
    providerType: 'api',
    authType: 'token',
    // Grafana Cloud stacks and self-hosted servers each have their own URL: override it.
    apiBaseUrl: 'https://{stack}.grafana.net',
    keyPlacement: bearer,
    keyCheck: { kind: 'http', method: 'GET', path: '/api/org' },
    longLivedKeyOnly: true,
    agentInstructions: [
      'Use the Grafana HTTP API: /api/search for dashboards, /api/dashboards/uid/<uid>, /api/ds/query for data, /api/v1/provisioning/alert-rules.',
      'Link dashboards by URL with the time range in the query string rather than pasting raw data.',
      READ_FIRST,
    ].join('\n'),
    capabilities: ['dashboards', 'alerts', 'annotations', 'datasource_queries'],
    docsUrl: 'https://grafana.com/docs/grafana/latest/developers/http_api/',
    enabled: true,
  },
];
