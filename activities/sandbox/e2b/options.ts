import { z } from 'zod';
import { SandboxConfigError } from '../errors.js';
import { DEFAULT_OUTPUT_LIMITS } from '../output.js';
import type { OutputLimits } from '../output.js';

export interface E2BSandboxProviderOptions {
  /** E2B API key (`e2b_...`); usually from the E2B_API_KEY environment variable. */
  apiKey: string;
  /** Id or name of the template built from `e2b-template/`. */
  templateId: string;
  /**
   * How long a sandbox lives without being reached, in milliseconds. Set at create and set
   * again after every connect, because E2B resets it to its default when it resumes one.
   * Default 30 minutes.
   */
  lifetimeMs?: number;
  /** Control-plane URL; default E2B's (`https://api.e2b.app`). Tests point it at a fake. */
  apiUrl?: string;
  /** URL of the in-sandbox daemon for every sandbox; default derived from the domain. */
  sandboxUrl?: string;
  /** E2B domain, for self-hosted E2B. Default `e2b.app`. */
  domain?: string;
  /** Limit for each API request, in milliseconds. Default 30 seconds. */
  requestTimeoutMs?: number;
  /** Output kept per stream. Default 32 KiB head and 32 KiB tail. */
  output?: Partial<OutputLimits>;
  /** Command time limit when `exec` gets none, in milliseconds. Default 5 minutes. */
  defaultTimeoutMs?: number;
  /** Largest file `readFile` returns, in bytes. Default 16 MiB. */
  maxReadFileBytes?: number;
}

export interface ResolvedE2BOptions {
  apiKey: string;
  templateId: string;
  lifetimeMs: number;
  apiUrl?: string;
  sandboxUrl?: string;
  domain?: string;
  requestTimeoutMs: number;
  output: OutputLimits;
  defaultTimeoutMs: number;
  maxReadFileBytes: number;
}

const positiveInt = z.number().int().positive();

const optionsSchema = z.object({
  apiKey: z.string().min(1, 'set apiKey (E2B_API_KEY) to your E2B API key'),
  templateId: z.string().min(1, 'set templateId to the template built from e2b-template/'),
  lifetimeMs: positiveInt.max(24 * 60 * 60 * 1000).default(30 * 60 * 1000),
  apiUrl: z.url().optional(),
  sandboxUrl: z.url().optional(),
  domain: z.string().min(1).optional(),
  requestTimeoutMs: positiveInt.default(30_000),
  output: z
    .object({
      headBytes: z.number().int().min(0).default(DEFAULT_OUTPUT_LIMITS.headBytes),
      tailBytes: z.number().int().min(0).default(DEFAULT_OUTPUT_LIMITS.tailBytes),
    })
    .default(DEFAULT_OUTPUT_LIMITS),
  defaultTimeoutMs: positiveInt.default(5 * 60 * 1000),
  maxReadFileBytes: positiveInt.default(16 * 1024 * 1024),
});

/** Validates options and fills defaults; throws `SandboxConfigError` naming the bad field. */
export function resolveE2BOptions(options: E2BSandboxProviderOptions): ResolvedE2BOptions {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new SandboxConfigError(`Invalid E2B sandbox options: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}
