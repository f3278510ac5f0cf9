export {
  SandboxError,
  SandboxConfigError,
  SandboxInputError,
  SandboxNotFoundError,
  SandboxUnavailableError,
  SandboxAuthError,
  SandboxAbortedError,
  SandboxFileNotFoundError,
  SandboxFileTooLargeError,
} from './errors.js';
export type { SandboxErrorCode } from './errors.js';
export type {
  CreateSandboxOptions,
  ExecOptions,
  ExecResult,
  FileEntry,
  OutputChunk,
  Sandbox,
  SandboxProvider,
} from './types.js';
export { DEFAULT_OUTPUT_LIMITS } from './output.js';
export type { OutputLimits } from './output.js';
export { HOME_DIR, WORK_DIR } from './exec-options.js';
export { LocalSandboxProvider } from './local/local-provider.js';
export {
  EgressPolicy,
  canonicalHost,
  classifyAddress,
  destinationOfUrl,
  parseDestination,
} from './egress/index.js';
export type { AddressClass, EgressConnection, EgressDecision } from './egress/index.js';
export type { LocalSandbox } from './local/local-sandbox.js';
export type {
  LocalSandboxLimits,
  LocalSandboxProviderOptions,
  ReadOnlyBind,
  SandboxNetwork,
  EgressOptions,
} from './local/options.js';
export { E2BSandboxProvider } from './e2b/e2b-provider.js';
export type { E2BSandbox } from './e2b/e2b-sandbox.js';
export type { E2BSandboxProviderOptions } from './e2b/options.js';
export { SandboxSessions } from './sessions.js';
export type { SandboxSessionsOptions } from './sessions.js';
export {
  runCommand,
  uploadFile,
  downloadFile,
  listFiles,
  MAX_TRANSFER_BYTES,
} from './command-activities.js';
export type { RunCommandInput, CommandResult } from './command-activities.js';
export { createSandboxProvider, HELPERS_DIR, localSandboxRoot } from './from-config.js';
export { CommandCredentials } from './command-credentials.js';
export type { BrokerAccess, CommandScope, CommandSetup } from './command-credentials.js';
export {
  awsConfigFile,
  cliShims,
  configureSandboxCliShims,
  configureSandboxClouds,
  withCliShims,
  withGcpToken,
} from './sandbox-setup.js';
export type { SandboxCloudSetup } from './sandbox-setup.js';
