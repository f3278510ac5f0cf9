import { has, scanOptions, valueOf, valuesOf } from './options.js';
import { hides, list, reads, unclear, writes, type Rule, type Verdict } from './verdict.js';

/**
 * The rule table for programs that work inside the sandbox: text tools, file tools, HTTP
 * clients. Writing a file in the sandbox counts as a write, as an output redirection does;
 * `printenv` and `env` are reads although they print the sandbox token, which is scoped to
 * the command's integrations and expires with the command.
 */

const ONLY_READ = list(`
  ls, cat, head, tail, grep, egrep, fgrep, wc, cut, tr, jq, echo, printf, pwd, whoami, id, uname,
  printenv, df, du, ps, sleep, true, false, test, [, [[, stat, file, which, type, basename,
  dirname, diff, cmp, comm, sha256sum, sha1sum, sha512sum, md5sum, cksum, base64, xxd, od,
  hexdump, strings, tac, rev, nl, fold, column, paste, join, expand, unexpand, realpath, readlink,
  seq, less, more, tree, free, uptime, nproc, getent, locale, tty, groups, who, w, dig, nslookup,
  host, ping, traceroute, zcat, bzcat, xzcat, zgrep, cd, pushd, popd, export, local, declare,
  readonly, typeset, set, shopt, read, exit, return, wait, shift, :, unset, lsof, pgrep, numfmt,
  shuf, expr, bc, iconv, envsubst, top, vmstat, iostat, netstat, ss, yes, cal, look, md5, shasum,
  htop, man
`);

const CHANGES_FILES = list(`
  rm, rmdir, mv, cp, mkdir, touch, chmod, chown, chgrp, ln, truncate, dd, install, shred, unlink,
  zip, patch
`);
const STOPS = ['kill', 'pkill', 'killall'];

const NOT_WRITTEN = /^(-|\/dev\/(null|stdout|stderr|tty))$/;

const find: Rule = (args, name) => {
  const runs: string[][] = [];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    if (arg === '-delete') return writes(`${name} -delete`, 'deletes files in the sandbox');
    if (/^-f(print0?|printf|ls)$/.test(arg))
      return writes(`${name} ${arg}`, 'writes a file in the sandbox');
    if (/^-(exec|execdir|ok|okdir)$/.test(arg)) {
      const inner: string[] = [];
      for (i += 1; i < args.length && args[i] !== ';' && args[i] !== '+'; i += 1)
        inner.push(args[i] as string);
      runs.push(inner);
    }
  }
  return runs.length ? { ...reads(name), label: `${name} -exec`, runs } : reads(name);
};

/**
 * A sed script is safe when every command is one that only edits the stream; `e` and the `e`
 * flag run commands, `w` and the `w` flag write files.
 */
function sedRisk(script: string): 'exec' | 'write' | 'unknown' | undefined {
  let i = 0;
  const at = (k = i) => script[k] ?? '';
  const skipDelimited = (delimiter: string) => {
    while (i < script.length && at() !== delimiter) i += at() === '\\' ? 2 : 1;
    i += 1;
  };
  const toEndOfLine = () => {
    while (i < script.length && at() !== '\n') i += 1;
  };
  while (i < script.length) {
    while (/[\s;]/.test(at())) i += 1;
    if (i >= script.length) break;
    for (let address = 0; address < 2; address += 1) {
      if (/\d/.test(at())) {
        while (/[\d~]/.test(at())) i += 1;
      } else if (at() === '$') {
        i += 1;
      } else if (at() === '/') {
        i += 1;
        skipDelimited('/');
      } else if (at() === '\\') {
        i += 2;
        skipDelimited(at(i - 1));
      }
      while (/[IM ]/.test(at())) i += 1;
      if (at() !== ',' || address === 1) break;
      i += 1;
      if (at() === '+' || at() === '~') while (/[+~\d]/.test(at())) i += 1;
    }
    while (at() === ' ' || at() === '!') i += 1;
    const command = at();
    i += 1;
    if ('{}=dDgGhHxnNpPzFlqQ'.includes(command)) {
      while (/\d/.test(at())) i += 1;
    } else if ('btT:v'.includes(command)) {
      while (i < script.length && !/[;\n]/.test(at())) i += 1;
    } else if ('aicrR'.includes(command)) {
      toEndOfLine();
    } else if (command === 'w' || command === 'W') {
      return 'write';
    } else if (command === 'e') {
      return 'exec';
    } else if (command === 's' || command === 'y') {
      const delimiter = at();
      i += 1;
      skipDelimited(delimiter);
      skipDelimited(delimiter);
      while (/[a-zA-Z0-9]/.test(at())) {
        if (command === 's' && at() === 'e') return 'exec';
        if (command === 's' && at() === 'w') return 'write';
        i += 1;
      }
    } else if (command !== '#') {
      return 'unknown';
    } else {
      toEndOfLine();
    }
  }
  return undefined;
}

