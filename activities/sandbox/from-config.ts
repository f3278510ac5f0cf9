import path from 'node:path';
import type { Config } from '../../lib/config/index.js';
import { PROJECT_ROOT } from '../../lib/paths.js';
import { E2BSandboxProvider } from './e2b/e2b-provider.js';
import { destinationOfUrl, parseDestination } from './egress/policy.js';
import { LocalSandboxProvider } from './local/local-provider.js';
import { chooseSandboxRoot } from './local/sandbox-root.js';
import type { SandboxRoot } from './local/sandbox-root.js';
import type { SandboxProvider } from './types.js';

/** The credential helpers and mcp-cli, the same files the E2B template installs. */
export const HELPERS_DIR = path.join(PROJECT_ROOT, 'e2b-template/bin');

/** Where this worker's local sandboxes live (SANDBOX_DIR, or an earlier version's folder). */
export function localSandboxRoot(config: Config): SandboxRoot {
  return chooseSandboxRoot(config.sandbox.dir, config.sandbox.legacyDir);
}

/**
 * The configured sandbox provider: bubblewrap in SANDBOX_DIR, or E2B's cloud.
 * `brokerUrl` is read before each command: proxied sandboxes may reach that one address
 * whatever it is (loopback in a one-process install).
 */
export function createSandboxProvider(
  config: Config,
  opts: { brokerUrl?: () => string; root?: string } = {},
): SandboxProvider {
  const s = config.sandbox;
  if (s.provider === 'e2b') {
    return new E2BSandboxProvider({
      apiKey: config.e2b.apiKey!,
      templateId: config.e2b.templateId!,
      lifetimeMs: s.idleTimeoutMs,
    });
  }
  return new LocalSandboxProvider({
    root: opts.root ?? localSandboxRoot(config).root,
    diskBytes: s.diskBytes,
    network: s.network,
    sandboxLimits: { memoryBytes: s.memoryBytes, maxProcesses: s.maxProcesses, cpus: s.cpus },
    egress: {
      allow: s.egressAllow,
      allowPerCommand: () => {
        const broker = opts.brokerUrl?.() ?? config.brokerUrl;
        const d = broker ? destinationOfUrl(broker) : undefined;
        return d ? [d] : [];
      },
      deny: productDestinations(config),
      domains: s.egressDomains,
    },
    readOnlyBinds: [{ source: HELPERS_DIR, target: '/opt/dynamiq/bin', onPath: true }],
  });
}

/** The product's own Temporal server and database, refused even on a public address. */
function productDestinations(config: Config): string[] {
  const out: string[] = [];
  if (config.temporal.address && parseDestination(config.temporal.address)) {
    out.push(config.temporal.address);
  }
  if (config.databaseUrl) {
    try {
      const u = new URL(config.databaseUrl);
      if (u.hostname) out.push(`${u.hostname}:${u.port || 5432}`);
    } catch {
      // Not a URL (a key=value connection string): nothing to add.
    }
  }
  return out.filter((d) => parseDestination(d) !== undefined);
}
