export { startEmbeddedTemporal } from './embedded.js';
export type { EmbeddedTemporal } from './embedded.js';
export { findOrInstallTemporalCli, TEMPORAL_CLI_MODULE } from './cli.js';
export { connectClient, connectNative, targetFromConfig } from './connection.js';
export type { TemporalTarget } from './connection.js';
export { countKeys, payloadsIn, runningKeyUsage } from './payload-keys.js';
export type { RunKeyUsage } from './payload-keys.js';
