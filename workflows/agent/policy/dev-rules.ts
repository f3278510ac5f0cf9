import { helpOf } from './cli-kit.js';
import { has, scanOptions, valuesOf, type Options } from './options.js';
import { hides, list, reads, unclear, writes, type Rule, type Verdict } from './verdict.js';

/**
 * git, the JavaScript package managers and pip. `git fetch` and `git clone` count as reads:
 * they copy from the remote and write only git's own data (remote-tracking refs, a new
 * folder that clone refuses to put over an existing one), so no work in the sandbox is lost.
 * `git pull` merges into the working tree and asks.
 */

/** Config keys that make git run a program. */
const RUNS_PROGRAM =
  /(pager|command|editor|program|helper|hookspath|fsmonitor|textconv|external|askpass|^alias\.)/i;

const GIT_READS = new Set(
  list(`
  status, log, diff, show, blame, annotate, shortlog, describe, rev-parse, rev-list, ls-files,
  ls-tree, ls-remote, cat-file, grep, whatchanged, help, version, count-objects, check-ignore,
  check-attr, check-ref-format, var, verify-commit, verify-tag, cherry, range-diff, show-branch,
  show-ref, for-each-ref, merge-base, name-rev, fsck, diff-tree, diff-files, diff-index, fetch,
  clone
`),
);

/** Read subcommands' options that run a program or write a file instead. */
function gitOptionRisk(sub: string, args: readonly string[], name: string): Verdict | undefined {
  const options = scanOptions(args, {
    short: 'cO',
    long: ['--config', '--upload-pack', '--template'],
  });
  const configs = valuesOf(options, '-c', '--config');
  const program =
    configs.some((c) => RUNS_PROGRAM.test(c.split('=')[0] ?? '')) ||
    has(options, '--upload-pack', '--template') ||
    (sub === 'clone' && has(options, '-u')) ||
    (sub === 'grep' && has(options, '-O', '--open-files-in-pager'));
  if (program)
    return hides(`${name} ${sub}`, 'is told to run another program, which hides what really runs');
  if (has(options, '--output'))
    return writes(`${name} ${sub} --output`, 'writes a file in the sandbox');
  return undefined;
}

/** Subcommands that read in some forms only. */
function gitForms(sub: string, o: Options): boolean | undefined {
  const [first] = o.operands;
  switch (sub) {
    case 'branch': {
      if (
        has(
          o,
          '-d',
          '-D',
          '--delete',
          '-m',
          '-M',
          '--move',
          '-c',
          '-C',
          '--copy',
          '-f',
          '--force',
          '-u',
          '--set-upstream-to',
          '--unset-upstream',
          '--edit-description',
          '-t',
          '--track',
        )
      ) {
        return false;
      }
      return (
        o.operands.length === 0 ||
        has(
          o,
          '-l',
          '--list',
          '--contains',
          '--no-contains',
          '--merged',
          '--no-merged',
          '--points-at',
          '--show-current',
        )
      );
    }
    case 'tag':
      if (
        has(
          o,
          '-d',
          '--delete',
          '-a',
          '--annotate',
          '-s',
          '--sign',
          '-u',
          '--local-user',
          '-f',
          '--force',
          '-m',
          '--message',
          '-F',
          '--file',
          '-e',
          '--edit',
        )
      ) {
        return false;
      }
      return (
        o.operands.length === 0 ||
        has(o, '-l', '--list', '-n', '--contains', '--points-at', '--merged', '--no-merged')
      );
    case 'remote':
      return first === undefined || first === 'show' || first === 'get-url';
    case 'config':
      if (first === 'get' || first === 'list') return true;
      if (has(o, '--get', '--get-all', '--get-regexp', '--get-urlmatch', '--list', '-l'))
        return true;
      return (
        o.operands.length === 1 &&
        !has(
          o,
          '--unset',
          '--unset-all',
          '--add',
          '--replace-all',
          '--rename-section',
          '--remove-section',
          '-e',
          '--edit',
        )
      );
    case 'stash':
      return first === 'list' || first === 'show';
    case 'worktree':
      return first === 'list';
    case 'notes':
      return first === undefined || first === 'list' || first === 'show';
    case 'submodule':
      return first === undefined || first === 'status' || first === 'summary';
    case 'reflog':
      return first === undefined || first === 'show' || first === 'exists';
    case 'symbolic-ref':
      return o.operands.length <= 1 && !has(o, '-d', '--delete');
    case 'bisect':
      return ['log', 'visualize', 'view', 'terms'].includes(first ?? '');
    case 'archive':
      return !has(o, '-o', '--output');
    case 'format-patch':
      return has(o, '--stdout');
    case 'lfs':
      return ['ls-files', 'status', 'env', 'version'].includes(first ?? '');
    case 'sparse-checkout':
      return first === 'list';
    default:
      return undefined;
  }
}

