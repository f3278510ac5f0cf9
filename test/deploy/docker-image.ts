/**
 * A model of `docker build` that needs no Docker engine: it reads the Dockerfile and
 * .dockerignore, applies them to the repository's files, and returns each stage's file list
 * (what the image's COPY steps put where). RUN steps are modelled by what they are known to
 * produce (`npm ci`: node_modules and the generated Prisma client; `npm run build`: dist/ as
 * tsconfig.build.json compiles it); an unknown RUN step is an error, so the model cannot
 * silently fall behind the Dockerfile.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const posix = path.posix;

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  name: string | undefined;
  image: string;
  workdir: string;
  /** Absolute path in the image → where it came from (a context path or `stage:path`). */
  files: Map<string, string>;
  /** Folders that exist without listed files (mkdir, node_modules). */
  dirs: Set<string>;
  aptPackages: string[];
  instructions: Instruction[];
}

/** Instructions with continuation lines joined and comments dropped. */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i]!.trim();
    if (!line || line.startsWith('#')) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) {
      line = line.slice(0, -1).trimEnd();
      let next = lines[++i]!.trim();
      while (next.startsWith('#') && i + 1 < lines.length) next = lines[++i]!.trim();
      line += ' ' + next;
    }
    const m = /^(\S+)\s*(.*)$/.exec(line)!;
    out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!.trim(), line: start + 1 });
  }
  return out;
}

/** One .dockerignore pattern as Docker's pattern matcher reads it. */
interface IgnorePattern {
  regex: RegExp;
  exclusion: boolean;
}

export function parseDockerignore(text: string): IgnorePattern[] {
  const patterns: IgnorePattern[] = [];
  for (const raw of text.split('\n')) {
    let p = raw.trim();
    if (!p || p.startsWith('#')) continue;
    const exclusion = p.startsWith('!');
    if (exclusion) p = p.slice(1).trim();
    p = posix.normalize(p).replace(/^\/+/, '').replace(/\/+$/, '');
    patterns.push({ regex: patternRegex(p), exclusion });
  }
  return patterns;
}

/** moby/patternmatcher's translation: `**` any folders, `*` and `?` within one name. */
function patternRegex(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*' && pattern[i + 1] === '*') {
      i++;
      if (pattern[i + 1] === '/') i++;
      re += i + 1 >= pattern.length ? '.*' : '(.*/)?';
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '\\' && i + 1 < pattern.length) re += escape(pattern[++i]!);
    else if (ch === '[') {
      const end = pattern.indexOf(']', i);
      if (end < 0) throw new Error(`bad .dockerignore pattern ${pattern}`);
      re += pattern.slice(i, end + 1).replace('[!', '[^');
      i = end;
    } else re += escape(ch);
  }
  return new RegExp(re + '$');
}

const escape = (s: string) => s.replace(/[.+^${}()|[\]\\/]/g, '\\$&');

/** Whether Docker leaves `file` out of the build context (the file or a parent folder matches). */
export function isIgnored(file: string, patterns: IgnorePattern[]): boolean {
  const parts = file.split('/');
  let ignored = false;
  for (const p of patterns) {
    if (p.exclusion !== ignored) continue;
    let match = p.regex.test(file);
    for (let i = 1; !match && i < parts.length; i++)
      match = p.regex.test(parts.slice(0, i).join('/'));
    if (match) ignored = !p.exclusion;
  }
  return ignored;
}

/** The repository's files as a fresh clone has them (tracked and new, not deleted, not ignored). */
export function repositoryFiles(root: string): string[] {
  const out = execFileSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return [...new Set(out.split('\0').filter(Boolean))]
    .filter((f) => existsSync(path.join(root, f)) && statSync(path.join(root, f)).isFile())
    .sort();
}

/** Files under `dir` (relative to root) that exist on disk, e.g. generated ones git ignores. */
function filesOnDisk(root: string, dir: string): string[] {
  const abs = path.join(root, dir);
  if (!existsSync(abs)) return [];
  return ts.sys
    .readDirectory(abs, undefined, undefined, undefined)
    .map((f) => path.relative(root, f).split(path.sep).join('/'));
}

