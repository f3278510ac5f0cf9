import { apiRequest, CREDENTIAL, nestedRule, pathRule, helpOf } from './cli-kit.js';
import { has, scanOptions, valueOf, type Options } from './options.js';
import { credential, list, reads, writes, type Rule, type Verdict } from './verdict.js';

/**
 * The rule table for the cloud and service CLIs: which of their commands only read. Anything a
 * table does not list as a read is taken to change something, so a new subcommand asks until
 * it is added here.
 */

const gh = pathRule({
  changes: 'changes GitHub',
  options: { short: 'R', long: ['--repo'] },
  groups: list(`
    pr, issue, repo, release, run, workflow, gist, label, secret, variable, cache, codespace,
    project, org, ruleset, extension, alias, ssh-key, gpg-key, attestation, auth, config,
    agent-task
  `),
  reads: list(`
    * list, * ls, * view, * status, * diff, * checks, * watch, * verify, * field-list,
    * item-list, * check, * logs, search, status, browse, version, completion, config get,
    repo clone, variable get, repo deploy-key list, repo autolink list, repo autolink view,
    repo gitignore, repo license
  `),
  special: (words, _options, name, args) => {
    if (words[0] === 'api') return apiRequest(name, args, 'GitHub');
    if (words[0] === 'auth' && words[1] === 'token') return credential(`${name} auth token`);
    return undefined;
  },
});

const glab = pathRule({
  changes: 'changes GitLab',
  options: { short: 'R', long: ['--repo'] },
  groups: list(`
    mr, issue, repo, release, ci, pipeline, job, label, variable, schedule, snippet, user,
    cluster, deploy-key, ssh-key, gpg-key, milestone, iteration, incident, auth, config, token
  `),
  reads: list(`
    * list, * view, * status, * diff, * get, * trace, * lint, variable export, issue board view,
    config get, repo clone, version, check-update, completion
  `),
  special: (words, _options, name, args) =>
    words[0] === 'api' ? apiRequest(name, args, 'GitLab') : undefined,
});

const DRY_RUN_VERBS = list(`
  apply, create, delete, patch, replace, run, expose, label, annotate, set, scale, autoscale,
  taint, install, upgrade, uninstall, rollback
`);

/** `--dry-run` (kubectl `=client|server`, helm also bare) changes nothing. */
function dryRun(words: string[], options: Options, name: string): Verdict | undefined {
  const flag = options.flags.find((f) => f.name === '--dry-run');
  const verb = words[0] ?? '';
  if (!flag || !DRY_RUN_VERBS.includes(verb)) return undefined;
  if (flag.value !== undefined && !['client', 'server', 'true'].includes(flag.value))
    return undefined;
  return reads(`${name} ${verb} --dry-run`, 'only previews the change');
}

const kubectl = pathRule({
  changes: 'changes the cluster',
  options: {
    short: 'nscClLovf',
    long: list(`
      --namespace, --context, --cluster, --kubeconfig, --user, --server, --token, --as,
      --as-group, --as-uid, --certificate-authority, --client-certificate, --client-key,
      --request-timeout, --tls-server-name, --cache-dir, --output, --selector, --field-selector,
      --container, --sort-by, --since, --tail, --label-columns, --template, --filename, --v
    `),
  },
  reads: list(`
    get, describe, logs, top, explain, version, api-resources, api-versions, cluster-info, events,
    diff, wait, kustomize, completion, options, auth can-i, auth whoami, config view,
    config get-contexts, config current-context, config get-clusters, config get-users,
    rollout status, rollout history, plugin list
  `),
  depth: 1,
  pairs: ['rollout', 'auth', 'config', 'plugin', 'certificate', 'set', 'create'],
  notes: {
    exec: 'runs a command in a container',
    'port-forward': 'opens a connection into the cluster',
    proxy: 'opens a connection to the cluster API',
    cp: 'copies files to or from a container',
    attach: 'attaches to a running container',
    debug: 'starts a debugging container',
    config: 'changes the kubeconfig in the sandbox',
  },
  special: dryRun,
});

