// The prebuilt CLI: server/cli/main.ts and everything it imports, bundled ahead of time by esbuild
// into dist/cli-<hash>/, so `agent-relay send`, `mcp serve` or `--help` do not transpile TypeScript
// at every start (tsx took ~0.6 s of CPU before the first line of ours ran; docs/performance.md).
// Plain JavaScript: bin/agent-relay.js imports it before any loader exists.
//
// dist/cli.json names the current build and every file it was built from, with size and mtime.
// bin/agent-relay.js runs the build only while all of them are unchanged; otherwise it falls back to
// the sources through tsx, so an edited source is never run stale. `npm install` (prepare), `npm run
// build` and `npm start` (build-if-stale, server/lifecycle/build.ts) rebuild it.
import { spawnSync } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ENTRY = 'server/cli/main.ts';
/** `mcp serve`'s fast start (bin/agent-relay.js) and what computes its handshake at build time. */
const MCP_FAST_ENTRY = 'server/mcp/fast-start.ts';
const MCP_HANDSHAKE_ENTRY = 'server/mcp/handshake.ts';
export const MCP_FAST_FILE = 'mcp-fast.mjs';
export const MCP_HANDSHAKE_FILE = 'mcp-handshake.json';
const MANIFEST = 'cli.json';
/** Builds kept besides the current one: a process started from an older build may still import its chunks. */
const KEEP_OLD_BUILDS = 2;
/** Installing or upgrading packages changes what a bundle holds: these files say when that happened. */
const PACKAGE_FILES = ['package.json', 'package-lock.json', 'node_modules/.package-lock.json'];

/**
 * Packages left to Node at run time, not bundled: native addons, Next (the server loads it with its
 * own files), esbuild (only the build itself uses it), and what only the server uses (its start-up is Next's, not ours: socket.io, chokidar, pino, the headless xterm, NATS). Everything else the
 * CLI needs (commander, zod, the MCP SDK) is bundled: resolving and linking their hundreds of files
 * one by one cost more than our own code.
 */
const EXTERNAL_PACKAGES = ['esbuild', 'node-pty', 'better-sqlite3', 'next', 'socket.io', 'chokidar', 'pino', '@xterm/headless', '@xterm/addon-serialize', '@nats-io'];

/** @param {string} root */
function manifestPath(root) {
  return join(root, 'dist', MANIFEST);
}

/**
 * @typedef {{ path: string, size: number, mtimeMs: number }} Input
 * @typedef {{ version: 1, dir: string, entry: string, builtAt: string, inputs: Input[] }} Manifest
 */

/** @param {string} root @returns {Manifest | undefined} */
function readManifest(root) {
  try {
    const manifest = JSON.parse(readFileSync(manifestPath(root), 'utf8'));
    return manifest?.version === 1 && Array.isArray(manifest.inputs) ? manifest : undefined;
  } catch {
    return undefined;
  }
}

/** @param {string} root @param {string} path @returns {Input | undefined} */
function describe(root, path) {
  try {
    const stat = statSync(join(root, path));
    return { path, size: stat.size, mtimeMs: stat.mtimeMs };
  } catch {
    return undefined;
  }
}

/**
 * Why the prebuilt CLI cannot be used (a sentence), or undefined when it matches its sources.
 * @param {string} [root]
 * @returns {string | undefined}
 */
export function prebuiltStaleReason(root = REPO_ROOT) {
  const manifest = readManifest(root);
  if (!manifest) return 'no prebuilt CLI yet';
  for (const input of manifest.inputs) {
    const now = describe(root, input.path);
    if (!now) return `${input.path} is gone since the CLI was built`;
    if (now.size !== input.size || now.mtimeMs !== input.mtimeMs) return `${input.path} changed since the CLI was built`;
  }
  if (!describe(root, join('dist', manifest.dir, manifest.entry))) return 'the prebuilt CLI was removed';
  return undefined;
}

/**
 * The file URL of the prebuilt CLI's entry when it is fresh, else undefined (run the sources).
 * @param {string} [root]
 * @returns {string | undefined}
 */
export function prebuiltEntry(root = REPO_ROOT) {
  if (prebuiltStaleReason(root) !== undefined) return undefined;
  const manifest = /** @type {Manifest} */ (readManifest(root));
  return pathToFileURL(join(root, 'dist', manifest.dir, manifest.entry)).href;
}

/** Spelled in pieces so that this file, which is bundled too, does not rewrite its own plugin. */
const META_URL = ['import', 'meta', 'url'].join('.');

/**
 * esbuild plugin: `import.meta.url` in our sources means the source file (screen-thread.mjs beside
 * screen.ts, package.json two levels up), so each is replaced by that file's URL, relative to the
 * bundle so the checkout can move.
 * @param {string} outDir
 */
function sourceUrls(outDir) {
  return {
    name: 'agent-relay-source-urls',
    /** @param {import('esbuild').PluginBuild} build */
    setup(build) {
      build.onLoad({ filter: /\.(ts|mts|mjs|js)$/ }, async (args) => {
        if (args.path.split(sep).includes('node_modules')) return undefined;
        let contents = await readFile(args.path, 'utf8');
        if (contents.includes(META_URL)) {
          const rel = relative(outDir, args.path).split(sep).join('/');
          contents = contents.replaceAll(META_URL, `new URL(${JSON.stringify(rel)}, ${META_URL}).href`);
        }
        return { contents, loader: /\.m?ts$/.test(args.path) ? 'ts' : 'js' };
      });
    },
  };
}

