import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { discoverSocket, isPidAlive, probeSocket, readMarker } from '../../../lib/discovery';
import { dataDirFor, markerPath, projectRootOfSocket, resolveProjectRoot } from '../../../lib/paths';
import { RelayClient } from '../../../lib/sdk';
import { tokenPath } from '../../security/token';
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

export async function runChecks(options: { socket?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Check[]> {
  const env = options.env ?? process.env;
  const checks: Check[] = [];
  const [major, minor] = process.versions.node.split('.').map(Number);
  checks.push(
    major > 20 || (major === 20 && minor >= 9)
      ? { level: 'ok', what: `Node ${process.versions.node}` }
      : { level: 'fail', what: `Node ${process.versions.node} is older than 20.9`, fix: 'Install Node 20.9 or newer.' },
  );
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
  } else {
    const client = new RelayClient({ name: '__doctor__', entityType: 'user', socketPath: found.socketPath, reconnect: false, connectTimeoutMs: 2000 });
    try {
      await client.connect();
      const status = await client.status();
      checks.push({ level: 'ok', what: `daemon answers at ${found.socketPath} (found via ${found.source}; ${status.agentCount} agents, ${status.workerCount} workers, storage ${status.storage.driver})` });
      if (!status.storage.canWrite) checks.push({ level: 'fail', what: 'the daemon cannot write its storage', fix: 'check the permissions and free space of .agent-relay/relay.db, then restart' });
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
  const tokenCheck = mode(tokenPath(dataDirFor(projectRoot)), 0o600, 'dashboard token');
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