const helm = pathRule({
  changes: 'changes the cluster',
  options: {
    short: 'n',
    long: list(`
      --namespace, --kube-context, --kubeconfig, --kube-apiserver, --kube-token, --kube-as-user,
      --kube-as-group, --kube-ca-file, --registry-config, --repository-config, --repository-cache,
      --burst-limit, --qps
    `),
  },
  reads: list(`
    list, ls, status, history, get, show, inspect, search, template, lint, version, env, verify,
    diff, completion, repo list, repo ls, plugin list, plugin ls, dependency list, dep list
  `),
  depth: 1,
  pairs: ['repo', 'plugin', 'dependency', 'dep', 'registry', 'get', 'show'],
  notes: {
    repo: 'changes the chart repositories set up in the sandbox',
    pull: 'downloads a chart into the sandbox',
    fetch: 'downloads a chart into the sandbox',
    package: 'writes a chart archive in the sandbox',
    create: 'writes a new chart in the sandbox',
    dependency: 'downloads chart dependencies into the sandbox',
    dep: 'downloads chart dependencies into the sandbox',
    plugin: 'installs or removes a Helm plugin in the sandbox',
    registry: 'changes the registry login in the sandbox',
    push: 'pushes a chart to a registry',
  },
  special: dryRun,
});

const stripe = pathRule({
  changes: 'changes Stripe data',
  options: {
    short: 'pd',
    long: list(`
      --api-key, --project-name, --color, --config, --device-name, --log-level, --stripe-account,
      --data, --expand, --stripe-version
    `),
  },
  reads: list(`
    * list, * retrieve, * search, get, status, version, logs tail, samples list,
    invoices upcoming, invoices upcoming_lines, open, completion
  `),
  notes: {
    login: 'changes the Stripe CLI login in the sandbox',
    listen: 'forwards Stripe events into the sandbox',
    trigger: 'creates test events and objects in Stripe',
  },
  special: (words, options, name) => {
    if (words[0] !== 'config') return undefined;
    return has(options, '--list')
      ? reads(`${name} config --list`)
      : writes(`${name} config`, "changes the Stripe CLI's settings in the sandbox");
  },
});

const VERCEL_GROUPS = list(`
  env, domains, dns, projects, project, teams, certs, alias, aliases, secrets, target,
  integration, git, blob, cache, rolling-release
`);

const vercel = pathRule({
  changes: 'changes Vercel',
  options: {
    short: 'tSTAQ',
    long: ['--token', '--scope', '--team', '--cwd', '--local-config', '--global-config'],
  },
  groups: VERCEL_GROUPS,
  reads: ['ls', 'list', 'inspect', 'logs', 'whoami', '* ls', '* list', '* inspect'],
  depth: 1,
  pairs: VERCEL_GROUPS,
  special: (words, _options, name) =>
    words.length === 0 ? writes(name, 'deploys the project to Vercel') : undefined,
});

const supabase = pathRule({
  changes: 'changes Supabase',
  options: { short: 'o', long: ['--workdir', '--profile', '--output', '--dns-resolver'] },
  reads: list(`
    * list, * ls, * get, status, db diff, db dump, db lint, inspect, gen types, services,
    completion
  `),
  notes: {
    start: 'starts containers in the sandbox',
    stop: 'stops containers in the sandbox',
    init: 'writes a project folder in the sandbox',
    link: 'links the sandbox folder to a project',
    unlink: 'unlinks the sandbox folder from its project',
  },
  special: (words, _options, name) =>
    words[0] === 'projects' && words[1] === 'api-keys'
      ? credential(`${name} projects api-keys`)
      : undefined,
});

const neonctl = pathRule({
  changes: 'changes Neon',
  options: {
    short: 'o',
    long: ['--api-key', '--config-dir', '--output', '--context-file', '--project-id', '--org-id'],
  },
  reads: ['* list', '* get', 'me', 'schema-diff', 'sd', 'completion'],
  notes: {
    'set-context': "changes the CLI's context file in the sandbox",
    auth: 'logs the CLI in',
  },
  special: (words, _options, name) =>
    CREDENTIAL.test(words[0] ?? '') ? credential(`${name} ${words[0]}`) : undefined,
});

