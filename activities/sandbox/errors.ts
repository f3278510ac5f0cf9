import { DynamiqError } from '../../lib/errors/index.js';

/**
 * Stable error codes of the sandbox layer. Callers branch on `code`, never on the message,
 * so messages can keep improving without breaking anyone.
 */
export type SandboxErrorCode =
  | 'dynamiq.sandbox.invalid_config'
  | 'dynamiq.sandbox.invalid_input'
  | 'dynamiq.sandbox.not_found'
  | 'dynamiq.sandbox.unavailable'
  | 'dynamiq.sandbox.auth_failed'
  | 'dynamiq.sandbox.aborted'
  | 'dynamiq.sandbox.file_not_found'
  | 'dynamiq.sandbox.file_too_large';

/** HTTP status and whether the same call may succeed when tried again, per code. */
const SANDBOX_ERRORS: Record<SandboxErrorCode, { status: number; retryable: boolean }> = {
  'dynamiq.sandbox.invalid_config': { status: 500, retryable: false },
  'dynamiq.sandbox.invalid_input': { status: 400, retryable: false },
  // The session layer makes a new sandbox on the next attempt.
  'dynamiq.sandbox.not_found': { status: 404, retryable: true },
  'dynamiq.sandbox.unavailable': { status: 503, retryable: true },
  'dynamiq.sandbox.auth_failed': { status: 502, retryable: false },
  'dynamiq.sandbox.aborted': { status: 499, retryable: true },
  'dynamiq.sandbox.file_not_found': { status: 404, retryable: false },
  'dynamiq.sandbox.file_too_large': { status: 413, retryable: false },
};

/** Thrown by the sandbox layer on purpose; the base of every sandbox error below. */
export class SandboxError extends DynamiqError {
  declare readonly code: SandboxErrorCode;

  constructor(code: SandboxErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, { ...SANDBOX_ERRORS[code], cause: options?.cause });
    this.name = 'SandboxError';
  }
}

/** Thrown when provider options are missing or malformed; the message names the field to fix. */
export class SandboxConfigError extends SandboxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('dynamiq.sandbox.invalid_config', message, options);
    this.name = 'SandboxConfigError';
  }
}

/** Thrown when a call's arguments (command options, paths, env names) are malformed. */
export class SandboxInputError extends SandboxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('dynamiq.sandbox.invalid_input', message, options);
    this.name = 'SandboxInputError';
  }
}

/** Thrown when a sandbox id does not name a live sandbox (never created, killed, or expired). */
export class SandboxNotFoundError extends SandboxError {
  readonly sandboxId: string;

  constructor(sandboxId: string, message?: string, options?: { cause?: unknown }) {
    super(
      'dynamiq.sandbox.not_found',
      message ?? `Sandbox ${sandboxId} does not exist or was killed; create a new one.`,
      options,
    );
    this.name = 'SandboxNotFoundError';
    this.sandboxId = sandboxId;
  }
}

/**
 * Thrown when the sandbox machinery itself fails: bubblewrap missing or refusing to start,
 * the E2B API unreachable or erroring. Usually worth a retry after the cause is fixed.
 */
export class SandboxUnavailableError extends SandboxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('dynamiq.sandbox.unavailable', message, options);
    this.name = 'SandboxUnavailableError';
  }
}

/** Thrown when the sandbox service rejects the credentials (e.g. a wrong E2B API key). */
export class SandboxAuthError extends SandboxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('dynamiq.sandbox.auth_failed', message, options);
    this.name = 'SandboxAuthError';
  }
}

/** Thrown by `exec` when its AbortSignal fired; the command's process tree is gone by then. */
export class SandboxAbortedError extends SandboxError {
  constructor(message = 'Command aborted by the caller; its processes were killed.') {
    super('dynamiq.sandbox.aborted', message);
    this.name = 'SandboxAbortedError';
  }
}

/** Thrown when a file or folder asked for does not exist inside the sandbox. */
export class SandboxFileNotFoundError extends SandboxError {
  readonly path: string;

  constructor(path: string, options?: { cause?: unknown }) {
    super(
      'dynamiq.sandbox.file_not_found',
      `No such file or folder in the sandbox: ${path}`,
      options,
    );
    this.name = 'SandboxFileNotFoundError';
    this.path = path;
  }
}

/**
 * Thrown by `readFile` when the file exceeds the read limit (read it in parts with `exec`), or
 * when a file moved through the workflow exceeds the transfer limit; `message` says which.
 */
export class SandboxFileTooLargeError extends SandboxError {
  readonly path: string;
  readonly limitBytes: number;

  constructor(path: string, limitBytes: number, message?: string) {
    super(
      'dynamiq.sandbox.file_too_large',
      message ??
        `${path} is larger than the ${limitBytes}-byte read limit; read a slice with exec (head, tail, sed -n).`,
    );
    this.name = 'SandboxFileTooLargeError';
    this.path = path;
    this.limitBytes = limitBytes;
  }
}
