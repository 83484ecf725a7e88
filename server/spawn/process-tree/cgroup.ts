import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findExecutable } from '../launch';

/**
 * One cgroup per worker, so that release reaches processes that left the worker's session and
 * process group (`setsid`, daemons such as Codex's `codex app-server`): a cgroup is inherited by
 * every descendant and only a privileged writer can leave it. Which kind is used is detected, never
 * assumed (docs/decisions/0006-worker-cgroups.md):
 *  - `cgroup-v2`: a child of the relay's own cgroup in the unified hierarchy, wherever it is mounted
 *    (/sys/fs/cgroup on a pure v2 machine, /sys/fs/cgroup/unified on a hybrid one), if writable;
 *  - `cgroup-v1`: the same in the v1 `freezer` hierarchy (freeze, kill, thaw: nothing forks in
 *    between) or else `pids` (pids.max = 0 stops forks, then kill);
 *  - `systemd-scope`: `systemd-run --user --scope` when the cgroups are not ours to write but a
 *    systemd user manager answers (a normal desktop session as a non-root user);
 *  - `process-group`: none of those; release falls back to the process group and a /proc sweep.
 * AGENT_RELAY_CONTAINMENT=<mode> forces one mode (auto is the default); a forced mode that is not
 * possible here falls back to process-group and says why.
 */

export type ContainmentMode = 'cgroup-v2' | 'cgroup-v1' | 'systemd-scope' | 'process-group';
export const CONTAINMENT_MODES: readonly ContainmentMode[] = ['cgroup-v2', 'cgroup-v1', 'systemd-scope', 'process-group'];

export interface ContainmentInfo {
  mode: ContainmentMode;
  /** For doctor and STATUS: where, or why not. */
  detail: string;
}

/** What a later run needs to find a worker's cgroup again (stored with the worker record). */
export interface CgroupRecord {
  mode: Exclude<ContainmentMode, 'process-group'>;
  /** The cgroup's directory (for systemd-scope: filled in once systemd has created it). */
  path?: string;
  /** systemd-scope: the transient unit's name. */
  unit?: string;
}

export interface WorkerCgroup {
  readonly record: CgroupRecord;
  /** The file the guard shell writes its own pid to before it runs the command (v1/v2). */
  readonly joinFile?: string;
  /** Command prefix that starts the guard inside the cgroup (systemd-scope). */
  readonly wrapper?: string[];
  /** Pids in the cgroup now (empty when it is gone or unreadable). */
  pids(): number[];
  /** SIGKILL everything in it, without a window for a fork to escape. */
  killAll(): void;
  /** Removes the cgroup once it is empty; true when it is gone. */
  remove(): boolean;
}

interface Mount {
  root: string;
  point: string;
  fstype: string;
  superOptions: string[];
}

const unescapeMount = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

function readMounts(): Mount[] {
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const mounts: Mount[] = [];
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!right) continue;
    const l = left.split(' ');
    const r = right.split(' ');
    mounts.push({ root: unescapeMount(l[3]), point: unescapeMount(l[4]), fstype: r[0], superOptions: (r[2] ?? '').split(',') });
  }
  return mounts;
}

/** The relay's own cgroup per hierarchy: '' for v2, the controller list (e.g. 'pids') for v1. */
function readSelfCgroups(): Map<string, string> {
  const out = new Map<string, string>();
  let text: string;
  try {
    text = readFileSync('/proc/self/cgroup', 'utf8');
  } catch {
    return out;
  }
  for (const line of text.trim().split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    for (const controller of line.slice(first + 1, second).split(',')) out.set(controller, line.slice(second + 1));
  }
  return out;
}

/** Directory of our own cgroup under a mount, or undefined when the mount shows another subtree. */
function ownDirectory(mount: Mount, selfPath: string | undefined): string | undefined {
  if (selfPath === undefined) return undefined;
  let rel: string;
  if (mount.root === '/') rel = selfPath;
  else if (selfPath === mount.root || selfPath.startsWith(`${mount.root}/`)) rel = selfPath.slice(mount.root.length);
  else return undefined;
  return join(mount.point, rel).replace(/(.)\/$/, '$1');
}

