/**
 * Local (bubblewrap) sandbox figures: create + exec `true` + kill, warm exec latency through
 * the sandbox's exec server (default proxied network, and without network) against a fresh
 * bwrap per command over the same sandbox folders in the same run, memory per sandbox, idle
 * and while running a command, and what the egress proxy adds to a request to a loopback
 * server.
 *   npx tsx bench/sandbox.ts   (as root, like CI; needs bubblewrap and util-linux)
 */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { LocalSandboxProvider } from '../activities/sandbox/index.js';
import type { LocalSandbox } from '../activities/sandbox/index.js';
import { buildBwrapInvocation, presentEtcEntries } from '../activities/sandbox/local/bwrap-args.js';
import { resolveLocalOptions } from '../activities/sandbox/local/options.js';
import { launchBwrap } from '../activities/sandbox/local/run.js';
import { formatMs, percentiles } from './stats.js';

const RUNS = 100;
const CONCURRENT = 10;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

function report(label: string, samples: number[]) {
  const { p50, p99 } = percentiles(samples);
  console.log(
    `${label.padEnd(34)} p50 ${formatMs(p50)}   p99 ${formatMs(p99)}   (n=${samples.length})`,
  );
}

/** Proportional set size (shared pages split among sharers) of the live processes of `uid`, in KiB. */
async function pssOfUid(uid: number): Promise<{ kib: number; processes: number }> {
  let kib = 0;
  let processes = 0;
  for (const name of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const status = await fs.readFile(`/proc/${name}/status`, 'utf8').catch(() => '');
    if (!new RegExp(`^Uid:\\s+${uid}\\s`, 'm').test(status)) continue;
    // bwrap's reaper lingers as a zombie until the host's init collects it; it holds no memory.
    if (/^State:\s+Z/m.test(status)) continue;
    const rollup = await fs.readFile(`/proc/${name}/smaps_rollup`, 'utf8').catch(() => '');
    kib += Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
    processes++;
  }
  return { kib, processes };
}

const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'dynamiq-bench-'));
await fs.chmod(dataDir, 0o711);
const root = path.join(dataDir, 'sandboxes');
const provider = new LocalSandboxProvider({ root });
try {
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  console.log(
    `${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.release()}, load ${load}`,
  );
  console.log(execFileSync('/usr/bin/bwrap', ['--version'], { encoding: 'utf8' }).trim());

  const warmup = await provider.create();
  await warmup.exec('true');
  await warmup.kill();

  const cycle: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    cycle.push(
      await timed(async () => {
        const sbx = await provider.create();
        await sbx.exec('true');
        await sbx.kill();
      }),
    );
  }
  report('create + exec true + kill', cycle);

  const sbx = await provider.create();
  for (let i = 0; i < 5; i++) await sbx.exec('true');
  const warm: number[] = [];
  for (let i = 0; i < RUNS; i++) warm.push(await timed(() => sbx.exec('true')));
  report('warm exec true (proxied)', warm);
  const offline = await new LocalSandboxProvider({ root, network: 'none' }).create();
  for (let i = 0; i < 5; i++) await offline.exec('true');
  const warmNone: number[] = [];
  for (let i = 0; i < RUNS; i++) warmNone.push(await timed(() => offline.exec('true')));
  report('warm exec true (network none)', warmNone);
  // The same command as every exec ran it before the exec server: a fresh bwrap over the
  // same sandbox's folders (network none, so no egress relays to start).
  const fresh = freshBwrap(offline);
  for (let i = 0; i < 5; i++) await fresh();
  const warmFresh: number[] = [];
  for (let i = 0; i < RUNS; i++) warmFresh.push(await timed(fresh));
  report('exec true, fresh bwrap (none)', warmFresh);
  const ratio = (a: number[], b: number[]) => (percentiles(a).p50 / percentiles(b).p50).toFixed(1);
  console.log(
    `exec server vs fresh bwrap, p50: ${ratio(warmFresh, warmNone)}x faster (none), ` +
      `${ratio(warmFresh, warm)}x faster (proxied)`,
  );
  await offline.kill();
  const file: number[] = [];
  for (let i = 0; i < RUNS; i++) file.push(await timed(() => sbx.writeFile('f.txt', 'x')));
  report('writeFile (small)', file);
  await sbx.kill();

  // An idle local sandbox is its bwrap pid 1 and its exec server.
  const idle = await Promise.all(Array.from({ length: CONCURRENT }, () => provider.create()));
  const hostUid = process.getuid?.() === 0 ? 1_900_000_000 : (process.getuid?.() ?? -1);
  const idleMem = await pssOfUid(hostUid);
  const du = execFileSync('du', ['-sk', root], { encoding: 'utf8' }).split('\t')[0];
  console.log(
    `idle sandboxes: ${idleMem.processes} processes, ${idleMem.kib} KiB PSS for ${CONCURRENT}; ` +
      `disk ${Number(du) / CONCURRENT} KiB each`,
  );

  // While a command runs: bwrap, its pid-1 reaper, and the command (here `sleep`).
  const running = idle.map((s) => s.exec('sleep 5'));
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const busy = await pssOfUid(hostUid);
  console.log(
    `per sandbox running a command: ${(busy.kib / CONCURRENT / 1024).toFixed(2)} MiB PSS, ` +
      `${busy.processes / CONCURRENT} processes (${CONCURRENT} sandboxes running sleep)`,
  );
  await Promise.all(running);
  await Promise.all(idle.map((s) => s.kill()));
  await proxyLatency();
} finally {
  await fs.rm(dataDir, { recursive: true, force: true });
}

