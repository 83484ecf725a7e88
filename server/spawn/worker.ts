import { EventEmitter } from 'node:events';
import type { ReleaseOutcome, WorkerInfo, WorkerStatus } from '../../lib/protocol';
import { createInjectionQueue, type InjectionQueue } from '../relay-commands/injection';
import { createRelayCommandParser, type RelayCommand } from '../relay-commands/parser';
import { spawnDrainedPty, type DrainedPty, type PtyEnd } from './drained-pty';
import { OutputStore } from './output-store';
import { HeadlessScreen } from './screen';
import { foreignForegroundGroup } from './foreground-group';

/**
 * One worker process: its PTY, output (ring, log, headless screen), status, the injection queue
 * that types tasks and messages into it, and its release escalation.
 */

export const WORKER_TIMING = {
  /** No output for this long: running → idle. */
  idleAfterMs: 3000,
  /** Output quiet this long counts as "ready to be typed into". */
  quietMs: 400,
  /** Longest wait for the agent to become ready before its task is typed anyway. */
  taskMaxWaitMs: 10_000,
  /** A worker that prints nothing (e.g. `cat`) still counts as running after this long. */
  runningAfterMs: 1000,
  /** After the polite exit command, how long the CLI gets before SIGTERM. */
  politeExitMs: 2000,
} as const;

export interface WorkerLaunch {
  info: WorkerInfo;
  file: string;
  args: string[];
  env: Record<string, string>;
  politeExit?: string;
  logPath: string;
}

export interface WorkerEvents {
  output: (chunk: Buffer, start: number) => void;
  status: () => void;
  exit: () => void;
  command: (command: RelayCommand) => void;
}

export class Worker extends EventEmitter {
  readonly name: string;
  readonly output: OutputStore;
  private readonly info: WorkerInfo;
  private pty: DrainedPty | undefined;
  private screen: HeadlessScreen | undefined;
  private readonly parser = createRelayCommandParser();
  readonly injection: InjectionQueue;
  private lastOutputAt = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly exited: Promise<void>;
  private resolveExited!: () => void;
  private releasing: Promise<ReleaseOutcome> | undefined;
  private readonly politeExit?: string;
  /**
   * Whether signalling the process group may still reach our processes. False for records loaded
   * from an earlier run, and once the group was seen empty: the id could belong to someone else later.
   */
  private groupOwned = false;

  constructor(launch: WorkerLaunch, archivedBytes?: number) {
    super();
    this.name = launch.info.name;
    this.info = { ...launch.info };
    this.politeExit = launch.politeExit;
    this.exited = new Promise((r) => (this.resolveExited = r));
    this.output = new OutputStore(launch.logPath, archivedBytes);
    this.injection = createInjectionQueue({
      write: (data) => this.writeRaw(data),
      isQuiet: () => this.lastOutputAt > 0 && Date.now() - this.lastOutputAt >= WORKER_TIMING.quietMs,
    });
    if (archivedBytes !== undefined) {
      this.resolveExited();
      this.injection.close('The worker has exited.');
      return;
    }
    this.start(launch);
  }

  private start(launch: WorkerLaunch): void {
    const { cols, rows } = this.info;
    this.screen = new HeadlessScreen(cols, rows, (over) => (over ? this.pty?.pause() : this.pty?.resume()));
    this.pty = spawnDrainedPty({ file: launch.file, args: launch.args, cwd: this.info.cwd, env: launch.env, cols, rows });
    this.info.pid = this.pty.pid;
    this.groupOwned = true;
    this.pty.onData((chunk) => this.onData(chunk));
    this.pty.onEnd((end) => void this.onEnd(end));
    const startTimer = setTimeout(() => {
      if (this.info.status === 'starting') {
        this.setStatus('running');
        this.armIdle();
      }
    }, WORKER_TIMING.runningAfterMs);
    startTimer.unref();
    if (this.info.task) this.deliverTask(this.info.task);
  }

  private onData(chunk: Buffer): void {
    this.lastOutputAt = Date.now();
    const start = this.output.append(chunk);
    this.info.outputBytes = this.output.bytes;
    this.screen?.write(chunk);
    this.emit('output', chunk, start);
    if (this.info.status === 'starting' || this.info.status === 'idle') this.setStatus('running');
    this.armIdle();
    for (const command of this.parser.feed(chunk)) this.emit('command', command);
  }

  private armIdle(): void {
    if (this.idleTimer) return;
    const check = () => {
      this.idleTimer = undefined;
      if (this.info.status !== 'running') return;
      const quietFor = Date.now() - this.lastOutputAt;
      if (quietFor >= WORKER_TIMING.idleAfterMs || this.lastOutputAt === 0) this.setStatus('idle');
      else this.idleTimer = setTimeout(check, WORKER_TIMING.idleAfterMs - quietFor);
    };
    this.idleTimer = setTimeout(check, WORKER_TIMING.idleAfterMs);
  }

