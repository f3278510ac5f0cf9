/* global process, Buffer, setTimeout, clearTimeout */
// exec-server: the resident process of one local (bubblewrap) sandbox. The worker starts it
// as the child of the sandbox's pid 1, inside its namespaces and cgroup, as the sandbox user;
// it dies with the sandbox. It runs commands on request over a Unix socket the worker reaches
// through a bound host folder, so a warm exec costs a message and a fork, not a namespace.
// E2B sandboxes do not use it: they have envd.
//
// Protocol: newline-delimited JSON, one connection per command. The server greets with
// {"t":"hello","nonce"} (the nonce the worker gave it, so the worker knows whom it talks to);
// the worker sends
//   {"t":"exec","id","command","cwd","env","stdin"(base64),"relays":[{address,port,socket}]}
// and may later send {"t":"kill"}; the server answers {"t":"out","s":"stdout"|"stderr","d"}
// (base64) while the command runs, then {"t":"exit","code","signal"} or {"t":"error","kind",
// "message"}. {"t":"info"} answers the server's pid, open descriptors and the sandbox's
// processes (tests use it to look for leaks); {"t":"shutdown"} kills everything and exits.
//
// Usage: node exec-server.mjs CONFIG_JSON
//   CONFIG: {socket, egressDir, nonce, shell, limits: {maxProcesses, dataKiB, cpuSeconds, fileKiB,
//            openFiles}, scratch: [folders emptied once no command runs]}
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';

const config = JSON.parse(process.argv[2] ?? '{}');
const MARKER = 'DYNAMIQ_EXEC';
// Stdout and stderr go back to bwrap's pipes, which the worker closes once we are ready.
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});

/** Commands running now, by id: their process group and marker. */
const running = new Map();
/** Loopback relays to the egress sockets, by "address:port". */
const relays = new Map();

const { limits } = config;
// `ulimit` without -S/-H sets soft and hard alike, so the command cannot raise them again.
// They are set per command in the command's own shell (the server itself stays unbound),
// on the script's first line: bash parses that line whole before running any of it, and a
// first line that does not parse runs nothing. One bash per command, as `bash -c` alone.
const ULIMIT =
  `ulimit -u ${limits.maxProcesses} -d ${limits.dataKiB} -t ${limits.cpuSeconds} ` +
  `-f ${limits.fileKiB} -n ${limits.openFiles} -c 0 || exit 125; `;

/** Fields of /proc/PID/stat after the command name: state, ppid, pgrp, session. */
function statOf(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid, pgrp, session] = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state, ppid: Number(ppid), pgrp: Number(pgrp), session: Number(session) };
  } catch {
    return undefined;
  }
}

function markerOf(pid) {
  try {
    const env = readFileSync(`/proc/${pid}/environ`, 'latin1');
    const found = env.split('\0').find((e) => e.startsWith(`${MARKER}=`));
    return found === undefined ? null : found.slice(MARKER.length + 1);
  } catch {
    return undefined;
  }
}

function otherPids() {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .filter((pid) => pid !== 1 && pid !== process.pid);
}

const signal = (pid, sig) => {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
};

/**
 * SIGKILLs everything command `id` started: its process group (setsid per command), then
 * whatever left the group but kept the command's marker variable (a setsid'd or
 * double-forked grandchild), and processes without any marker that belong to no running
 * command (one that cleared its environment). Repeated until a pass finds nothing, so a
 * process forked during a pass is caught by the next.
 */
function killTree(id, pgid) {
  signal(-pgid, 'SIGKILL');
  const groups = new Set([...running.values()].filter((c) => c.id !== id).map((c) => c.pgid));
  // The server's own session (its relays, were they processes) is never a command's.
  groups.add(statOf(process.pid)?.session ?? -1);
  for (let pass = 0; pass < 50; pass++) {
    let found = 0;
    for (const pid of otherPids()) {
      const stat = statOf(pid);
      // Already dead, waiting for pid 1 (or libuv) to reap it: nothing left to kill.
      if (!stat || stat.state === 'Z' || stat.state === 'X') continue;
      const marker = markerOf(pid);
      if (marker === undefined) continue;
      const own = marker === id;
      const stray = marker === null && !groups.has(stat.session);
      const runningElsewhere = marker !== null && !own;
      if ((own || stray) && !runningElsewhere && signal(pid, 'SIGKILL')) found++;
    }
    if (found === 0) return;
  }
}

/** Empties the per-command scratch folders (/tmp, gcloud's token folder) between commands. */
function cleanScratch() {
  if (running.size > 0) return;
  for (const dir of config.scratch ?? []) {
    let names;
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) rmSync(path.join(dir, name), { recursive: true, force: true });
  }
}

