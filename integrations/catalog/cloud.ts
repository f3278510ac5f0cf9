import type { IntegrationInput } from '../schema.js';

const ASK_BEFORE_CHANGES =
  'Start with read-only list and describe calls; ask before creating, changing, stopping or deleting resources, and before anything that adds cost.';

/** Cloud CLIs. Where the vendor allows it the broker mints short-lived credentials per session. */
export const cloud: IntegrationInput[] = [
  {
    id: 'aws',
    name: 'AWS',
    description: 'Amazon Web Services through the AWS CLI.',
    category: 'cloud',
    providerType: 'cloud_cli',
    authType: 'cloud_role',
    // The broker calls STS AssumeRole on the user's role; the session credentials expire.
    cli: {
      command: 'aws',
      env: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION'],
    },
    keyCheck: { kind: 'cli', command: 'aws sts get-caller-identity' },
    longLivedKeyOnly: false,
    agentInstructions: [
      'Use the `aws` CLI; short-lived credentials for the connected role are already set.',
      'Add `--output json` and `--query` when you parse results; pass `--region` for resources outside AWS_REGION.',
      ASK_BEFORE_CHANGES,
    ].join('\n'),
    capabilities: ['s3', 'ec2', 'lambda', 'iam', 'rds', 'dynamodb', 'ecs', 'eks', 'cloudwatch'],
    docsUrl: 'https://docs.aws.amazon.com/cli/latest/userguide/',
    enabled: true,
  },
  {
    id: 'gcp',
    name: 'Google Cloud',
    description: 'Google Cloud through the gcloud CLI.',
    category: 'cloud',
    providerType: 'cloud_cli',
    authType: 'cloud_role',
    // The broker impersonates the user's service account and writes a one-hour access token.
    cli: { command: 'gcloud', env: ['CLOUDSDK_AUTH_ACCESS_TOKEN_FILE', 'CLOUDSDK_CORE_PROJECT'] },
    keyCheck: { kind: 'cli', command: 'gcloud projects describe "$CLOUDSDK_CORE_PROJECT"' },
    longLivedKeyOnly: false,
    agentInstructions: [
      'Use `gcloud`; an access token for the connected service account is already configured.',
      'Prefer `gcloud storage` to `gsutil`, and `gcloud` commands generally, since older tools may not read the injected token.',
      'Add `--format=json` when you parse results.',
      ASK_BEFORE_CHANGES,
    ].join('\n'),
    capabilities: ['compute', 'gke', 'cloud_run', 'functions', 'storage', 'bigquery', 'iam'],
    docsUrl: 'https://cloud.google.com/sdk/gcloud/reference',
    enabled: true,
  },
  {
    id: 'azure',
    name: 'Microsoft Azure',
    description: 'Azure through the az CLI.',
    category: 'cloud',
    providerType: 'cloud_cli',
    authType: 'cloud_role',
    // az reads no credentials from env, so a federated-token login runs once per sandbox.
    cli: {
      command: 'az',
      env: [
        'AZURE_CLIENT_ID',
        'AZURE_TENANT_ID',
        'AZURE_FEDERATED_TOKEN_FILE',
        'AZURE_SUBSCRIPTION_ID',
      ],
      setup:
        'az login --service-principal --username "$AZURE_CLIENT_ID" --tenant "$AZURE_TENANT_ID" --federated-token "$(cat "$AZURE_FEDERATED_TOKEN_FILE")" && az account set --subscription "$AZURE_SUBSCRIPTION_ID"',
    },
    keyCheck: { kind: 'cli', command: 'az account show' },
    longLivedKeyOnly: false,
    agentInstructions: [
      'Use the `az` CLI; it is logged in to the connected subscription.',
      'Add `--output json` and `--query` when you parse results, and always name the resource group.',
      ASK_BEFORE_CHANGES,
    ].join('\n'),
    capabilities: ['vms', 'aks', 'functions', 'storage', 'sql', 'acr', 'resource_groups'],
    docsUrl: 'https://learn.microsoft.com/en-us/cli/azure/',
    enabled: true,
  },
  {
    id: 'ibm-cloud',
    name: 'IBM Cloud',
    description: 'IBM Cloud through the ibmcloud CLI.',
    category: 'cloud',
    providerType: 'cloud_cli',
    authType: 'api_key',
    cli: {
      command: 'ibmcloud',
      env: ['IBMCLOUD_API_KEY', 'IBMCLOUD_REGION'],
      setup: 'ibmcloud login -r "$IBMCLOUD_REGION"',
    },
    keyCheck: { kind: 'cli', command: 'ibmcloud account show' },
    // Trusted profiles only work from IBM compute, so a user API key is the practical option.
    longLivedKeyOnly: true,
    agentInstructions: [
      'Use the `ibmcloud` CLI; it is logged in with the connected API key.',
      'Target a resource group with `ibmcloud target -g <group>` before listing resources; add `--output json` when parsing.',
      ASK_BEFORE_CHANGES,
    ].join('\n'),
    capabilities: ['kubernetes', 'code_engine', 'databases', 'object_storage', 'vpc', 'iam'],
    docsUrl: 'https://cloud.ibm.com/docs/cli',
    enabled: true,
  },
  {
    id: 'oracle-cloud',
    name: 'Oracle Cloud',
    description: 'Oracle Cloud Infrastructure through the OCI CLI.',
    category: 'cloud',
    providerType: 'cloud_cli',
    authType: 'api_key',
    // An API signing key (private key plus fingerprint) is the non-interactive way to use the CLI.
    cli: {
      command: 'oci',
      env: [
        'OCI_CLI_USER',
        'OCI_CLI_TENANCY',
        'OCI_CLI_FINGERPRINT',
        'OCI_CLI_KEY_FILE',
        'OCI_CLI_REGION',
      ],
      // The key connect stores one secret, but the CLI needs five values and a key file: until
      // the connect form collects them, nothing is injected and the agent is told so.
      credentialEnv: {},
    },
    keyCheck: { kind: 'cli', command: 'oci os ns get' },
    longLivedKeyOnly: true,
    agentInstructions: [
      'Use the `oci` CLI; it is configured from OCI_CLI_* variables.',
      'Most commands need `--compartment-id`; the tenancy OCID in OCI_CLI_TENANCY is the root compartment.',
      ASK_BEFORE_CHANGES,
    ].join('\n'),
    capabilities: ['compute', 'oke', 'object_storage', 'autonomous_database', 'networking', 'iam'],
    docsUrl: 'https://docs.oracle.com/en-us/iaas/Content/API/Concepts/cliconcepts.htm',
    enabled: true,
  },
  {
    id: 'kubernetes',
    name: 'Kubernetes',
    description: 'Kubernetes clusters through kubectl.',
    category: 'cloud',
    providerType: 'cloud_cli',
    authType: 'token',
    // The stored kubeconfig is written to a 0600 file for each kubectl run, and only with the
    // user's consent: its token is as long-lived as the cluster issued it. Minting short-lived
    // TokenRequest tokens from it is not done yet.
    cli: { command: 'kubectl', env: ['KUBECONFIG'], credentialFiles: { token: 'KUBECONFIG' } },
    keyCheck: { kind: 'cli', command: 'kubectl auth whoami' },
    longLivedKeyOnly: true,
    agentInstructions: [
      'Use `kubectl` with the injected kubeconfig; always pass `--namespace` (or `-A` to search).',
      'Use get, describe, logs and events freely; run `kubectl diff` before `apply`.',
      'Ask before delete, scale, rollout restart, cordon or drain, and before `exec` into a pod.',
    ].join('\n'),
    capabilities: ['pods', 'deployments', 'services', 'logs', 'events', 'configmaps', 'rollouts'],
    docsUrl: 'https://kubernetes.io/docs/reference/kubectl/',
    enabled: true,
  },
];
