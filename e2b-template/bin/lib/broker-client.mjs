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

/**
 * The proxy a request to `url` goes through, from HTTPS_PROXY / HTTP_PROXY and NO_PROXY as
 * curl reads them, or undefined. Node 20's http client ignores these variables, and a local
 * sandbox reaches anything but its loopback only through its egress proxy.
 */
export function proxyFor(url, env = process.env) {
  const name = url.protocol === 'https:' ? 'https_proxy' : 'http_proxy';
  const proxy = env[name] || env[name.toUpperCase()];
  if (!proxy) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const skip = (env.no_proxy ?? env.NO_PROXY ?? '')
    .split(',')
    .map((entry) => entry.trim().toLowerCase().replace(/^\*?\./, ''))
    .filter(Boolean);
  if (skip.some((entry) => entry === '*' || host === entry || host.endsWith(`.${entry}`))) {
    return undefined;
  }
  return new URL(proxy);
}

/** Options that send one request through `proxy`: absolute-form for http, a CONNECT tunnel for https. */
async function viaProxy(url, proxy) {
  const http = await import('node:http');
  if (url.protocol === 'http:') {
    return { host: proxy.hostname, port: proxy.port || 80, path: url.href, headers: { host: url.host } };
  }
  const tls = await import('node:tls');
  const socket = await new Promise((resolve, reject) => {
    const req = http.request({
      host: proxy.hostname,
      port: proxy.port || 80,
      method: 'CONNECT',
      path: `${url.hostname}:${url.port || 443}`,
      timeout: 30_000,
    });
    req.on('connect', (res, tunnel) =>
      res.statusCode === 200
        ? resolve(tunnel)
        : reject(Object.assign(new Error(`proxy answered ${res.statusCode}`), { code: 'EPROXY' })),
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('proxy timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end();
  });
  return { createConnection: () => tls.connect({ socket, servername: url.hostname }) };
}

// node:http rather than fetch: fetch's HTTP parser is WebAssembly, which reserves more address
// space than a sandbox's memory limit allows, so fetch fails inside one.
async function post(url, bearer, payload) {
  const { request } = await import(url.protocol === 'https:' ? 'node:https' : 'node:http');
  const body = JSON.stringify(payload);
  const proxy = proxyFor(url);
  const routed = proxy ? await viaProxy(url, proxy) : {};
  const options = {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      authorization: `Bearer ${bearer}`,
      ...routed.headers,
    },
    timeout: 30_000,
    ...(routed.createConnection ? { createConnection: routed.createConnection, agent: false } : {}),
  };
  return new Promise((resolve, reject) => {
    const onResponse = (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    };
    const req = routed.host
      ? request({ ...options, host: routed.host, port: routed.port, path: routed.path }, onResponse)
      : request(url, options, onResponse);
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
