import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, openSync, closeSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { median } from './stats';

/**
 * Runs the real production server (`agent-relay up`, one plain node process) on a temp project,
 * port, socket and AGENT_RELAY_HOME, and stops it so that nothing is left: SIGTERM first (the
 * server releases its workers), then SIGKILL to its process group, then a sweep of every process
 * carrying this run's tag in its environment (workers live in their own sessions).
 */

export const REPO = resolve(import.meta.dirname, '..');

export interface RunningServer {
  pid: number;
  origin: string;
  token: string;
  projectDir: string;
  socketPath: string;
  logFile: string;
  /** Headers for state-changing HTTP requests. */
  headers: Record<string, string>;
  stop(): Promise<string[]>;
}

export interface ServerOptions {
  maxWorkers: number;
  /** Extra node flags for the server process (e.g. --cpu-prof). */
  nodeFlags?: string[];
  /** A command the server runs under, e.g. valgrind's (bench/output-path-cost.ts); start-up may then take minutes. */
  wrapper?: string[];
  env?: Record<string, string>;
}

export const RUN_TAG = `AGENT_RELAY_BENCH_RUN=${process.pid}-${randomBytes(4).toString('hex')}`;
let servers = 0;

export function makeTempRoot(): string {
  return mkdtempSync(join(tmpdir(), 'ar-bench-'));
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

/** `.next` must hold a production build; build once if it is missing (the bench measures production). */
export function ensureBuild(log: (s: string) => void): void {
  if (existsSync(join(REPO, '.next', 'BUILD_ID'))) return;
  log('no production build in .next: running `next build` once');
  const r = spawnSync(process.execPath, [join(REPO, 'node_modules/next/dist/bin/next'), 'build'], { cwd: REPO, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('`next build` failed; the bench measures the production server and needs a build.');
}

/** Whether `agent-relay up` takes --max-workers (the scale section needs more than the default 32). */
function upTakesMaxWorkers(): boolean {
  const r = spawnSync(process.execPath, [join(REPO, 'bin/agent-relay.js'), 'up', '--help'], { cwd: REPO, encoding: 'utf8', timeout: 20_000 });
  return `${r.stdout}${r.stderr}`.includes('--max-workers');
}

export async function startServer(root: string, opts: ServerOptions): Promise<RunningServer> {
  const projectDir = join(root, 'project');
  const home = join(root, 'home');
  mkdirSync(projectDir, { recursive: true });
  mkdirSync(home, { recursive: true });
  const port = await freePort();
  const logFile = join(root, 'server.log');
  const out = openSync(logFile, 'a');
  // Each server's own tag, so stopping one (scale's fresh server) leaves the other's processes alone.
  const tag = `${RUN_TAG}-${++servers}`;
  const [tagKey, tagValue] = tag.split('=');
  const wrapper = opts.wrapper ?? [];
  const child: ChildProcess = spawn(
    wrapper[0] ?? process.execPath,
    [...wrapper.slice(1), ...(wrapper.length ? [process.execPath] : []), ...(opts.nodeFlags ?? []), join(REPO, 'bin/agent-relay.js'), 'up', '--port', String(port), '--project', projectDir,
      '--storage', 'sqlite', '--no-open', ...(upTakesMaxWorkers() ? ['--max-workers', String(opts.maxWorkers)] : [])],
    {
      cwd: projectDir,
      // Its own process group, so the stop can reach anything it leaves behind in that group.
      detached: true,
      stdio: ['ignore', out, out],
      env: {
        ...process.env,
        ...opts.env,
        AGENT_RELAY_HOME: home,
        AGENT_RELAY_MAX_WORKERS: String(opts.maxWorkers),
        [tagKey]: tagValue,
      },
    },
  );
  closeSync(out);
  const origin = `http://127.0.0.1:${port}`;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let dead = false;
  void exited.then(() => (dead = true));

  const stop = async (): Promise<string[]> => {
    if (!dead && child.pid) {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    }
    if (child.pid) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* group already gone */
      }
    }
    return sweepTagged(tag);
  };

  const tokenFile = join(projectDir, '.agent-relay', 'dashboard-token');
  const deadline = Date.now() + (opts.wrapper ? 600_000 : 60_000);
  for (;;) {
    if (dead) {
      await stop();
      throw new Error(`the server exited during start-up; see ${logFile}:\n${tail(logFile)}`);
    }
    if (existsSync(tokenFile)) {
      try {
        const res = await fetch(`${origin}/api/status`, { headers: { Authorization: `Bearer ${readFileSync(tokenFile, 'utf8').trim()}` } });
        if (res.ok) break;
      } catch {
        /* not listening yet */
      }
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the server did not answer /api/status in time; see ${logFile}:\n${tail(logFile)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const token = readFileSync(tokenFile, 'utf8').trim();
  return {
    pid: child.pid!,
    origin,
    token,
    projectDir,
    socketPath: join(projectDir, '.agent-relay', 'relay.sock'),
    logFile,
    headers: { Authorization: `Bearer ${token}`, Origin: origin, 'Content-Type': 'application/json' },
    stop,
  };
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '';
  }
}

/** Kill (SIGKILL) every process whose environment carries `tag`; returns what it found. */
export function sweepTagged(tag: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`, 'latin1');
      if (!env.split('\0').includes(tag)) continue;
      let exe = '?';
      try {
        exe = readlinkSync(`/proc/${entry}/exe`);
      } catch {
        /* gone */
      }
      found.push(`${entry} ${exe}`);
      process.kill(Number(entry), 'SIGKILL');
    } catch {
      /* not ours, or already gone */
    }
  }
  return found;
}

export function removeTempRoot(root: string): void {
  rmSync(root, { recursive: true, force: true });
}

/** Resident memory of a process in MB, from /proc/<pid>/status. */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** utime + stime of a process in clock ticks (100 Hz on Linux), from /proc/<pid>/stat. */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** The median of 5 RSS readings 200 ms apart. */
export async function steadyRss(pid: number): Promise<number> {
  const readings: number[] = [];
  for (let i = 0; i < 5; i++) {
    if (i) await new Promise((r) => setTimeout(r, 200));
    readings.push(rssMb(pid));
  }
  return median(readings);
}