const terraform = pathRule({
  changes: 'changes infrastructure',
  reads: list(`
    plan, show, validate, output, version, providers, graph, console, metadata, state list,
    state show, state pull, workspace list, workspace show
  `),
  depth: 1,
  pairs: ['state', 'workspace', 'providers'],
  notes: {
    destroy: 'destroys infrastructure',
    import: 'changes the Terraform state',
    state: 'changes the Terraform state',
    taint: 'changes the Terraform state',
    untaint: 'changes the Terraform state',
    'force-unlock': 'removes the lock on the Terraform state',
    refresh: 'updates the Terraform state',
    workspace: 'changes Terraform workspaces',
    login: "changes the CLI's credentials in the sandbox",
    logout: "changes the CLI's credentials in the sandbox",
    test: 'creates and destroys real infrastructure',
    fmt: 'rewrites files in the sandbox',
    init: 'can move the Terraform state to another backend',
  },
  special: (words, _options, name, args) => {
    // Terraform's options are single-dash words (`-check`), which getopt splits into letters.
    const raw = (flag: string) => args.includes(flag);
    if (words[0] === 'fmt' && (raw('-check') || raw('-write=false')))
      return reads(`${name} fmt -check`);
    // `init` prepares the folder (providers, modules, backend settings) in the sandbox; only
    // moving the state touches anything outside it.
    if (words[0] === 'init' && !raw('-migrate-state') && !raw('-force-copy')) {
      return reads(`${name} init`, 'only prepares the working folder in the sandbox');
    }
    return undefined;
  },
});

const DOCKER_GROUPS = list(`
  container, image, network, volume, system, context, compose, buildx, builder, manifest, node,
  service, stack, secret, config, plugin, trust, swarm
`);

const docker = pathRule({
  changes: 'changes containers or images',
  options: {
    short: 'Hcfp',
    long: list(`
      --host, --context, --config, --log-level, --tlscacert, --tlscert, --tlskey, --file,
      --project-name, --profile, --env-file, --project-directory
    `),
  },
  groups: DOCKER_GROUPS,
  reads: list(`
    ps, images, inspect, logs, version, info, stats, top, port, diff, history, events, search,
    * ls, * list, * inspect, * logs, * ps, * top, * port, * diff, * stats, * history, * version,
    * show, * df, * info, * events, * config, * images, * services, * du
  `),
  depth: 1,
  pairs: DOCKER_GROUPS,
  notes: {
    run: 'starts a container',
    exec: 'runs a command in a container',
    login: 'changes the registry login in the sandbox',
    build: 'builds an image in the sandbox',
    pull: 'downloads an image into the sandbox',
    push: 'pushes an image to a registry',
  },
});

const gcloud = nestedRule({
  changes: 'changes Google Cloud',
  options: {
    long: list(`
      --project, --account, --configuration, --format, --verbosity, --impersonate-service-account,
      --billing-project, --flatten, --filter, --limit, --sort-by, --page-size, --zone, --region,
      --trace-token
    `),
  },
  readVerbs:
    /^((list|describe|get)(-[a-z-]+)?|ls|cat|read|show|info|version|tail|search|lookup|access)$/,
  writeVerbs: ['get-credentials'],
  from: 1,
  skip: ['alpha', 'beta', 'preview'],
  top: {
    info: 'read',
    version: 'read',
    topic: 'read',
    'cheat-sheet': 'read',
    init: 'write',
    feedback: 'write',
  },
});

const az = nestedRule({
  changes: 'changes Azure',
  options: {
    short: 'gnolmub',
    long: list(`
      --subscription, --output, --query, --resource-group, --name, --location, --method, --url,
      --uri, --body, --headers
    `),
  },
  readVerbs: /^((list|show|get)(-[a-z-]+)?|query|version|find|wait|exists|tail|check-name)$/,
  writeVerbs: ['get-credentials'],
  from: 1,
  top: {
    version: 'read',
    find: 'read',
    login: 'write',
    logout: 'write',
    upgrade: 'write',
    configure: 'write',
  },
  special: (words, options, name) => {
    if (words[0] !== 'rest') return undefined;
    const method = (valueOf(options, '--method', '-m') ?? 'get').toLowerCase();
    return method === 'get' || method === 'head'
      ? reads(`${name} rest`, `sends a ${method.toUpperCase()} request, which only reads`)
      : writes(`${name} rest`, `sends a ${method.toUpperCase()} request, which can change Azure`);
  },
});

