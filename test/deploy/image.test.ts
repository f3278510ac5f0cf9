import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HELPERS_DIR } from '../../activities/sandbox/index.js';
import { resolveLocalOptions } from '../../activities/sandbox/local/options.js';
import { PORTAL_DIR } from '../../app/portal.js';
import { MIGRATIONS_DIR } from '../../lib/db/migrate.js';
import { findProjectRoot, PROJECT_ROOT } from '../../lib/paths.js';
import { buildImageModel, existsIn, isIgnored, parseDockerignore } from './docker-image.js';
import type { Stage } from './docker-image.js';

const posix = path.posix;
const stages = await buildImageModel(PROJECT_ROOT);
const runtime = stages.at(-1)!;

/** The compiled module's project root as lib/paths.ts finds it inside the image. */
function imageRootOf(stage: Stage, compiledModule: string): string {
  return findProjectRoot(posix.dirname(compiledModule), (p) => existsIn(stage, p));
}

/** Where a project-root-relative folder of the source tree is in the image, for the compiled code. */
function inImage(stage: Stage, sourceDir: string, compiledModule: string): string {
  expect(existsIn(stage, compiledModule), `${compiledModule} is in the image`).toBe(true);
  return posix.join(imageRootOf(stage, compiledModule), path.relative(PROJECT_ROOT, sourceDir));
}

const trackedModes = (dir: string) =>
  new Map(
    execFileSync('git', ['ls-files', '-s', dir], { cwd: PROJECT_ROOT, encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [meta, file] = l.split('\t');
        return [path.relative(dir, file!), meta!.split(' ')[0]!] as const;
      }),
  );

describe('the production image (Dockerfile and .dockerignore applied to the repository)', () => {
  const workdir = runtime.workdir;
  const entrypoint = JSON.parse(
    runtime.instructions.find((i) => i.keyword === 'ENTRYPOINT')!.args,
  ) as string[];

  it('runs on Node 24 in both stages and starts the compiled command line', () => {
    expect(stages.map((s) => s.image)).toEqual(
      stages.map(() => expect.stringMatching(/^node:24-bookworm-slim$/)),
    );
    expect(entrypoint[0]).toBe('node');
    expect(existsIn(runtime, posix.resolve(workdir, entrypoint[1]!))).toBe(true);
  });

  it('carries the sandbox helpers where the compiled code looks for them', () => {
    const compiled = posix.resolve(workdir, 'dist/activities/sandbox/from-config.js');
    const helpersInImage = inImage(runtime, HELPERS_DIR, compiled);
    const helpers = [...trackedModes(HELPERS_DIR).keys()];
    expect(helpers).toEqual(
      expect.arrayContaining([
        'aws-credential-helper',
        'gcp-credential-helper',
        'integration-exec',
        'mcp-cli',
        'lib/broker-client.mjs',
      ]),
    );
    const missing = helpers.filter((h) => !runtime.files.has(posix.join(helpersInImage, h)));
    expect(missing, `helpers missing from ${helpersInImage}`).toEqual([]);
    // COPY keeps the mode the context has; a fresh clone has git's.
    for (const [file, mode] of trackedModes(HELPERS_DIR))
      if (!file.includes('/') && !file.endsWith('.md'))
        expect([file, mode]).toEqual([file, '100755']);
  });

  it('carries the migrations where the compiled migrator looks for them', () => {
    const compiled = posix.resolve(workdir, 'dist/lib/db/migrate.js');
    const migrationsInImage = inImage(runtime, MIGRATIONS_DIR, compiled);
    const sql = [...trackedModes(MIGRATIONS_DIR).keys()].filter((f) => f.endsWith('.sql'));
    expect(sql.length).toBeGreaterThan(0);
    for (const f of sql) expect(runtime.files.has(posix.join(migrationsInImage, f)), f).toBe(true);
  });

  it('carries the built portal where the compiled api role serves it from', () => {
    const compiled = posix.resolve(workdir, 'dist/app/portal.js');
    expect(existsIn(runtime, inImage(runtime, PORTAL_DIR, compiled))).toBe(true);
  });

  it('installs the programs the local sandbox runs, and the CLIs the README names, in the runtime stage', () => {
    // The local provider's default program (bwrap; the exec server runs on the worker's own
    // node), and the Debian package that provides it, as this Debian machine's package
    // database says.
    const local = resolveLocalOptions({ root: '/var/lib/dynamiq/sandboxes' });
    const programs = [local.bwrapPath];
    const packages = programs.map((p) =>
      execFileSync('dpkg', ['-S', p], { encoding: 'utf8' }).split(':')[0]!.trim(),
    );
    expect(packages).toContain('bubblewrap');
    expect(runtime.aptPackages).toEqual(expect.arrayContaining(packages));
    expect(runtime.aptPackages).toEqual(
      expect.arrayContaining(['gh', 'awscli', 'azure-cli', 'git', 'curl', 'jq', 'openssh-client']),
    );
  });

  it('sets no image-wide health check (each role has its own in docker-compose.yml)', () => {
    expect(runtime.instructions.filter((i) => i.keyword === 'HEALTHCHECK')).toEqual([]);
    const compose = readFileSync(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8');
    for (const role of ['api', 'worker'])
      expect(compose).toContain(`'${entrypoint[1]}', 'health', '--role', '${role}'`);
  });

  it('keeps secrets, the data folder and local tools out of the build context', () => {
    const ignore = parseDockerignore(
      readFileSync(path.join(PROJECT_ROOT, '.dockerignore'), 'utf8'),
    );
    for (const f of [
      '.env',
      '.env.local',
      '.dynamiq/api-token',
      '.tools/bin/temporal',
      'node_modules/x/y.js',
    ])
      expect([f, isIgnored(f, ignore)]).toEqual([f, true]);
    for (const f of ['.env.example', 'e2b-template/bin/mcp-cli', 'prisma/schema.prisma'])
      expect([f, isIgnored(f, ignore)]).toEqual([f, false]);
  });
});
