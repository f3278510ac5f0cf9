import { Sandbox as E2BSdkSandbox } from 'e2b';
import type { SandboxOpts } from 'e2b';
import { z } from 'zod';
import { SandboxInputError } from '../errors.js';
import type { CreateSandboxOptions, SandboxProvider } from '../types.js';
import { E2BSandbox, toSandboxError } from './e2b-sandbox.js';
import { resolveE2BOptions } from './options.js';
import type { E2BSandboxProviderOptions, ResolvedE2BOptions } from './options.js';

/**
 * Sandboxes in E2B's cloud (Firecracker microVMs) built from the template in
 * `e2b-template/`. Every setting is passed in; the SDK's own environment fallbacks are only
 * reached for fields left unset.
 */
export class E2BSandboxProvider implements SandboxProvider {
  private readonly opts: ResolvedE2BOptions;

  constructor(options: E2BSandboxProviderOptions) {
    this.opts = resolveE2BOptions(options);
  }

  async create(options: CreateSandboxOptions = {}): Promise<E2BSandbox> {
    const metadata = z.record(z.string(), z.string()).safeParse(options.metadata ?? {});
    if (!metadata.success)
      throw new SandboxInputError('Sandbox metadata must map strings to strings.');
    try {
      const sdk = await E2BSdkSandbox.create(this.opts.templateId, {
        ...this.connection(),
        timeoutMs: this.opts.lifetimeMs,
        metadata: metadata.data,
      });
      return new E2BSandbox(sdk, this.opts);
    } catch (err) {
      throw toSandboxError(err, '(new)');
    }
  }

  async connect(id: string): Promise<E2BSandbox> {
    if (typeof id !== 'string' || id.length === 0)
      throw new SandboxInputError('connect needs a sandbox id.');
    try {
      const sdk = await E2BSdkSandbox.connect(id, {
        ...this.connection(),
        timeoutMs: this.opts.lifetimeMs,
      });
      // Resuming a paused sandbox cuts its lifetime to E2B's default; put ours back.
      await sdk.setTimeout(this.opts.lifetimeMs, { requestTimeoutMs: this.opts.requestTimeoutMs });
      return new E2BSandbox(sdk, this.opts);
    } catch (err) {
      throw toSandboxError(err, id);
    }
  }

  private connection(): SandboxOpts {
    const { apiKey, apiUrl, sandboxUrl, domain, requestTimeoutMs } = this.opts;
    return { apiKey, apiUrl, sandboxUrl, domain, requestTimeoutMs };
  }
}