/** Starts the loopback relays a command needs (the proxy ports and bridges); they stay. */
async function ensureRelays(list) {
  for (const r of list ?? []) {
    const key = `${r.address}:${r.port}`;
    if (relays.has(key)) continue;
    const target = path.join(config.egressDir, path.basename(r.socket));
    const server = createServer({ pauseOnConnect: true }, (client) => {
      const upstream = createConnection(target);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      upstream.on('connect', () => {
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    });
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: r.address, port: r.port, backlog: 4096 }, () => resolve());
    });
    relays.set(key, server);
  }
}

function send(socket, message) {
  return socket.write(`${JSON.stringify(message)}\n`);
}

async function runCommand(socket, lines, req) {
  const id = String(req.id);
  try {
    if (!statSync(req.cwd).isDirectory()) throw new Error('not a folder');
  } catch (err) {
    send(socket, { t: 'error', kind: 'cwd', message: `Can't chdir to ${req.cwd}: ${err.message}` });
    socket.end();
    return;
  }
  try {
    await ensureRelays(req.relays);
  } catch (err) {
    send(socket, { t: 'error', kind: 'relay', message: `the network relay did not start: ${err.message}` });
    socket.end();
    return;
  }
  let child;
  try {
    child = spawn(config.shell, ['-c', ULIMIT + req.command], {
      argv0: path.basename(config.shell),
      cwd: req.cwd,
      env: { ...req.env, [MARKER]: id },
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch (err) {
    send(socket, { t: 'error', kind: 'spawn', message: err.message });
    socket.end();
    return;
  }
  const entry = { id, pgid: child.pid, child };
  if (child.pid !== undefined) running.set(id, entry);
  let killed = false;
  const kill = () => {
    killed = true;
    if (child.pid !== undefined) killTree(id, child.pid);
  };
  lines.on('line', (line) => {
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    if (msg.t === 'kill') kill();
  });
  // The worker went away (or gave up): the command goes too.
  socket.on('close', () => {
    if (running.has(id)) kill();
  });
  // Without a pid (EAGAIN, EMFILE) there may be no pipes either; 'error' follows.
  child.stdin?.on('error', () => {});
  child.stdin?.end(req.stdin ? Buffer.from(req.stdin, 'base64') : undefined);
  const streams = [child.stdout, child.stderr].filter(Boolean);
  for (const [name, stream] of [
    ['stdout', child.stdout],
    ['stderr', child.stderr],
  ]) {
    stream?.on('data', (chunk) => {
      if (!send(socket, { t: 'out', s: name, d: chunk.toString('base64') })) {
        for (const s of streams) s.pause();
        socket.once('drain', () => streams.forEach((s) => s.resume()));
      }
    });
  }
  child.on('error', (err) => {
    running.delete(id);
    send(socket, { t: 'error', kind: 'spawn', message: err.message });
    socket.end();
  });
  child.on('exit', (code, sig) => {
    // Nothing a command started outlives it, as when each command had its own namespace.
    killTree(id, child.pid);
    const finish = () => {
      running.delete(id);
      cleanScratch();
      send(socket, { t: 'exit', code, signal: sig, killed });
      socket.end();
    };
    let done = false;
    const once = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      finish();
    };
    // Output still in the pipes is delivered first; a holder that escaped cannot stall it.
    const timer = setTimeout(() => {
      for (const s of streams) s.destroy();
      once();
    }, 2000);
    child.once('close', once);
  });
}

function info(socket) {
  const pids = otherPids();
  send(socket, {
    t: 'info',
    pid: process.pid,
    fds: readdirSync('/proc/self/fd').length,
    processes: pids.length,
    running: running.size,
    relays: relays.size,
  });
  socket.end();
}

const server = createServer((socket) => {
  socket.on('error', () => {});
  // Proves to the worker that this is the sandbox it started (see buildServerInvocation).
  send(socket, { t: 'hello', nonce: config.nonce });
  const lines = createInterface({ input: socket, crlfDelay: Infinity });
  let first = true;
  lines.on('line', (line) => {
    if (!first) return;
    first = false;
    let req;
    try {
      req = JSON.parse(line);
    } catch {
      socket.destroy();
      return;
    }
    if (req.t === 'exec') void runCommand(socket, lines, req);
    else if (req.t === 'info') info(socket);
    else if (req.t === 'shutdown') {
      for (const c of running.values()) killTree(c.id, c.pgid);
      signal(-1, 'SIGKILL');
      process.exit(0);
    } else socket.destroy();
  });
});

try {
  unlinkSync(config.socket);
} catch {
  // Not there: a first start.
}
server.listen(config.socket, () => {
  process.stdout.write('ready\n');
});
