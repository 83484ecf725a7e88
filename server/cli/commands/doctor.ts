import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { discoverSocket, isPidAlive, probeSocket, readMarker } from '../../../lib/discovery';
import { dashboardTokenPath, dataDirFor, markerPath, projectRootOfSocket, resolveProjectRoot } from '../../../lib/paths';
import { RelayClient } from '../../../lib/sdk';
import { containment, type ContainmentInfo } from '../../spawn/process-tree';
import { diskSpace, formatBytes } from '../../storage/disk';
import { prebuiltStaleReason } from '../../lifecycle/prebuilt.mjs';
import { EXIT, type CliContext } from '../context';

type Level = 'ok' | 'warn' | 'fail';
export interface Check {
  level: Level;
  what: string;
  /** What to do about it (warn and fail only). */
  fix?: string;
}

const SYMBOL: Record<Level, string> = { ok: '✓', warn: '!', fail: '✗' };
const require = createRequire(import.meta.url);

function loads(moduleName: string, exercise: (mod: unknown) => void, fix: string): Check {
  try {
    exercise(require(moduleName));
    return { level: 'ok', what: `${moduleName} loads` };
  } catch (err) {
    return { level: 'fail', what: `${moduleName} does not load: ${(err as Error).message.split('\n')[0]}`, fix };
  }
}

/** Checks a path's permission bits are no wider than `max` (0600 for files, 0700 for directories). */
function mode(path: string, max: number, label: string): Check | undefined {
  let bits: number;
  try {
    bits = statSync(path).mode & 0o777;
  } catch {
    return undefined;
  }
  const octal = (n: number) => `0${n.toString(8)}`;
  if ((bits & ~max) === 0) return { level: 'ok', what: `${label} ${path} is ${octal(bits)}` };
  return { level: 'fail', what: `${label} ${path} is ${octal(bits)}, wider than ${octal(max)}`, fix: `chmod ${octal(max)} ${path}` };
}

/** Which way release reaches every process of a worker (server/spawn/process-tree). */
function containmentCheck(info: ContainmentInfo, whose: string): Check {
  if (info.mode !== 'process-group') return { level: 'ok', what: `worker containment (${whose}): ${info.mode}, ${info.detail}` };
  return {
    level: 'warn',
    what: `worker containment (${whose}): ${info.detail}`,
    fix:
      'release still ends the process group and every process found by the /proc sweep (AGENT_RELAY_WORKER_ID in its environment); ' +
      'for a cgroup per worker, run agent-relay where its cgroup is writable (root, or a delegated systemd user service) or in a systemd user session',
  };
}

/** Whether this CLI runs prebuilt (bin/agent-relay.js says which) and whether the build matches the sources. */
export function cliBuildCheck(): Check {
  const running = (globalThis as { [key: symbol]: { prebuilt?: string } | undefined })[Symbol.for('agent-relay.cli')];
  const stale = prebuiltStaleReason();
  if (running?.prebuilt && !stale) return { level: 'ok', what: `CLI prebuilt (${running.prebuilt})` };
  if (process.env.AGENT_RELAY_SOURCES === '1') return { level: 'ok', what: 'CLI runs from the sources (AGENT_RELAY_SOURCES=1)' };
  return {
    level: 'warn',
    what: `CLI runs from the sources, transpiled at every start (${stale ?? 'the prebuilt CLI was not used'}): agent-relay send and mcp serve start ~0.5 s slower`,
    fix: 'npm run build (npm install and npm start also prebuild it)',
  };
}

/** Below this much free space, output logs and the database may soon stop (docs/workers.md, disk full). */
const LOW_SPACE_BYTES = 100 * 1024 * 1024;

function spaceCheck(disk: { path: string; freeBytes: number; totalBytes: number }): Check {
  const what = `free space for ${disk.path}: ${formatBytes(disk.freeBytes)} of ${formatBytes(disk.totalBytes)}`;
  if (disk.freeBytes >= LOW_SPACE_BYTES) return { level: 'ok', what };
  return {
    level: disk.freeBytes < 1024 * 1024 ? 'fail' : 'warn',
    what: `${what}: output logs and messages stop being stored when it runs out (live output and delivery go on)`,
    fix: 'free space on that disk (Remove exited workers with their logs from the dashboard, or delete files elsewhere on it); writing resumes by itself',
  };
}

