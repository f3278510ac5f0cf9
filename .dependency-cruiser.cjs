// The layers of ARCHITECTURE.md, checked by `npm run lint` (`depcruise` over every source folder).
// Each rule is a `forbidden` one; "may import only" rules are written as allowlists with
// `pathNot`, so a new folder is refused until a rule says where it belongs.
// Tests (*.test.ts), test/ and bench/ may import anything; product code never imports them.

const TESTS = '(\\.test\\.ts$|^test/|^bench/)';
const PARTS = '^(app|bin|bots|workflows|activities|mcp|broker|integrations|web)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles, type-only imports included: each part has one owner.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'lib-is-a-leaf',
      severity: 'error',
      comment:
        'lib/ holds config, db, crypto, events, logging, the conversation model and the sandbox-access contract; it imports no other part.',
      from: { path: '^lib/', pathNot: TESTS },
      to: { path: PARTS },
    },
    {
      name: 'workflows-allowlist',
      severity: 'error',
      comment:
        'Workflow code is replayed: it imports @temporalio/workflow, its own pure helpers, and only types from elsewhere.',
      from: { path: '^workflows/', pathNot: TESTS },
      to: {
        pathNot: ['^workflows/', '^node_modules/@temporalio/workflow/'],
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'bin-only-app',
      severity: 'error',
      comment: 'bin/ parses the command line and calls the composition root (app/).',
      from: { path: '^bin/' },
      to: { path: ['^lib/', PARTS], pathNot: '^(bin|app)/' },
    },
    {
      name: 'nothing-imports-app',
      severity: 'error',
      comment: 'app/ is the composition root: it wires every part, and no part depends on it.',
      from: { path: PARTS, pathNot: ['^(app|bin)/', TESTS] },
      to: { path: '^app/' },
    },
    {
      name: 'bots-not-activities',
      severity: 'error',
      comment:
        'Chat front ends verify, translate and deliver; the work happens in activities, ordered by workflows.',
      from: { path: '^bots/', pathNot: TESTS },
      to: { path: '^(activities|app|broker|web)/' },
    },
    {
      name: 'activities-allowlist',
      severity: 'error',
      comment:
        'activities/ may import lib, mcp, integrations and the broker (never the HTTP layer or front ends).',
      from: { path: '^activities/', pathNot: TESTS },
      to: { path: PARTS, pathNot: '^(activities|mcp|integrations|broker)/' },
    },
    {
      name: 'mcp-allowlist',
      severity: 'error',
      comment: 'mcp/ is built in the api and the worker; it may import lib and integrations.',
      from: { path: '^mcp/', pathNot: TESTS },
      to: { path: PARTS, pathNot: '^(mcp|integrations)/' },
    },
    {
      name: 'broker-allowlist',
      severity: 'error',
      comment: 'The broker verifies, issues and audits; it may import lib and integrations.',
      from: { path: '^broker/', pathNot: TESTS },
      to: { path: PARTS, pathNot: '^(broker|integrations)/' },
    },
    {
      name: 'integrations-only-lib',
      severity: 'error',
      comment: 'integrations/ is the catalog, the connection service and pure functions over lib.',
      from: { path: '^integrations/', pathNot: TESTS },
      to: { path: PARTS, pathNot: '^integrations/' },
    },
    {
      name: 'web-allowlist',
      severity: 'error',
      comment: 'The HTTP layer may import lib, bots, broker, integrations and mcp.',
      from: { path: '^web/', pathNot: TESTS },
      to: { path: PARTS, pathNot: '^(web|bots|broker|integrations|mcp|workflows)/' },
    },
    {
      name: 'portal-is-browser-code',
      severity: 'error',
      comment:
        'web/app runs in the browser: at run time it imports only itself, web/contract and npm packages, never Node built-ins; types may come from anywhere (they are erased). Its build configs run in Node.',
      from: {
        path: '^web/app/',
        pathNot: [TESTS, '\\.test\\.tsx$', '^web/app/vite(st)?\\.config\\.ts$'],
      },
      to: {
        pathNot: ['^web/(app|contract)/', '^node_modules/'],
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'portal-no-node-builtins',
      severity: 'error',
      comment: 'web/app and web/contract are bundled for the browser: no Node built-ins.',
      from: {
        path: '^web/(app|contract)/',
        pathNot: [TESTS, '\\.test\\.tsx$', '^web/app/vite(st)?\\.config\\.ts$'],
      },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'contract-is-pure',
      severity: 'error',
      comment:
        'web/contract is shared by the server and the browser: zod and the pure chat-event model at run time, types from anywhere.',
      from: { path: '^web/contract/' },
      to: {
        pathNot: ['^web/contract/', '^node_modules/zod/', '^lib/conversation/chat-event\\.ts$'],
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'product-not-tests',
      severity: 'error',
      comment: 'Fakes and helpers under test/ never reach product code.',
      from: { pathNot: TESTS },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist|\\.dynamiq|\\.tools|lib/db/generated)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: false,
  },
};
