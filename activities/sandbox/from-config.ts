import path from 'node:path';
import type { Config } from '../../lib/config/index.js';
import { PROJECT_ROOT } from '../../lib/paths.js';
import { E2BSandboxProvider } from './e2b/e2b-provider.js';
import { LocalSandboxProvider } from './local/local-provider.js';
import type { SandboxProvider } from './types.js';

/** The credential helpers and mcp-cli, the same files the E2B template installs. */
export const HELPERS_DIR = path.join(PROJECT_ROOT, 'e2b-template/bin');

/** The configured sandbox provider: bubblewrap under the data folder, or E2B's cloud. */
export function createSandboxProvider(config: Config): SandboxProvider {
  const s = config.sandbox;
  if (s.provider === 'e2b') {
    return new E2BSandboxProvider({
      apiKey: config.e2b.apiKey!,
      templateId: config.e2b.templateId!,
      lifetimeMs: s.idleTimeoutMs,
    });
  }
  return new LocalSandboxProvider({
    root: path.join(config.dataDir, 'sandboxes'),
    network: s.network,
    readOnlyBinds: [{ source: HELPERS_DIR, target: '/opt/dynamiq/bin', onPath: true }],
  });
}