const doctl = nestedRule({
  changes: 'changes DigitalOcean',
  options: {
    short: 'toc',
    long: ['--context', '--access-token', '--output', '--format', '--config', '--api-url'],
  },
  readVerbs: /^((list|get)(-[a-z-]+)?|logs|ls|show|whoami)$/,
  from: 1,
  top: { version: 'read', completion: 'read' },
});

const fly = nestedRule({
  changes: 'changes Fly.io',
  options: { short: 'actor', long: ['--app', '--config', '--access-token', '--org', '--region'] },
  readVerbs:
    /^(status|logs|releases|info|version|doctor|dig|ping|list|ls|show|whoami|history|validate)$/,
});

const wrangler = nestedRule({
  changes: 'changes Cloudflare',
  options: { short: 'ce', long: ['--config', '--env', '--cwd'] },
  readVerbs: /^(whoami|tail|list|get|info|view|status|version|docs)$/,
  colons: true,
});

const AWS_READ =
  /^((describe|list|get|head|lookup|search|batch-get|filter|validate|estimate|simulate)-[a-z0-9-]+|scan|query|tail|wait)$/;

/** `aws <service> <operation>`: operations named describe-, list-, get-, ... only read. */
const aws: Rule = (args, name) => {
  const options = scanOptions(args, {
    long: list(`
      --region, --profile, --output, --endpoint-url, --query, --color, --ca-bundle,
      --cli-read-timeout, --cli-connect-timeout, --cli-binary-format
    `),
  });
  const help = helpOf(name, options);
  if (help) return help;
  const [service, operation] = options.operands;
  if (!service || operation === 'help') return reads(name, 'only shows help');
  if (service === 'configure') {
    return operation && ['list', 'get', 'list-profiles'].includes(operation)
      ? reads(`${name} configure ${operation}`)
      : writes(`${name} configure`, "changes the AWS CLI's settings in the sandbox");
  }
  if (!operation) return reads(`${name} ${service}`, 'only shows help');
  const label = `${name} ${service} ${operation}`;
  if (service === 's3') {
    return ['ls', 'presign'].includes(operation)
      ? reads(label)
      : writes(label, 'changes S3 objects or files in the sandbox');
  }
  if (CREDENTIAL.test(operation)) return credential(label);
  return AWS_READ.test(operation) ? reads(label) : writes(label, 'changes AWS resources');
};

/** Bare topics that list, and `topic:command` commands that read. */
const HEROKU_TOPICS = new Set(
  list(`
  apps, ps, logs, config, releases, addons, domains, status, access, drains, features, regions,
  stack, webhooks, buildpacks, certs, pipelines, spaces, teams, members, labs, pg, redis,
  authorizations, keys, sessions, notifications, version, plugins, clients, whoami
`),
);
const HEROKU_COMMANDS = new Set(
  list(`
  info, list, get, whoami, wait, output, diagnose, outliers, locks, blocking, ps
`),
);
const HEROKU_NOTES: Record<string, string> = {
  run: 'runs a command on a dyno',
  'ps:exec': 'runs a command on a dyno',
  'pg:psql': 'runs SQL against the database',
};

/** `heroku topic[:command]`. */
const heroku: Rule = (args, name) => {
  const options = scanOptions(args, { short: 'art', long: ['--app', '--remote', '--team'] });
  const help = helpOf(name, options);
  if (help) return help;
  const command = options.operands[0];
  if (!command) return reads(name, 'only shows help');
  const parts = command.split(':');
  const label = `${name} ${command}`;
  if (parts.includes('token') || parts.includes('credentials')) return credential(label);
  const lists =
    parts.length === 1 ? HEROKU_TOPICS.has(command) : HEROKU_COMMANDS.has(parts.at(-1) ?? '');
  return lists ? reads(label) : writes(label, HEROKU_NOTES[command] ?? 'changes Heroku');
};

export const CLI_RULES: Readonly<Record<string, Rule>> = {
  gh,
  glab,
  aws,
  gcloud,
  az,
  kubectl,
  helm,
  stripe,
  vercel,
  supabase,
  doctl,
  fly,
  flyctl: fly,
  heroku,
  neonctl,
  neon: neonctl,
  wrangler,
  terraform,
  tofu: terraform,
  docker,
  'docker-compose': (args) => docker(['compose', ...args], 'docker'),
};