/** What tsc -p <config> writes: each compiled source's .js under outDir (no type-only files). */
function compiledOutputs(root: string, configFile: string, present: (rel: string) => boolean) {
  const parsed = ts.getParsedCommandLineOfConfigFile(path.join(root, configFile), undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (!parsed) throw new Error(`cannot read ${configFile}`);
  const { outDir, rootDir } = parsed.options;
  if (!outDir || !rootDir) throw new Error(`${configFile} must set outDir and rootDir`);
  const outputs: string[] = [];
  for (const file of parsed.fileNames) {
    const rel = path.relative(root, file).split(path.sep).join('/');
    if (!present(rel) || /\.d\.[cm]?ts$/.test(rel)) continue;
    const out = path
      .join(outDir, path.relative(rootDir, file))
      .replace(/\.ts$/, '.js')
      .replace(/\.mts$/, '.mjs')
      .replace(/\.cts$/, '.cjs');
    outputs.push(path.relative(root, out).split(path.sep).join('/'));
  }
  return { outDir: path.relative(root, outDir).split(path.sep).join('/'), outputs };
}

/** Runs the Dockerfile's steps over the repository's files; returns every stage. */
export async function buildImageModel(root: string): Promise<Stage[]> {
  const ignore = parseDockerignore(
    existsSync(path.join(root, '.dockerignore'))
      ? readFileSync(path.join(root, '.dockerignore'), 'utf8')
      : '',
  );
  const context = repositoryFiles(root).filter((f) => !isIgnored(f, ignore));
  const stages: Stage[] = [];
  let stage: Stage | undefined;

  for (const ins of parseDockerfile(readFileSync(path.join(root, 'Dockerfile'), 'utf8'))) {
    const where = `Dockerfile:${ins.line} ${ins.keyword} ${ins.args}`;
    if (ins.keyword === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!m) throw new Error(`cannot read ${where}`);
      const base = stages.find((s) => s.name === m[1]);
      stage = {
        name: m[2],
        image: base ? base.image : m[1]!,
        workdir: base ? base.workdir : '/',
        files: new Map(base?.files),
        dirs: new Set(base?.dirs),
        aptPackages: [...(base?.aptPackages ?? [])],
        instructions: [],
      };
      stages.push(stage);
      continue;
    }
    if (!stage) throw new Error(`${where} before FROM`);
    stage.instructions.push(ins);
    if (ins.keyword === 'WORKDIR') {
      stage.workdir = posix.resolve(stage.workdir, ins.args);
      stage.dirs.add(stage.workdir);
    } else if (ins.keyword === 'COPY' || ins.keyword === 'ADD') {
      copy(stage, ins.args, where, context, stages);
    } else if (ins.keyword === 'RUN') {
      await run(stage, ins.args, where, root);
    }
  }
  return stages;
}