export async function runChecks(options: { socket?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Check[]> {
  const env = options.env ?? process.env;
  const checks: Check[] = [];
  const [major, minor] = process.versions.node.split('.').map(Number);
  checks.push(
    major > 20 || (major === 20 && minor >= 9)
      ? { level: 'ok', what: `Node ${process.versions.node}` }
      : { level: 'fail', what: `Node ${process.versions.node} is older than 20.9`, fix: 'Install Node 20.9 or newer.' },
  );
  checks.push(cliBuildCheck());
  checks.push(loads('node-pty', () => {}, 'npm rebuild node-pty (needs python3, make and g++)'));
  checks.push(
    loads(
      'better-sqlite3',
      (Database) => new (Database as new (path: string) => { close(): void })(':memory:').close(),
      'npm rebuild better-sqlite3 (use 12.x on Node 20; 13.x needs Node 22)',
    ),
  );

  const marker = readMarker(env);
  const markerFile = markerPath(env);
  if (!existsSync(markerFile)) checks.push({ level: 'ok', what: `no active-daemon marker at ${markerFile}` });
  else if (!marker) checks.push({ level: 'fail', what: `the marker ${markerFile} is not valid JSON of a marker`, fix: `rm ${markerFile} (agent-relay up writes a fresh one)` });
  else if (!isPidAlive(marker.pid)) checks.push({ level: 'fail', what: `the marker names pid ${marker.pid}, which is not running (stale; clients ignore it)`, fix: `rm ${markerFile}, or run agent-relay up to replace it` });
  else if (!(await probeSocket(marker.socketPath))) checks.push({ level: 'fail', what: `the marker's socket ${marker.socketPath} refuses connections`, fix: 'agent-relay down && agent-relay up' });
  else checks.push({ level: 'ok', what: `marker: pid ${marker.pid}, socket ${marker.socketPath}` });
  const markerMode = mode(markerFile, 0o600, 'marker');
  if (markerMode) checks.push(markerMode);

  const found = await discoverSocket({ socketPath: options.socket, env });
  if (!found) {
    checks.push({ level: 'warn', what: 'no daemon found (option, RELAY_SOCKET, project socket, marker, /tmp/agent-relay.sock)', fix: 'agent-relay up' });
    checks.push(containmentCheck(containment(env), 'agent-relay up would use, from here'));
  } else {
    const client = new RelayClient({ name: '__doctor__', entityType: 'user', socketPath: found.socketPath, reconnect: false, connectTimeoutMs: 2000 });
    try {
      await client.connect();
      const status = await client.status();
      checks.push({ level: 'ok', what: `daemon answers at ${found.socketPath} (found via ${found.source}; ${status.agentCount} agents, ${status.workerCount} workers, storage ${status.storage.driver})` });
      checks.push(status.containment ? containmentCheck(status.containment, 'the daemon') : { level: 'warn', what: 'the daemon does not report its worker containment (an older version?)' });
      if (!status.storage.canWrite) {
        const held = status.storage.heldWrites ? `; ${status.storage.heldWrites} writes are held in memory` : '';
        checks.push({
          level: 'fail',
          what: `the daemon cannot write its storage (${status.storage.lastWriteError ?? 'writes fail'})${held}`,
          fix: 'free space on the disk of .agent-relay (or fix the permissions of .agent-relay/relay.db): held writes go in by themselves within a second; if the daemon stops first, they are lost',
        });
      }
      if (status.storage.droppedWrites) checks.push({ level: 'fail', what: `the daemon gave up ${status.storage.droppedWrites} writes it could not store for too long (messages, records)`, fix: 'free space on the disk of .agent-relay' });
      if (status.disk) checks.push(spaceCheck(status.disk));
    } catch (err) {
      checks.push({ level: 'fail', what: `socket ${found.socketPath} (via ${found.source}) does not answer: ${(err as Error).message}`, fix: 'agent-relay up (a stale socket is replaced at start)' });
    } finally {
      await client.disconnect().catch(() => {});
    }
    for (const c of [mode(found.socketPath, 0o600, 'socket'), mode(dirname(found.socketPath), 0o700, 'socket directory')]) {
      if (c && !(found.source === 'global' && c.what.startsWith('socket directory'))) checks.push(c);
    }
  }

  const projectRoot = (found && projectRootOfSocket(found.socketPath)) ?? resolveProjectRoot(process.cwd(), env);
  if (!found) {
    const disk = diskSpace(existsSync(dataDirFor(projectRoot)) ? dataDirFor(projectRoot) : projectRoot);
    if (disk) checks.push(spaceCheck(disk));
  }
  const tokenCheck = mode(dashboardTokenPath(dataDirFor(projectRoot)), 0o600, 'dashboard token');
  if (tokenCheck) checks.push(tokenCheck);

  const chromium = env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  checks.push(
    existsSync(chromium)
      ? { level: 'ok', what: `Chromium for e2e tests at ${chromium}` }
      : { level: 'warn', what: `no Chromium at ${chromium} (needed only for the Playwright tests)`, fix: 'apt-get install -y chromium, or set CHROMIUM_PATH' },
  );
  return checks;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('doctor')
    .description('check native modules, the daemon, the marker, file permissions and Chromium; print a fix for each problem')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const checks = await runChecks({ socket: ctx.globals().socket });
      if (opts.json) ctx.printJson(checks);
      else
        for (const c of checks) {
          ctx.print(`${SYMBOL[c.level]} ${c.what}`);
          if (c.fix) ctx.print(`    fix: ${c.fix}`);
        }
      if (checks.some((c) => c.level === 'fail')) process.exitCode = EXIT.FAILURE;
    });
}