/** Can we make a child cgroup here and move processes into it? Tried, not guessed. */
function writableCgroupDir(dir: string): string | undefined {
  try {
    accessSync(join(dir, 'cgroup.procs'), constants.W_OK);
    const probe = join(dir, `agent-relay-probe-${process.pid}`);
    mkdirSync(probe);
    rmdirSync(probe);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

function readPids(file: string): number[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function killEach(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Exited meanwhile.
    }
  }
}

function tryWrite(file: string, value: string): boolean {
  try {
    writeFileSync(file, value);
    return true;
  } catch {
    return false;
  }
}

function removeDir(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** A worker cgroup from its directory (new or recorded by an earlier run). */
export function cgroupAt(record: CgroupRecord): WorkerCgroup {
  const path = record.path;
  if (record.mode === 'systemd-scope') return systemdScope(record);
  if (!path) throw new Error('a cgroup record without a path');
  const procs = join(path, 'cgroup.procs');
  const isFreezer = existsSync(join(path, 'freezer.state'));
  const isPids = existsSync(join(path, 'pids.max'));
  return {
    record,
    joinFile: procs,
    pids: () => readPids(procs),
    killAll: () => {
      if (record.mode === 'cgroup-v2') {
        if (tryWrite(join(path, 'cgroup.kill'), '1')) return;
        // Kernels before 5.14: freeze, kill each, thaw.
        const froze = tryWrite(join(path, 'cgroup.freeze'), '1');
        killEach(readPids(procs));
        if (froze) tryWrite(join(path, 'cgroup.freeze'), '0');
        return;
      }
      if (isFreezer && tryWrite(join(path, 'freezer.state'), 'FROZEN')) {
        for (let i = 0; i < 50 && readFileSync(join(path, 'freezer.state'), 'utf8').trim() !== 'FROZEN'; i++) sleepSync(2);
        killEach(readPids(procs));
        tryWrite(join(path, 'freezer.state'), 'THAWED');
        return;
      }
      if (isPids) tryWrite(join(path, 'pids.max'), '0');
      killEach(readPids(procs));
    },
    remove: () => removeDir(path),
  };
}

let systemdV2Mount: string | undefined;

function systemctl(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('systemctl', ['--user', ...args], { encoding: 'utf8', timeout: 5000 });
  return { ok: r.status === 0, out: (r.stdout ?? '').trim() };
}

function systemdScope(record: CgroupRecord, systemdRun = 'systemd-run'): WorkerCgroup {
  const unit = record.unit!;
  const dir = (): string | undefined => {
    if (!record.path) {
      const cg = systemctl(['show', '-p', 'ControlGroup', '--value', unit]).out;
      if (cg && systemdV2Mount) record.path = join(systemdV2Mount, cg);
    }
    return record.path;
  };
  return {
    record,
    wrapper: [systemdRun, '--user', '--scope', '--quiet', '--collect', `--unit=${unit}`, '--'],
    pids: () => {
      const d = dir();
      return d ? readPids(join(d, 'cgroup.procs')) : [];
    },
    killAll: () => void systemctl(['kill', '--signal=SIGKILL', unit]),
    // systemd removes a scope's cgroup itself when its last process is gone.
    remove: () => {
      const d = dir();
      return !d || !existsSync(d);
    },
  };
}

export interface Containment extends ContainmentInfo {
  /** A new cgroup for one worker; undefined in process-group mode or when creating it failed. */
  create(workerId: string): WorkerCgroup | undefined;
}

let detected: Containment | undefined;

/** Detects once per process which containment this machine allows (see the file comment). */
export function containment(env: NodeJS.ProcessEnv = process.env): Containment {
  detected ??= detect(env);
  return detected;
}

/** For tests: detect again (another AGENT_RELAY_CONTAINMENT). */
export function resetContainment(): void {
  detected = undefined;
}

function detect(env: NodeJS.ProcessEnv): Containment {
  const wanted = env.AGENT_RELAY_CONTAINMENT ?? 'auto';
  const order: ContainmentMode[] = wanted === 'auto' ? [...CONTAINMENT_MODES] : CONTAINMENT_MODES.includes(wanted as ContainmentMode) ? [wanted as ContainmentMode] : [];
  if (order.length === 0) return fallback(`AGENT_RELAY_CONTAINMENT="${wanted}" is not one of auto, ${CONTAINMENT_MODES.join(', ')}`);
  if (process.platform !== 'linux') return fallback(`cgroups are Linux only (this is ${process.platform})`);
  const mounts = readMounts();
  const self = readSelfCgroups();
  const reasons: string[] = [];
  for (const mode of order) {
    if (mode === 'process-group') break;
    const found = mode === 'cgroup-v2' ? tryV2(mounts, self) : mode === 'cgroup-v1' ? tryV1(mounts, self) : trySystemd(mounts, env);
    if (typeof found !== 'string') return found;
    reasons.push(`${mode}: ${found}`);
  }
  return fallback(reasons.join('; ') || 'chosen by AGENT_RELAY_CONTAINMENT');
}

function fallback(why: string): Containment {
  return { mode: 'process-group', detail: `process group + /proc sweep (no cgroup: ${why})`, create: () => undefined };
}

/** Empty worker cgroups older than this, left by a relay that was killed, are removed at start. */
const STALE_MS = 60_000;

function removeStale(base: string): void {
  let entries: string[];
  try {
    entries = readdirSync(base);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!entry.startsWith('agent-relay-') || entry.startsWith('agent-relay-probe-')) continue;
    const dir = join(base, entry);
    try {
      // Young ones may be a live relay's, between mkdir and its guard joining.
      if (Date.now() - statSync(dir).mtimeMs < STALE_MS || readPids(join(dir, 'cgroup.procs')).length > 0) continue;
      rmdirSync(dir);
    } catch {
      // In use, or not ours to remove.
    }
  }
}

function perWorker(mode: 'cgroup-v2' | 'cgroup-v1', base: string, detail: string): Containment {
  removeStale(base);
  return {
    mode,
    detail,
    create: (workerId) => {
      const path = join(base, `agent-relay-${workerId}`);
      try {
        mkdirSync(path);
      } catch {
        return undefined;
      }
      return cgroupAt({ mode, path });
    },
  };
}

function tryV2(mounts: Mount[], self: Map<string, string>): Containment | string {
  const mount = mounts.find((m) => m.fstype === 'cgroup2');
  if (!mount) return 'no cgroup2 mount';
  const dir = ownDirectory(mount, self.get(''));
  if (!dir) return `our cgroup is not visible under ${mount.point}`;
  const why = writableCgroupDir(dir);
  return why ? `${dir} is not writable (${why})` : perWorker('cgroup-v2', dir, `cgroup v2 under ${dir}`);
}

function tryV1(mounts: Mount[], self: Map<string, string>): Containment | string {
  const reasons: string[] = [];
  for (const controller of ['freezer', 'pids']) {
    const mount = mounts.find((m) => m.fstype === 'cgroup' && m.superOptions.includes(controller));
    if (!mount) {
      reasons.push(`no ${controller} hierarchy`);
      continue;
    }
    const dir = ownDirectory(mount, self.get(controller));
    if (!dir) {
      reasons.push(`our ${controller} cgroup is not visible under ${mount.point}`);
      continue;
    }
    const why = writableCgroupDir(dir);
    if (!why) return perWorker('cgroup-v1', dir, `cgroup v1 ${controller} under ${dir}`);
    reasons.push(`${dir} is not writable (${why})`);
  }
  return reasons.join(', ');
}

function trySystemd(mounts: Mount[], env: NodeJS.ProcessEnv): Containment | string {
  let systemdRun: string;
  try {
    systemdRun = findExecutable('systemd-run', '/', env.PATH ?? '');
  } catch {
    return 'systemd-run is not installed';
  }
  if (!env.XDG_RUNTIME_DIR || !existsSync(join(env.XDG_RUNTIME_DIR, 'systemd'))) return 'no systemd user manager in this session (XDG_RUNTIME_DIR/systemd)';
  // A real scope, once: proves the user manager answers and may create scopes for us.
  const probe = spawnSync(systemdRun, ['--user', '--scope', '--quiet', '--collect', '--', 'true'], { timeout: 5000 });
  if (probe.status !== 0) return `systemd-run --user --scope failed (${(probe.stderr ?? '').toString().trim() || `exit ${probe.status}`})`;
  systemdV2Mount = mounts.find((m) => m.fstype === 'cgroup2')?.point ?? mounts.find((m) => m.superOptions.includes('name=systemd'))?.point;
  return {
    mode: 'systemd-scope',
    detail: 'systemd-run --user --scope (one transient scope per worker)',
    create: (workerId) => systemdScope({ mode: 'systemd-scope', unit: `agent-relay-${workerId}.scope` }, systemdRun),
  };
}
