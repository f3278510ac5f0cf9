/**
 * Stable error codes of the sandbox layer. Callers branch on `code`, never on the message,
 * so messages can keep improving without breaking anyone.
 */
export type SandboxErrorCode =
  | 'SANDBOX_INVALID_CONFIG'
  | 'SANDBOX_INVALID_INPUT'
  | 'SANDBOX_NOT_FOUND'
  | 'SANDBOX_UNAVAILABLE'
  | 'SANDBOX_AUTH_FAILED'
  | 'SANDBOX_ABORTED'
  | 'SANDBOX_FILE_NOT_FOUND'
  | 'SANDBOX_FILE_TOO_LARGE';

/** Base class of every error the sandbox layer throws on purpose. */
export class SandboxError extends Error {
  readonly code: SandboxErrorCode;

  constructor(code: SandboxErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SandboxError';
    this.code = code;
  }
}

/** Thrown when provider options are missing or malformed; the message names the field to fix. */
export class SandboxConfigError extends SandboxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SANDBOX_INVALID_CONFIG', message, options);
    this.name = 'SandboxConfigError';
  }
}

/** Thrown when a call's arguments (command options, paths, env names) are malformed. */
export class SandboxInputError extends SandboxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SANDBOX_INVALID_INPUT', message, options);
    this.name = 'SandboxInputError';
  }
}

/** Thrown when a sandbox id does not name a live sandbox (never created, killed, or expired). */
export class SandboxNotFoundError extends SandboxError {
  readonly sandboxId: string;

  constructor(sandboxId: string, message?: string, options?: { cause?: unknown }) {
    super(
      'SANDBOX_NOT_FOUND',
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
    super('SANDBOX_UNAVAILABLE', message, options);
    this.name = 'SandboxUnavailableError';
  }
}

/** Thrown when the sandbox service rejects the credentials (e.g. a wrong E2B API key). */
export class SandboxAuthError extends SandboxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SANDBOX_AUTH_FAILED', message, options);
    this.name = 'SandboxAuthError';
  }
}

/** Thrown by `exec` when its AbortSignal fired; the command's process tree is gone by then. */
export class SandboxAbortedError extends SandboxError {
  constructor(message = 'Command aborted by the caller; its processes were killed.') {
    super('SANDBOX_ABORTED', message);
    this.name = 'SandboxAbortedError';
  }
}

/** Thrown when a file or folder asked for does not exist inside the sandbox. */
export class SandboxFileNotFoundError extends SandboxError {
  readonly path: string;

  constructor(path: string, options?: { cause?: unknown }) {
    super('SANDBOX_FILE_NOT_FOUND', `No such file or folder in the sandbox: ${path}`, options);
    this.name = 'SandboxFileNotFoundError';
    this.path = path;
  }
}

/** Thrown by `readFile` when the file exceeds the read limit; read it in parts with `exec`. */
export class SandboxFileTooLargeError extends SandboxError {
  readonly path: string;
  readonly limitBytes: number;

  constructor(path: string, limitBytes: number) {
    super(
      'SANDBOX_FILE_TOO_LARGE',
      `${path} is larger than the ${limitBytes}-byte read limit; read a slice with exec (head, tail, sed -n).`,
    );
    this.name = 'SandboxFileTooLargeError';
    this.path = path;
    this.limitBytes = limitBytes;
  }
}