/** Runs `true` in a fresh bwrap over `sbx`'s folders, with the options of a `none` sandbox. */
function freshBwrap(sbx: LocalSandbox): () => Promise<unknown> {
  const opts = resolveLocalOptions({ root, network: 'none' });
  const dir = path.join(root, sbx.id);
  const paths = {
    dir,
    home: path.join(dir, 'home'),
    work: path.join(dir, 'work'),
    passwd: path.join(dir, 'etc', 'passwd'),
    group: path.join(dir, 'etc', 'group'),
    run: path.join(opts.egress.socketDir, sbx.id),
  };
  const invocation = buildBwrapInvocation(opts, paths, presentEtcEntries(), {
    cwd: '/work',
    env: {},
    command: 'true',
  });
  // The product's own launch of bwrap with the same options, waited for to its exit: the cost
  // of a fresh namespace per command, nothing else.
  return () =>
    new Promise<void>((resolve, reject) => {
      const child = launchBwrap({ bwrapPath: opts.bwrapPath, invocation, hostUid: opts.hostUid }, [
        'ignore',
        'ignore',
        'pipe',
        'pipe',
      ]);
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) =>
        code === 0 ? resolve() : reject(new Error(`bwrap exited ${code}: ${stderr}`)),
      );
    });
}

/**
 * One request to a loopback HTTP server, timed by curl itself (%{time_total}, so curl's own
 * start-up is left out): directly from a sandbox on the host network, and from a proxied one
 * through the egress proxy, as a plain-HTTP forward and through a CONNECT tunnel (the path
 * an HTTPS request takes; TLS itself costs the same either way).
 */
async function proxyLatency() {
  const server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/`;
  const loop = (curl: string) =>
    `for i in $(seq ${RUNS}); do ${curl} -s -o /dev/null -w '%{time_total}\\n' ${url}; done`;
  const samples = (stdout: string) =>
    stdout
      .trim()
      .split('\n')
      .map((line) => Number(line) * 1000);
  try {
    const shared = await new LocalSandboxProvider({ root, network: 'shared' }).create();
    const proxied = await new LocalSandboxProvider({
      root,
      egress: { allow: [`127.0.0.1:${port}`] },
    }).create();
    const direct = samples((await shared.exec(loop('curl'))).stdout);
    const forward = samples(
      (await proxied.exec(loop(`curl --noproxy '' -x "$HTTP_PROXY"`))).stdout,
    );
    const tunnel = samples(
      (await proxied.exec(loop(`curl --noproxy '' -p -x "$HTTP_PROXY"`))).stdout,
    );
    report('GET loopback, direct (shared net)', direct);
    report('GET via egress proxy (forward)', forward);
    report('GET via egress proxy (CONNECT)', tunnel);
    const base = percentiles(direct).p50;
    console.log(
      `egress proxy adds p50 ${formatMs(percentiles(forward).p50 - base)} (forward), ` +
        `${formatMs(percentiles(tunnel).p50 - base)} (CONNECT, as HTTPS)`,
    );
    await Promise.all([shared.kill(), proxied.kill()]);
  } finally {
    server.close();
  }
}