  private async onEnd(end: PtyEnd): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.injection.close('The worker exited before the input could be typed.');
    await this.output.close();
    this.screen?.dispose();
    this.info.exitCode = end.exitCode;
    this.info.signal = end.signal;
    this.info.exitedAt = Date.now();
    this.info.outputBytes = this.output.bytes;
    this.info.needsAttention = true;
    this.info.status = 'exited';
    if (!this.groupAlive()) this.groupOwned = false;
    this.resolveExited();
    this.emit('exit');
  }

  private setStatus(status: WorkerStatus): void {
    if (this.info.status === status || this.info.status === 'exited') return;
    this.info.status = status;
    this.info.needsAttention = status === 'idle';
    this.emit('status');
  }

  private deliverTask(task: string): void {
    // The task goes first through the same queue as messages, so nothing is typed before it.
    const started = Date.now();
    const ready = () =>
      (this.lastOutputAt > 0 && Date.now() - this.lastOutputAt >= WORKER_TIMING.quietMs) ||
      Date.now() - started >= WORKER_TIMING.taskMaxWaitMs;
    const waitReady = async () => {
      while (!ready() && this.info.status !== 'exited') await new Promise((r) => setTimeout(r, 50));
    };
    const text = task.replace(/\r\n|\r|\n/g, ' ');
    void waitReady()
      .then(() => this.injection.enqueue(text))
      .then(
        () => {
          this.info.taskDelivered = true;
          this.emit('status');
        },
        () => {},
      );
  }

  getInfo(): WorkerInfo {
    return { ...this.info, args: [...this.info.args], outputBytes: this.output.bytes };
  }

  get status(): WorkerStatus {
    return this.info.status;
  }

  get pid(): number | undefined {
    return this.info.pid;
  }

  isLive(): boolean {
    return this.info.status !== 'exited';
  }

  /** Writes to the terminal as typed input. */
  writeRaw(data: string | Buffer): void {
    if (!this.pty || this.info.status === 'exited') throw new Error(`Worker "${this.name}" is not running.`);
    this.pty.write(data);
  }

  resize(cols: number, rows: number): void {
    if (!this.pty || this.info.status === 'exited') return;
    this.pty.resize(cols, rows);
    this.screen?.resize(cols, rows);
    this.info.cols = cols;
    this.info.rows = rows;
    this.emit('status');
  }

  snapshot() {
    if (this.screen && this.info.status !== 'exited') return this.screen.snapshot();
    return this.archivedSnapshot();
  }

  /** An exited worker's screen, rebuilt from the tail of its log. */
  private async archivedSnapshot() {
    const tailBytes = 1024 * 1024;
    const since = Math.max(0, this.output.bytes - tailBytes);
    const slice = await this.output.read(since, tailBytes);
    const screen = new HeadlessScreen(this.info.cols, this.info.rows, undefined, slice.start);
    screen.write(slice.data);
    try {
      return await screen.snapshot();
    } finally {
      screen.dispose();
    }
  }

  whenExited(): Promise<void> {
    return this.exited;
  }

  /** Polite exit (if the CLI has one), SIGTERM to the process group, SIGKILL after `graceMs`. */
  release(options: { force?: boolean; graceMs: number }): Promise<ReleaseOutcome> {
    if (this.info.status === 'exited') return Promise.resolve(this.outcome('already-exited'));
    if (options.force) {
      this.signalGroup('SIGKILL');
      return this.exited.then(() => this.outcome('force'));
    }
    this.releasing ??= this.escalate(options.graceMs);
    return this.releasing;
  }

  private async escalate(graceMs: number): Promise<ReleaseOutcome> {
    const within = (ms: number) =>
      Promise.race([this.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);
    if (this.politeExit) {
      try {
        this.writeRaw(this.politeExit);
      } catch {
        // Already gone.
      }
      if (await within(Math.min(WORKER_TIMING.politeExitMs, graceMs))) return this.outcome('exit');
    }
    this.signalGroup('SIGTERM');
    // Once more a moment later: a group signal sent while the guard shell was still starting the
    // command reaches only the guard (which ignores it by design), not the command.
    const again = Math.min(1000, Math.floor(graceMs / 2));
    if (await within(again)) return this.outcome('SIGTERM');
    this.signalGroup('SIGTERM');
    // A job-control shell sits in a group of its own and ignores SIGTERM; hang it up as closing
    // its terminal would (it passes the hangup on to its jobs). The guard traps HUP and drains.
    const hungUp = this.signalForeground('SIGHUP');
    if (await within(graceMs - again)) return this.outcome(hungUp ? 'SIGHUP' : 'SIGTERM');
    this.signalGroup('SIGKILL');
    await this.exited;
    return this.outcome('SIGKILL');
  }

  /** node-pty makes the child a session leader, so its pid is also its process group id. */
  signalGroup(signal: NodeJS.Signals): boolean {
    const pid = this.info.pid;
    if (!pid || !this.groupOwned) return false;
    let sent = false;
    try {
      process.kill(-pid, signal);
      sent = true;
    } catch {
      // No such group yet: right after fork the child may not have called setsid().
    }
    if (this.info.status !== 'exited') {
      try {
        process.kill(pid, signal);
        sent = true;
      } catch {
        // Already gone.
      }
    }
    return sent;
  }

  /** Signals the terminal's foreground group when a job-control shell moved it out of ours. */
  private signalForeground(signal: NodeJS.Signals): boolean {
    const pid = this.info.pid;
    if (!pid || !this.groupOwned || this.info.status === 'exited') return false;
    const group = foreignForegroundGroup(pid);
    if (group === undefined) return false;
    try {
      process.kill(-group, signal);
      return true;
    } catch {
      return false;
    }
  }

  /** SIGKILL whatever is left in the process group and wait (bounded) until it is empty. */
  async reapGroup(timeoutMs = 2000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.groupAlive()) {
      if (Date.now() > deadline) return false;
      this.signalGroup('SIGKILL');
      await new Promise((r) => setTimeout(r, 20));
    }
    if (this.info.status === 'exited') this.groupOwned = false;
    return true;
  }

  /** True while any process is left in the worker's process group. */
  groupAlive(): boolean {
    const pid = this.info.pid;
    if (!pid || !this.groupOwned) return false;
    try {
      process.kill(-pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  }

  private outcome(endedBy: ReleaseOutcome['endedBy']): ReleaseOutcome {
    return { name: this.name, exitCode: this.info.exitCode ?? null, signal: this.info.signal ?? null, endedBy };
  }
}
