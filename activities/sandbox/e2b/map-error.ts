import {
  AuthenticationError,
  FileNotFoundError,
  InvalidArgumentError,
  NotFoundError,
  SandboxNotFoundError as E2BSandboxNotFoundError,
} from 'e2b';
import {
  SandboxAuthError,
  SandboxError,
  SandboxFileNotFoundError,
  SandboxInputError,
  SandboxNotFoundError,
  SandboxUnavailableError,
} from '../errors.js';

/**
 * Turns whatever the e2b SDK threw into this layer's errors, so callers branch on one set
 * of codes whichever provider runs. `path` is set for file operations, where E2B's plain
 * "not found" means the file, not the sandbox.
 */
export function toSandboxError(err: unknown, sandboxId: string, path?: string): Error {
  if (err instanceof SandboxError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof AuthenticationError) {
    return new SandboxAuthError(`E2B rejected the API key (${message}); check E2B_API_KEY.`, {
      cause: err,
    });
  }
  if (err instanceof E2BSandboxNotFoundError) {
    return new SandboxNotFoundError(sandboxId, undefined, { cause: err });
  }
  if (path !== undefined && (err instanceof FileNotFoundError || err instanceof NotFoundError)) {
    return new SandboxFileNotFoundError(path, { cause: err });
  }
  if (err instanceof NotFoundError) return new SandboxNotFoundError(sandboxId, undefined, { cause: err });
  if (err instanceof InvalidArgumentError) {
    return new SandboxInputError(`E2B refused the request: ${message}`, { cause: err });
  }
  return new SandboxUnavailableError(`E2B request for sandbox ${sandboxId} failed: ${message}`, {
    cause: err,
  });
}
