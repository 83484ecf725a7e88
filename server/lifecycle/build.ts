import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPrebuiltCliIfStale } from './prebuilt.mjs';

/**
 * `npm start` builds first when the production build is missing or older than its sources. The
 * build runs as a child (`next build`, inherited stdio) and the server then starts in this process.
 * The prebuilt CLI (prebuilt.mjs: what `agent-relay send` and `mcp serve` run) is rebuilt here too
 * when its sources changed: the workers this server starts call both.
 */

const SOURCE_DIRS = ['app', 'components', 'lib'];
const SOURCE_FILES = ['next.config.mjs', 'postcss.config.mjs', 'package-lock.json'];

function newestMtime(path: string): number {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a deleted file shows only as a newer directory
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

/** Why a build is needed, or undefined when `.next/BUILD_ID` is newer than every source. */
export function buildStaleReason(repoRoot: string): string | undefined {
  let built: number;
  try {
    built = statSync(join(repoRoot, '.next', 'BUILD_ID')).mtimeMs;
  } catch {
    return 'no production build yet';
  }
  for (const source of [...SOURCE_DIRS, ...SOURCE_FILES]) {
    if (newestMtime(join(repoRoot, source)) > built) return `${source} changed since the last build`;
  }
  return undefined;
}

function runNextBuild(repoRoot: string, stdio: 'inherit' | 'ignore'): Promise<void> {
  const nextBin = join(repoRoot, 'node_modules', 'next', 'dist', 'bin', 'next');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [nextBin, 'build'], {
      cwd: repoRoot,
      stdio,
      env: { ...process.env, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1' },
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`next build failed (${signal ?? `exit code ${code}`}); run \`npm run build\` to see why.`));
    });
  });
}

/**
 * Several processes (tests, Playwright's setup, a person's `npm start`) may ask at once: a lock
 * directory makes them build one at a time, and each checks staleness again once it holds the lock.
 */
async function withBuildLock<T>(repoRoot: string, fn: () => Promise<T>): Promise<T> {
  const lock = join(tmpdir(), `agent-relay-build-${createHash('sha256').update(repoRoot).digest('hex').slice(0, 12)}.lock`);
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A lock older than any build could take was left by a killed builder.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 5 * 60_000) rmdirSync(lock);
      } catch {
        // Removed by its owner meanwhile.
      }
      if (Date.now() > deadline) throw new Error(`Timed out waiting for another \`next build\` (lock ${lock}).`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    rmdirSync(lock);
  }
}

/** Builds when stale (the dashboard and the prebuilt CLI). Resolves true when it built the dashboard. */
export async function buildIfStale(repoRoot: string, options: { stdio?: 'inherit' | 'ignore'; log?: (line: string) => void } = {}): Promise<boolean> {
  try {
    await buildPrebuiltCliIfStale({ root: repoRoot, log: options.log });
  } catch (err) {
    // Not fatal: bin/agent-relay.js runs the sources while the prebuilt CLI is stale.
    (options.log ?? ((line: string) => process.stderr.write(`${line}\n`)))(`Could not prebuild the CLI (${(err as Error).message.split('\n')[0]}); it runs from the sources, slower to start.`);
  }
  if (!buildStaleReason(repoRoot)) return false;
  return withBuildLock(repoRoot, async () => {
    const reason = buildStaleReason(repoRoot);
    if (!reason) return false;
    options.log?.(`Building the dashboard (${reason}): next build`);
    await runNextBuild(repoRoot, options.stdio ?? 'inherit');
    return true;
  });
}
