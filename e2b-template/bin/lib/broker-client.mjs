/* global process, URL, Buffer */
// What every sandbox helper shares: the command's sandbox token, the broker's address, one
// JSON POST to it, and the exit-status conventions. Dependency-free, for a bare `node`.
// Helpers load it with `await import(...)` next to their own path, so they stay runnable
// whether Node treats their extensionless files as CommonJS or as ES modules.

/** A failure the helper reports in one line on stderr, exiting with `exitCode`. */
export class HelperError extends Error {
  constructor(message, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

export async function sandboxToken() {
  const file = process.env.DYNAMIQ_SANDBOX_TOKEN_FILE;
  if (file) {
    const { readFile } = await import('node:fs/promises');
    const value = (
      await readFile(file, 'utf8').catch((err) => {
        throw new HelperError(`cannot read the sandbox token file ${file}: ${err.code ?? err.message}`);
      })
    ).trim();
    if (value) return value;
    throw new HelperError(`the sandbox token file ${file} is empty`);
  }
  const value = (process.env.DYNAMIQ_SANDBOX_TOKEN ?? '').trim();
  if (!value) throw new HelperError('set DYNAMIQ_SANDBOX_TOKEN or DYNAMIQ_SANDBOX_TOKEN_FILE');
  return value;
}

export function brokerUrl(pathname) {
  const base = (process.env.DYNAMIQ_BROKER_URL ?? '').trim();
  if (!base) throw new HelperError('set DYNAMIQ_BROKER_URL to the Dynamiq server');
  try {
    return new URL(pathname.replace(/^\//, ''), base.endsWith('/') ? base : `${base}/`);
  } catch {
    throw new HelperError(`DYNAMIQ_BROKER_URL is not a URL: ${base}`);
  }
}

// node:http rather than fetch: fetch's HTTP parser is WebAssembly, which reserves more address
// space than a sandbox's memory limit allows, so fetch fails inside one.
async function post(url, bearer, payload) {
  const { request } = await import(url.protocol === 'https:' ? 'node:https' : 'node:http');
  const body = JSON.stringify(payload);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${bearer}`,
        },
        timeout: 30_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(Object.assign(new Error('no answer in 30 s'), { code: 'ETIMEDOUT' })),
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** POSTs `payload` with the sandbox token; resolves with the JSON answer of an HTTP 200. */
export async function callBroker(pathname, payload) {
  const url = brokerUrl(pathname);
  const token = await sandboxToken();
  let response;
  try {
    response = await post(url, token, payload);
  } catch (err) {
    throw new HelperError(`cannot reach the broker at ${url.origin}: ${err.code ?? err.message}`);
  }
  let body;
  try {
    body = JSON.parse(response.text);
  } catch {
    throw new HelperError(`the broker answered HTTP ${response.status} without JSON`);
  }
  if (response.status !== 200) {
    throw new HelperError(
      `refused (${body.error?.code ?? response.status}): ${body.error?.message ?? response.text}`,
    );
  }
  return body;
}

/** Runs `command` with stdio shared; resolves with its exit status (128+n after a signal). */
export async function runCommand(command, env = process.env, label = 'helper') {
  const { spawn } = await import('node:child_process');
  const { constants } = await import('node:os');
  return new Promise((resolve) => {
    const child = spawn(command[0], command.slice(1), { stdio: 'inherit', env });
    // The sandbox stops a command by signalling its whole tree; a signal that reaches only
    // this helper is passed on, so the CLI does not outlive it.
    const forward = (signal) => child.kill(signal);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, forward);
    child.on('error', (err) => {
      process.stderr.write(`${label}: cannot run ${command[0]}: ${err.message}\n`);
      resolve(127);
    });
    child.on('exit', (code, signal) =>
      resolve(code ?? 128 + (constants.signals[signal] ?? constants.signals.SIGTERM)),
    );
  });
}

/** Runs a helper's `main` (resolving with an exit status) and reports failures in one line. */
export function runHelper(label, main) {
  main().then(
    (code) => {
      process.exitCode = code ?? 0;
    },
    (err) => {
      process.stderr.write(`${label}: ${err instanceof HelperError ? err.message : err.stack}\n`);
      process.exitCode = err instanceof HelperError ? err.exitCode : 1;
    },
  );
}