const sed: Rule = (args, name) => {
  const options = scanOptions(args, {
    short: 'efl',
    long: ['--expression', '--file', '--line-length'],
  });
  if (has(options, '-i', '--in-place')) return writes(`${name} -i`, 'edits files in the sandbox');
  if (has(options, '-f', '--file'))
    return unclear(`${name} -f`, 'runs a sed script from a file, which is not checked');
  const scripts = valuesOf(options, '-e', '--expression');
  if (scripts.length === 0 && options.operands[0] !== undefined) scripts.push(options.operands[0]);
  if (has(options, '--sandbox')) return reads(name);
  const risk = scripts.map(sedRisk).find((r) => r !== undefined);
  if (risk === 'exec') return hides(name, 'runs its `e` command, which hides what really runs');
  if (risk === 'write') return writes(name, 'writes a file with its `w` command');
  if (risk === 'unknown') return unclear(name, 'has a script this policy cannot read');
  return reads(name);
};

/** awk reads unless its program runs commands (`system()`, pipes) or prints to files. */
const awk: Rule = (args, name) => {
  const options = scanOptions(args, {
    short: 'Fvfi',
    long: ['--field-separator', '--assign', '--file', '--include', '--source'],
  });
  if (has(options, '-f', '--file'))
    return unclear(`${name} -f`, 'runs an awk program from a file, which is not checked');
  if (valuesOf(options, '-i', '--include').includes('inplace'))
    return writes(`${name} -i inplace`, 'edits files in the sandbox');
  const program = [...valuesOf(options, '--source'), options.operands[0] ?? ''].join('\n');
  if (/\bsystem\s*\(/.test(program) || /\|/.test(program.replace(/\|\|/g, ''))) {
    return hides(
      name,
      'runs commands from its program (`system()` or a pipe), which hides what really runs',
    );
  }
  if (/\bprintf?\b[^;{}]*>/.test(program)) return writes(name, 'writes files with `print >`');
  return reads(name);
};

const sort: Rule = (args, name) => {
  const options = scanOptions(args, {
    short: 'ktoTS',
    long: list(`
      --output, --key, --field-separator, --temporary-directory, --buffer-size,
      --compress-program, --files0-from
    `),
  });
  if (has(options, '--compress-program'))
    return hides(name, 'runs its `--compress-program`, which hides what really runs');
  const output = valueOf(options, '-o', '--output');
  return output && !NOT_WRITTEN.test(output)
    ? writes(`${name} -o`, 'writes a file in the sandbox')
    : reads(name);
};

const uniq: Rule = (args, name) => {
  const options = scanOptions(args, {
    short: 'fsw',
    long: ['--skip-fields', '--skip-chars', '--check-chars'],
  });
  const output = options.operands[1];
  return output && !NOT_WRITTEN.test(output)
    ? writes(name, 'writes its output file in the sandbox')
    : reads(name);
};

const tee: Rule = (args, name) => {
  const files = scanOptions(args).operands.filter((f) => !NOT_WRITTEN.test(f));
  return files.length ? writes(name, 'writes a file in the sandbox') : reads(name);
};

const inPlace: Rule = (args, name) =>
  has(scanOptions(args), '-i', '--inplace')
    ? writes(`${name} -i`, 'edits files in the sandbox')
    : reads(name);

const date: Rule = (args, name) =>
  has(scanOptions(args, { short: 'dfr' }), '-s', '--set')
    ? writes(`${name} -s`, 'sets the clock')
    : reads(name);

const hostname: Rule = (args, name) =>
  scanOptions(args).operands.length ? writes(name, 'renames the host') : reads(name);

const rg: Rule = (args, name) =>
  args.some((a) => a === '--pre' || a.startsWith('--pre='))
    ? hides(`${name} --pre`, 'runs another program on each file, which hides what really runs')
    : reads(name);

const tar: Rule = (args, name) => {
  if (
    args.some((a) => /^--(to-command|checkpoint-action|info-script|new-volume-script)\b/.test(a))
  ) {
    return hides(name, 'is told to run other commands, which hides what really runs');
  }
  // The first word may be a bundle without a dash: `tar xzf file`.
  const bundles = args.filter((a, i) => (i === 0 && !a.startsWith('-')) || /^-[a-zA-Z]+$/.test(a));
  const letters = bundles.join('');
  const long = (flag: string) => args.includes(flag);
  const changes =
    /[cxruA]/.test(letters) ||
    ['--create', '--extract', '--get', '--append', '--update', '--delete'].some(long);
  const toStdout = letters.includes('O') || long('--to-stdout');
  if (!changes && (letters.includes('t') || long('--list'))) return reads(`${name} -t`);
  if (changes && toStdout && !/[cruA]/.test(letters)) return reads(`${name} -xO`);
  return writes(name, 'creates or extracts an archive in the sandbox');
};

const unzip: Rule = (args, name) =>
  args.some((a) => /^-[a-zA-Z]*[lvtZp]/.test(a))
    ? reads(`${name} -l`)
    : writes(name, 'extracts files in the sandbox');

/** gzip and friends replace their files unless they write to standard output or only look. */
const compressor: Rule = (args, name) => {
  const options = scanOptions(args, { short: 'S', long: ['--suffix'] });
  return options.operands.length === 0 ||
    has(options, '-c', '--stdout', '-l', '--list', '-t', '--test')
    ? reads(name)
    : writes(name, 'replaces files in the sandbox');
};

const CURL = {
  short: 'XdHoufFTeAbcxwmKErCYyzUQtD',
  long: list(`
    --request, --data, --data-raw, --data-binary, --data-urlencode, --data-ascii, --json, --form,
    --form-string, --upload-file, --output, --header, --user, --url, --config, --user-agent,
    --referer, --cookie, --cookie-jar, --max-time, --connect-timeout, --retry, --proxy, --cacert,
    --cert, --key, --write-out, --output-dir, --resolve, --connect-to, --limit-rate, --range,
    --dump-header, --trace, --trace-ascii, --stderr, --unix-socket, --aws-sigv4, --oauth2-bearer,
    --variable, --retry-delay, --retry-max-time
  `),
};

/** The HTTP method decides: GET and HEAD read. Saving the response to a file is a write. */
const curl: Rule = (args, name) => {
  const options = scanOptions(args, CURL);
  if (has(options, '-K', '--config'))
    return unclear(`${name} -K`, 'reads its options from a file, which is not checked');
  const data = has(
    options,
    '-d',
    '--data',
    '--data-raw',
    '--data-binary',
    '--data-urlencode',
    '--data-ascii',
    '--json',
    '-F',
    '--form',
    '--form-string',
  );
  const upload = has(options, '-T', '--upload-file');
  const explicit = valueOf(options, '-X', '--request')?.toUpperCase();
  const method =
    explicit ??
    (has(options, '-I', '--head')
      ? 'HEAD'
      : upload
        ? 'PUT'
        : data && !has(options, '-G', '--get')
          ? 'POST'
          : 'GET');
  if (!['GET', 'HEAD', 'OPTIONS'].includes(method)) {
    return writes(name, `sends a ${method} request, which can change data`);
  }
  const files = valuesOf(options, '-o', '--output', '-D', '--dump-header', '-c', '--cookie-jar');
  if (
    files.some((f) => !NOT_WRITTEN.test(f)) ||
    has(options, '-O', '--remote-name', '--remote-name-all')
  ) {
    return writes(`${name} -o`, 'saves a file in the sandbox');
  }
  return reads(name, `sends a ${method} request, which only reads`);
};

const wget: Rule = (args, name) => {
  const options = scanOptions(args, {
    short: 'OoaieTtwQPUlARDIXB',
    long: list(`
      --output-document, --output-file, --method, --post-data, --post-file, --body-data,
      --body-file, --header, --user-agent, --directory-prefix, --input-file, --execute
    `),
  });
  const explicit = valueOf(options, '--method')?.toUpperCase();
  const posts = has(options, '--post-data', '--post-file', '--body-data', '--body-file');
  const method = explicit ?? (posts ? 'POST' : 'GET');
  if (!['GET', 'HEAD', 'OPTIONS'].includes(method))
    return writes(name, `sends a ${method} request, which can change data`);
  const document = valueOf(options, '-O', '--output-document');
  if (has(options, '--spider') || (document !== undefined && NOT_WRITTEN.test(document))) {
    return reads(name, `sends a ${method} request, which only reads`);
  }
  return writes(name, 'saves a file in the sandbox');
};

/** `mcp-cli call <app> <tool>` runs an MCP tool whose hints the command line does not carry. */
const mcpCli: Rule = (args, name) => {
  const [command, app, tool] = scanOptions(args, { long: ['--json'] }).operands;
  const integrations = app ? [app] : [];
  if (command === 'call') {
    return {
      ...unclear(
        `${name} call ${app ?? ''} ${tool ?? ''}`.trim(),
        'runs an MCP tool whose effect the command line does not show',
      ),
      integrations,
    };
  }
  return { ...reads(`${name} ${command ?? ''}`.trim()), integrations };
};

/** System package managers: a few read commands, the rest change the sandbox's packages. */
const SYSTEM_PACKAGE_READS: Readonly<Record<string, readonly string[]>> = {
  apt: ['list', 'search', 'show', 'policy'],
  'apt-get': ['check', 'changelog'],
  dnf: ['list', 'info', 'search', 'repolist', 'provides'],
  yum: ['list', 'info', 'search', 'repolist', 'provides'],
  apk: ['info', 'search', 'list', 'policy'],
  brew: ['list', 'ls', 'info', 'search', 'outdated', 'config', 'doctor', 'deps', 'leaves', 'desc'],
};

const systemPackages: Rule = (args, name) => {
  const [command] = scanOptions(args).operands;
  return command && SYSTEM_PACKAGE_READS[name]?.includes(command)
    ? reads(`${name} ${command}`)
    : writes(
        `${name} ${command ?? ''}`.trim(),
        'installs or removes system packages in the sandbox',
      );
};

const always =
  (make: (name: string) => Verdict): Rule =>
  (_args, name) =>
    make(name);

export const LOCAL_RULES: Readonly<Record<string, Rule>> = {
  ...Object.fromEntries(ONLY_READ.map((n) => [n, always((name) => reads(name))])),
  ...Object.fromEntries(
    CHANGES_FILES.map((n) => [n, always((name) => writes(name, 'changes files in the sandbox'))]),
  ),
  ...Object.fromEntries(
    STOPS.map((n) => [n, always((name) => writes(name, 'stops processes in the sandbox'))]),
  ),
  ...Object.fromEntries(Object.keys(SYSTEM_PACKAGE_READS).map((n) => [n, systemPackages])),
  'apt-cache': always((name) => reads(name)),
  find,
  sed,
  awk,
  gawk: awk,
  mawk: awk,
  nawk: awk,
  sort,
  uniq,
  tee,
  yq: inPlace,
  date,
  hostname,
  rg,
  tar,
  unzip,
  gzip: compressor,
  gunzip: compressor,
  bzip2: compressor,
  bunzip2: compressor,
  xz: compressor,
  unxz: compressor,
  zstd: compressor,
  curl,
  wget,
  'mcp-cli': mcpCli,
};