const git: Rule = (args, name) => {
  const globals = scanOptions(args, {
    short: 'Cc',
    long: ['--git-dir', '--work-tree', '--namespace', '--super-prefix', '--config-env'],
    stopAtOperand: true,
  });
  const [sub, ...rest] = globals.rest;
  const configs = [...valuesOf(globals, '-c'), ...valuesOf(globals, '--config-env')];
  const execPath = globals.flags.some((f) => f.name === '--exec-path' && f.value !== undefined);
  if (execPath || configs.some((c) => RUNS_PROGRAM.test(c.split('=')[0] ?? ''))) {
    return hides(`${name} -c`, 'makes git run another program, which hides what really runs');
  }
  if (sub === undefined) return reads(name, 'only shows help');
  const label = `${name} ${sub}`;
  const options = scanOptions(rest, {
    long: list(`
      --contains, --no-contains, --merged, --no-merged, --points-at, --sort, --format,
      --set-upstream-to, --output
    `),
  });
  if (has(options, '--help')) return reads(`${label} --help`, 'only shows help');
  if (sub === 'submodule' && options.operands[0] === 'foreach') {
    return hides(
      `${label} foreach`,
      'runs a shell command in each submodule, which hides what really runs',
    );
  }
  const form = gitForms(sub, options);
  if (form === true || (form === undefined && GIT_READS.has(sub))) {
    return (
      gitOptionRisk(sub, rest, name) ??
      reads(form === undefined ? label : `${label} ${options.operands[0] ?? ''}`.trim())
    );
  }
  if (sub === 'push') return writes(label, 'changes the remote repository');
  return writes(
    form === undefined ? label : `${label} ${options.operands[0] ?? ''}`.trim(),
    'changes the repository in the sandbox',
  );
};

interface PackageManager {
  reads: readonly string[];
  /** Commands that run a package's scripts or binaries. */
  scripts: readonly string[];
  /** What a bare call does: npm prints help, yarn installs. */
  bareInstalls?: boolean;
  /** An unknown word is a script name (`pnpm build`, `yarn lint`). */
  wordIsScript?: boolean;
}

const REGISTRY = new Set(
  list(`
  publish, unpublish, deprecate, dist-tag, owner, access, team, token, login, logout, adduser,
  star, unstar, org, hook, profile
`),
);
const INSTALLS = new Set(
  list(`
  install, i, ci, add, remove, rm, uninstall, un, update, up, upgrade, link, ln, unlink, prune,
  rebuild, dedupe, import, patch, init, create, version, pack, set, cache, config, pkg, audit,
  fund
`),
);

function packageRule(pm: PackageManager): Rule {
  return (args, name) => {
    const options = scanOptions(args, {
      short: 'wC',
      long: list(`
        --prefix, --workspace, --registry, --userconfig, --cache, --loglevel, --filter, --dir,
        --cwd
      `),
    });
    const help = helpOf(name, options);
    if (help) return help;
    const [command, second] = options.operands;
    if (command === undefined) {
      return pm.bareInstalls
        ? writes(name, 'installs packages in the sandbox')
        : reads(name, 'only shows help');
    }
    const label = `${name} ${command}`;
    if (command === 'version' && options.operands.length === 1 && name !== 'yarn')
      return reads(label);
    if (command === 'audit' && second !== 'fix') return reads(label);
    const path = second === undefined ? command : `${command} ${second}`;
    if (pm.reads.includes(command) || pm.reads.includes(path))
      return reads(second && pm.reads.includes(path) ? `${name} ${path}` : label);
    if (pm.scripts.includes(command))
      return unclear(label, 'runs package scripts or programs, whose contents are not checked');
    if (REGISTRY.has(command)) return writes(label, 'changes the package registry');
    if (INSTALLS.has(command) || !pm.wordIsScript)
      return writes(label, 'changes packages in the sandbox');
    return unclear(label, 'may run a package script, whose contents are not checked');
  };
}

const npm = packageRule({
  reads: list(`
    ls, list, ll, la, view, v, info, show, search, s, se, find, outdated, get, prefix, root, bin,
    whoami, ping, doctor, explain, why, help-search, query, diff, sbom, config get, config list,
    config ls, cache ls, pkg get
  `),
  scripts: list(`
    run, run-script, rum, urn, test, t, tst, start, stop, restart, exec, x, explore
  `),
});

const pnpm = packageRule({
  reads: list(`
    ls, list, ll, why, outdated, view, info, show, root, bin, search, doctor, config get,
    config list, store path, store status, licenses list, licenses ls
  `),
  scripts: ['run', 'exec', 'dlx', 'test', 't', 'start', 'create'],
  wordIsScript: true,
});

const yarn = packageRule({
  reads: list(`
    list, info, why, outdated, bin, licenses, config get, config list, workspaces info,
    workspaces list, npm info
  `),
  scripts: ['run', 'dlx', 'exec', 'test', 'start', 'node', 'create'],
  bareInstalls: true,
  wordIsScript: true,
});

const PIP_READS = list(`
  list, show, freeze, check, search, debug, inspect, hash, index versions, config list,
  config get, config debug, cache list, cache dir, cache info
`);

const pip: Rule = (args, name) => {
  const options = scanOptions(args, { long: ['--python', '--cache-dir', '--log', '--proxy'] });
  const help = helpOf(name, options);
  if (help) return help;
  const [command, second] = options.operands;
  if (command === undefined) return reads(name, 'only shows help');
  const label = `${name} ${command}`;
  if (PIP_READS.includes(command)) return reads(label);
  if (second !== undefined && PIP_READS.includes(`${command} ${second}`))
    return reads(`${label} ${second}`);
  if (command === 'download' || command === 'wheel')
    return writes(label, 'downloads packages into the sandbox');
  return writes(label, 'changes installed packages in the sandbox');
};

export const DEV_RULES: Readonly<Record<string, Rule>> = {
  git,
  npm,
  pnpm,
  yarn,
  pip,
  pip3: pip,
};