/**
 * Bundle the CLI into a new dist/cli-<hash>/, then point dist/cli.json at it (an atomic rename, so a
 * CLI starting meanwhile sees the old build or the new one, never half of one). Resolves with the
 * build's directory name and how long it took.
 * @param {{ root?: string, log?: (line: string) => void }} [options]
 * @returns {Promise<{ dir: string, ms: number, inputs: number }>}
 */
export async function buildPrebuiltCli(options = {}) {
  const root = options.root ?? REPO_ROOT;
  const began = Date.now();
  const { build } = await import('esbuild');
  const dist = join(root, 'dist');
  mkdirSync(dist, { recursive: true });
  const tmpName = `.cli-tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const tmpDir = join(dist, tmpName);
  try {
    const result = await build({
      absWorkingDir: root,
      entryPoints: { main: ENTRY, 'mcp-fast': MCP_FAST_ENTRY, 'mcp-handshake': MCP_HANDSHAKE_ENTRY },
      outdir: tmpDir,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      external: EXTERNAL_PACKAGES.flatMap((p) => [p, `${p}/*`]),
      // Bundled CommonJS packages (commander) call require() for Node's own modules.
      banner: { js: `import { createRequire as __arCreateRequire } from 'node:module'; const require = __arCreateRequire(${META_URL});` },
      metafile: true,
      sourcemap: true,
      logLevel: 'silent',
      plugins: [sourceUrls(tmpDir)],
    });
    const files = new Set([...Object.keys(result.metafile.inputs).filter((p) => !p.includes('node_modules/')), ...PACKAGE_FILES]);
    // A file edited while the build ran may be in the bundle as it was before: recorded as stale.
    const inputs = [...files].sort().map((p) => describe(root, p)).filter((i) => i !== undefined)
      .map((i) => (i.mtimeMs > began ? { ...i, mtimeMs: -1 } : i));
    writeHandshake(tmpDir, options.log);
    const hash = createHash('sha256');
    for (const file of Object.keys(result.metafile.outputs).sort()) hash.update(file.slice(file.lastIndexOf('/'))).update(readFileSync(join(root, file)));
    const dir = `cli-${hash.digest('hex').slice(0, 12)}`;
    // The bundle's relative URLs were computed for tmpDir, at the same depth as dir. The same hash
    // already there (another process built the same sources meanwhile) is the same build: kept, as
    // a CLI may be starting from it.
    try {
      renameSync(tmpDir, join(dist, dir));
    } catch (err) {
      if (err?.code !== 'ENOTEMPTY' && err?.code !== 'EEXIST') throw err;
    }
    /** @type {Manifest} */
    const manifest = { version: 1, dir, entry: 'main.mjs', builtAt: new Date().toISOString(), inputs };
    const tmpManifest = `${manifestPath(root)}.${process.pid}.tmp`;
    writeFileSync(tmpManifest, JSON.stringify(manifest, null, 1) + '\n');
    renameSync(tmpManifest, manifestPath(root));
    removeOldBuilds(dist, dir);
    const ms = Date.now() - began;
    options.log?.(`Prebuilt the CLI in ${ms} ms: dist/${dir} (${inputs.length} source files)`);
    return { dir, ms, inputs: inputs.length };
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
}

/**
 * The answers of MCP's initialize and tools/list, from the bundle just built (server/mcp/handshake.ts),
 * in a process of its own. Without the file `mcp serve` still works, loading the SDK first.
 * @param {string} dir @param {((line: string) => void) | undefined} log
 */
function writeHandshake(dir, log) {
  const url = pathToFileURL(join(dir, 'mcp-handshake.mjs')).href;
  const script = `const m = await import(${JSON.stringify(url)}); process.stdout.write(JSON.stringify(await m.computeHandshake()));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  if (r.status === 0 && r.stdout.startsWith('{')) {
    writeFileSync(join(dir, MCP_HANDSHAKE_FILE), `${r.stdout}\n`);
    return;
  }
  log?.(`Could not compute the MCP handshake (mcp serve will load the SDK before it answers): ${(r.stderr || r.error?.message || '').trim().slice(-300)}`);
}

/** @param {string} dist @param {string} current */
function removeOldBuilds(dist, current) {
  const old = readdirSync(dist)
    .filter((name) => name.startsWith('cli-') && name !== current)
    .map((name) => ({ name, mtime: statSync(join(dist, name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const { name } of old.slice(KEEP_OLD_BUILDS)) rmSync(join(dist, name), { recursive: true, force: true });
  // Temp directories of builds that were killed half-way.
  for (const name of readdirSync(dist)) {
    if (!name.startsWith('.cli-tmp-')) continue;
    try {
      if (Date.now() - statSync(join(dist, name)).mtimeMs > 10 * 60_000) rmSync(join(dist, name), { recursive: true, force: true });
    } catch {
      /* removed meanwhile */
    }
  }
}

/** Builds when stale. Resolves true when it built. @param {{ root?: string, log?: (line: string) => void }} [options] */
export async function buildPrebuiltCliIfStale(options = {}) {
  const reason = prebuiltStaleReason(options.root ?? REPO_ROOT);
  if (reason === undefined) return false;
  options.log?.(`Prebuilding the CLI (${reason})`);
  await buildPrebuiltCli(options);
  return true;
}

// `node server/lifecycle/prebuilt.mjs`: what `npm install` (prepare) and `npm run build` run.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildPrebuiltCli({ log: (line) => process.stderr.write(`${line}\n`) }).catch((err) => {
    process.stderr.write(`agent-relay: could not prebuild the CLI: ${err?.message ?? err}\nThe CLI still works, from the sources through tsx (slower to start).\n`);
    process.exit(1);
  });
}