function copy(stage: Stage, args: string, where: string, context: string[], stages: Stage[]) {
  const words = args.split(/\s+/);
  let from: Stage | undefined;
  while (words[0]?.startsWith('--')) {
    const flag = words.shift()!;
    const m = /^--from=(.+)$/.exec(flag);
    if (m) {
      from = stages.find((s) => s.name === m[1]);
      if (!from) throw new Error(`${where}: no stage named ${m[1]}`);
    } else if (!/^--(chown|chmod|link)/.test(flag)) throw new Error(`${where}: flag ${flag}`);
  }
  if (words.length < 2) throw new Error(`${where}: needs a source and a destination`);
  const dest = words.pop()!;
  const destAbs = posix.resolve(stage.workdir, dest);
  // Source files as [path relative to the source, origin]; a folder copies its contents.
  for (const src of words) {
    if (/[*?[]/.test(src)) throw new Error(`${where}: wildcards are not modelled`);
    const entries: [string, string][] = from
      ? [...from.files].map(([abs, origin]) => [abs, origin])
      : context.map((f) => ['/' + f, f]);
    const srcAbs = from ? posix.resolve(from.workdir, src) : posix.resolve('/', src);
    const file = entries.find(([p]) => p === srcAbs);
    if (file) {
      const target =
        dest.endsWith('/') || words.length > 1
          ? posix.join(destAbs, posix.basename(srcAbs))
          : destAbs;
      stage.files.set(target, from ? `${from.name}:${srcAbs}` : file[1]);
      continue;
    }
    const prefix = srcAbs === '/' ? '/' : srcAbs + '/';
    const inside = entries.filter(([p]) => p.startsWith(prefix));
    const dirOnly = from && [...from.dirs].some((d) => d === srcAbs || d.startsWith(prefix));
    if (!inside.length && !dirOnly) throw new Error(`${where}: ${src} is not in the source`);
    for (const [p, origin] of inside)
      stage.files.set(
        posix.join(destAbs, p.slice(prefix.length)),
        from ? `${from.name}:${p}` : origin,
      );
    if (from)
      for (const d of from.dirs)
        if (d === srcAbs || d.startsWith(prefix))
          stage.dirs.add(posix.join(destAbs, d.slice(srcAbs.length)));
    stage.dirs.add(destAbs);
  }
}

async function run(stage: Stage, command: string, where: string, root: string) {
  const has = (rel: string) => stage.files.has(posix.resolve(stage.workdir, rel));
  for (const step of command.split('&&').map((s) => s.trim())) {
    if (/^apt-get update\b/.test(step) || /^rm -rf \/var\/lib\/apt\/lists/.test(step)) continue;
    const apt = /^apt-get install\s+(.*)$/.exec(step);
    if (apt) {
      stage.aptPackages.push(...apt[1]!.split(/\s+/).filter((w) => w && !w.startsWith('-')));
    } else if (/^npm ci\b/.test(step)) {
      for (const f of ['package.json', 'package-lock.json'])
        if (!has(f)) throw new Error(`${where}: npm ci without ${f}`);
      stage.dirs.add(posix.resolve(stage.workdir, 'node_modules'));
      // The postinstall script: prisma generate, which needs the schema, writes the client.
      const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
        scripts?: Record<string, string>;
      };
      if (pkg.scripts?.postinstall?.includes('prisma generate')) {
        if (!has('prisma/schema.prisma'))
          throw new Error(`${where}: prisma generate without the schema`);
        const schema = readFileSync(path.join(root, 'prisma/schema.prisma'), 'utf8');
        const output = /^\s*output\s*=\s*"([^"]+)"/m.exec(schema)?.[1];
        if (output) {
          const dir = posix.join('prisma', output);
          for (const f of filesOnDisk(root, dir))
            stage.files.set(posix.resolve(stage.workdir, f), `generated:${f}`);
        }
      }
    } else if (/^npm run \S+$/.test(step)) {
      await npmRun(stage, step.split(/\s+/)[2]!, where, root);
    } else if (/^npm prune\b/.test(step)) {
      // Removes devDependencies inside node_modules only.
    } else if (/^mkdir -p\s+/.test(step)) {
      for (const d of step.split(/\s+/).slice(2)) stage.dirs.add(posix.resolve(stage.workdir, d));
    } else {
      throw new Error(
        `${where}: the image model does not know what "${step}" produces; teach test/deploy/docker-image.ts`,
      );
    }
  }
}

/**
 * `npm run <script>` in the stage: each `&&` step of the script must be one the model knows:
 * `tsc -p <config>` (its .js outputs), `vite build --config <file>` (its outDir, as Vite
 * resolves it) or `npm run <another>`.
 */
async function npmRun(stage: Stage, script: string, where: string, root: string) {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const body = pkg.scripts[script];
  if (!body) throw new Error(`${where}: package.json has no script "${script}"`);
  const has = (rel: string) => stage.files.has(posix.resolve(stage.workdir, rel));
  for (const step of body.split('&&').map((s) => s.trim())) {
    const tsc = /^tsc -p (\S+)$/.exec(step);
    const vite = /^vite build --config (\S+)$/.exec(step);
    const npm = /^npm run (\S+)$/.exec(step);
    if (tsc) {
      if (!has(tsc[1]!)) throw new Error(`${where}: ${tsc[1]} is not in the stage`);
      const { outDir, outputs } = compiledOutputs(root, tsc[1]!, has);
      stage.dirs.add(posix.resolve(stage.workdir, outDir));
      for (const f of outputs) stage.files.set(posix.resolve(stage.workdir, f), `compiled:${f}`);
    } else if (vite) {
      if (!has(vite[1]!)) throw new Error(`${where}: ${vite[1]} is not in the stage`);
      const { resolveConfig } = await import('vite');
      const config = await resolveConfig(
        { configFile: path.join(root, vite[1]!), logLevel: 'silent' },
        'build',
      );
      const outDir = path.relative(root, path.resolve(config.root, config.build.outDir));
      // Its files are hashed names known only after a build: the folder stands for them.
      stage.dirs.add(posix.resolve(stage.workdir, outDir.split(path.sep).join('/')));
    } else if (npm) {
      await npmRun(stage, npm[1]!, where, root);
    } else {
      throw new Error(
        `${where}: the image model does not know what "${step}" (npm run ${script}) produces; teach test/deploy/docker-image.ts`,
      );
    }
  }
}

/** Whether a path is a file or folder in the stage. */
export function existsIn(stage: Stage, abs: string): boolean {
  if (stage.files.has(abs) || stage.dirs.has(abs)) return true;
  const prefix = abs.endsWith('/') ? abs : abs + '/';
  for (const f of stage.files.keys()) if (f.startsWith(prefix)) return true;
  return false;
}
