import type { AgentProfile } from '../agents';
import type { InjectAction, InjectionState, ReleaseOutcome, WorkerInfo, WorkerStatus } from '../../lib/protocol';
import { createInjectionQueue, type InjectionBlock, type InjectionQueue } from '../relay-commands/injection';
import { createTerminalReadiness, OUTPUT_QUIET_MS } from '../relay-commands/readiness';
import { isKeystrokes } from '../relay-commands/typing';
import type { RelayCommand } from '../relay-commands/grammar.mjs';
import { spawnDrainedPty, type DrainedPty, type PtyEnd } from './drained-pty';
import { OutputGapError, OutputStore, type LogGap } from './output-store';
import { logger } from '../logger';
import { TypedEmitter } from '../events';
import { HeadlessScreen } from './screen';
import { foreignForegroundGroup } from './foreground-group';
import { ProcessTree } from './process-tree';
import { AgentSession } from './agent-session';
import type { AgentScreenState } from './agent-watch';

/**
 * One worker process: its PTY, output (ring, log, headless screen), status, the injection queue
 * that types tasks and messages into it, and its release escalation.
 */

export const WORKER_TIMING = {
  /** No output for this long: running → idle. */
  idleAfterMs: 3000,
  /** Output quiet this long counts as "ready to be typed into". */
  quietMs: OUTPUT_QUIET_MS,
  /** Longest wait for a plain program's output to go quiet before its task is typed anyway. */
  taskMaxWaitMs: 10_000,
  /** A worker that prints nothing (e.g. `cat`) still counts as running after this long. */
  runningAfterMs: 1000,
  /** After the polite exit command, how long the CLI gets before SIGTERM. */
  politeExitMs: 2000,
} as const;

/**
 * Between the parts of a multi-part polite exit (`['/quit', '\r']`), as a person would type them:
 * at least `minMs` (an Enter right behind text can be read as a newline), and until the CLI printed
 * something in reaction to the last part (a busy machine can take seconds), at most `maxMs`.
 */
const POLITE_EXIT_PART_GAP = { minMs: 300, maxMs: 2000 } as const;

/** After SIGKILL to the command, how long the guard gets to drain and exit before it is killed too. */
const GUARD_DRAIN_MS = 1000;

export interface WorkerLaunch {
  info: WorkerInfo;
  file: string;
  args: string[];
  env: Record<string, string>;
  politeExit?: string | string[];
  logPath: string;
  /** The agent profile that knows this CLI (screen recognisers, how to submit); absent for plain programs. */
  profile?: AgentProfile;
  /** Written by our MCP server once the CLI has listed its tools: input waits for it (bounded by mcpWaitMs). */
  mcpReadyFile?: string;
}

/** What a live Worker emits (SpawnManager re-emits them, with the worker's name, as SpawnManagerEvents). */
export interface WorkerEvents {
  /** Raw output; `start` is the offset of chunk[0] in the worker's stream. In order, never altered. */
  output: (chunk: Buffer, start: number) => void;
  /** Something in getInfo() changed (status, size, attention, injection, task delivered, log gap). */
  status: () => void;
  /** The process exited and its output was drained to EOF. */
  exit: () => void;
  /** A `->relay:` command read from the screen. */
  command: (command: RelayCommand) => void;
  /** The agent profile's reading of the screen changed (prompt, unsent text, dialog). */
  screen: (state: AgentScreenState) => void;
}

export class Worker extends TypedEmitter<WorkerEvents> {
  readonly name: string;
  readonly output: OutputStore;
  private readonly info: WorkerInfo;
  private pty: DrainedPty | undefined;
  private screen: HeadlessScreen | undefined;
  readonly injection: InjectionQueue;
  private lastOutputAt = 0;
  /** When a person last typed into the terminal (viewer, API, CLI `input`); our injections do not count. */
  private lastTypedAt = 0;
  /** release() was asked for: the exit that follows is deliberate, not a failure. */
  private releaseAsked = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly exited: Promise<void>;
  private resolveExited!: () => void;
  private releasing: Promise<ReleaseOutcome> | undefined;
  private readonly politeExit?: string | string[];
  private readonly politeExitMs: number;
  private readonly politeExitRetryMs: number | undefined;
  /** A profiled agent CLI's screen, readiness and attention (server/spawn/agent-session.ts); absent for plain programs. */
  private agent: AgentSession | undefined;
  /**
   * Whether signalling the process group may still reach our processes. False for records loaded
   * from an earlier run, and once the group was seen empty: the id could belong to someone else later.
   */
  private groupOwned = false;
  /** Every process the worker started (cgroup, group, session, /proc sweep); absent for records of an earlier run. */
  private tree: ProcessTree | undefined;

  /** A live worker: starts `launch.file` in a PTY now and types its task once it is ready. */
  static launch(launch: WorkerLaunch): Worker {
    return new Worker(launch);
  }

  /**
   * The record of a worker of an earlier run, as listed after a restart: exited, its output read
   * from the log (`logBytes` long, with the gaps the record names). Nothing runs; input is refused.
   */
  static record(info: WorkerInfo, logPath: string, logBytes: number): Worker {
    return new Worker({ info, file: '', args: [], env: {}, logPath }, logBytes);
  }

  /** Through `Worker.launch` or `Worker.record`: `archivedBytes` set means a record, nothing started. */
  private constructor(launch: WorkerLaunch, archivedBytes?: number) {
    super();
    this.name = launch.info.name;
    this.info = { ...launch.info };
    this.politeExit = launch.politeExit;
    this.politeExitMs = launch.profile?.politeExitMs ?? WORKER_TIMING.politeExitMs;
    this.politeExitRetryMs = launch.profile?.politeExitRetryMs;
    this.exited = new Promise((r) => (this.resolveExited = r));
    this.output = new OutputStore(launch.logPath, archivedBytes, undefined, archivedBytes !== undefined ? launch.info.logGaps : undefined);
    this.output.onGap((gap) => this.onLogGap(gap));
    // An agent profile that reads its screen decides last (prompt shown, empty, no dialog); without
    // one (plain programs) quiet output decides, as before. Then the relay tools, if it gets them.
    const terminal = createTerminalReadiness({
      lastOutputAt: () => this.lastOutputAt,
      lastTypedAt: () => this.lastTypedAt,
      waitForFirstOutput: true,
      quietMs: WORKER_TIMING.quietMs,
      prompt: launch.profile ? () => this.agent?.promptCheck?.() ?? Promise.resolve(undefined) : undefined,
    });
    this.injection = createInjectionQueue({
      write: (data) => this.writeRaw(data),
      readiness: async (query) => (await terminal(query)) ?? this.agent?.mcpBlock(),
      enterDelayMs: launch.profile?.submit.enterDelayMs,
      formatText: launch.profile?.submit.bracketedPaste ? (text) => this.agent?.asPaste(text) ?? text : undefined,
      onState: (state) => this.onInjectionState(state),
      // An agent's prompt shows whether the Enter was taken; a plain program's Enter is trusted.
      submitted: launch.profile ? async (since) => this.agent?.submitted(since, this.lastTypedAt) ?? 'unknown' : undefined,
      onSubmitStuck: (stuck) => this.agent?.setSubmitStuck(stuck),
    });
    if (archivedBytes === undefined) this.info.injection = this.injection.state();
    else delete this.info.injection;
    if (archivedBytes !== undefined) {
      this.resolveExited();
      this.injection.close('The worker has exited.');
      return;
    }
    this.start(launch);
  }

  private start(launch: WorkerLaunch): void {
    const { cols, rows } = this.info;
    this.screen = new HeadlessScreen(cols, rows, {
      onBacklog: (over) => (over ? this.pty?.pause() : this.pty?.resume()),
      // Relay commands are read from what the terminal shows, on the screen thread.
      onCommands: (commands) => {
        for (const command of commands) this.emit('command', command);
      },
    });
    if (launch.profile) {
      this.agent = new AgentSession({
        profile: launch.profile, screen: this.screen, bytes: () => this.output.bytes, spawnedAt: this.info.spawnedAt,
        mcpReadyFile: launch.mcpReadyFile, taskPending: () => Boolean(this.info.task) && !this.info.taskDelivered,
        setAttention: (reason) => this.setAttention(reason), onScreen: (state) => this.emit('screen', state),
      });
    }
    const tree = (this.tree = new ProcessTree());
    try {
      this.pty = spawnDrainedPty({
        file: launch.file, args: launch.args, cwd: this.info.cwd, env: { ...launch.env, ...tree.env }, cols, rows,
        joinCgroup: tree.joinFile, wrapper: tree.wrapper,
      });
    } catch (err) {
      tree.dispose();
      throw err;
    }
    this.info.pid = this.pty.pid;
    this.groupOwned = true;
    tree.started(this.pty.pid);
    this.info.tracking = tree.record();
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
    this.agent?.watch.touch();
    this.emit('output', chunk, start);
    if (this.info.status === 'starting' || this.info.status === 'idle') this.setStatus('running');
    this.armIdle();
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
    this.agent?.dispose();
    // The last lines are acted on before the exit is reported (they would otherwise wait to settle
    // on a screen that is about to go away).
    await this.screen?.flushCommands();
    this.screen?.dispose();
    this.info.exitCode = end.exitCode;
    this.info.signal = end.signal;
    this.info.exitedAt = Date.now();
    this.info.outputBytes = this.output.bytes;
    delete this.info.injection;
    // A deliberate release is an ending, not a failure; any other non-zero exit or signal is news.
    if (this.releaseAsked) this.info.released = true;
    const abnormal = !this.releaseAsked && (end.signal !== null || (end.exitCode ?? 0) !== 0);
    this.setAttentionFields(abnormal ? `It exited ${end.signal ? `on ${end.signal}` : `with code ${end.exitCode}`}.` : undefined);
    this.info.status = 'exited';
    if (!this.groupAlive()) this.groupOwned = false;
    // Nothing left behind: the cgroup goes now. Otherwise it stays until release reaps it.
    if (this.tree && this.tree.members().length === 0) this.treeDone();
    this.resolveExited();
    this.emit('exit');
  }

  private setStatus(status: WorkerStatus): void {
    if (this.info.status === status || this.info.status === 'exited') return;
    // Quiet is not attention: a shell at its prompt is simply idle (an agent profile says when one waits for a person).
    this.info.status = status;
    this.emit('status');
  }

  /**
   * [profile hook] The agent waits for a person (a first-run dialog, a question): `reason` says what
   * and where to answer; undefined clears it. Shown as needs-attention in every surface.
   */
  setAttention(reason: string | undefined): void {
    if (this.info.status === 'exited' || this.info.attentionReason === reason) return;
    this.setAttentionFields(reason);
    this.emit('status');
  }

  private setAttentionFields(reason: string | undefined): void {
    this.info.needsAttention = reason !== undefined;
    if (reason === undefined) delete this.info.attentionReason;
    else this.info.attentionReason = reason;
  }

  /**
   * Resolves when the CLI is up (its profile sees its prompt or a dialog), when it exits, or once it
   * has been running `afterOutputMs` past its first output (at most `maxMs` in all) — whichever is
   * first. Counted from the first output, not from the start: a loaded machine can take seconds to
   * start a CLI, and an error exit comes right after the error is printed (spawn-manager.ts).
   */
  whenUp(afterOutputMs: number, maxMs: number): Promise<'up' | 'exited' | 'window'> {
    return new Promise((resolve) => {
      let settled = false;
      let windowTimer: NodeJS.Timeout | undefined;
      const done = (result: 'up' | 'exited' | 'window') => {
        if (settled) return;
        settled = true;
        clearTimeout(maxTimer);
        clearTimeout(windowTimer);
        this.off('screen', onScreen);
        this.off('output', onOutput);
        resolve(result);
      };
      const onScreen = (s: AgentScreenState) => (s.atPrompt || s.dialog !== undefined) && done('up');
      const onOutput = () => {
        this.off('output', onOutput);
        windowTimer = setTimeout(() => done('window'), afterOutputMs);
      };
      const maxTimer = setTimeout(() => done('window'), maxMs);
      if (this.info.status === 'exited') return done('exited');
      if (this.agent?.isUp) return done('up');
      this.on('screen', onScreen);
      if (this.output.bytes > 0) onOutput();
      else this.on('output', onOutput);
      void this.exited.then(() => done('exited'));
    });
  }

  /** The last non-empty rows the terminal showed, rebuilt from the tail of the log (for error messages). */
  async lastLines(count = 12): Promise<string[]> {
    const tailBytes = 256 * 1024;
    const slice = await this.output.read(Math.max(0, this.output.bytes - tailBytes), tailBytes);
    const screen = new HeadlessScreen(this.info.cols, this.info.rows, { startOffset: slice.start });
    try {
      screen.write(slice.data);
      const text = await screen.readText();
      const lines = (text?.lines ?? []).map((l) => l.trimEnd());
      while (lines.length && lines[lines.length - 1] === '') lines.pop();
      while (lines.length && lines[0] === '') lines.shift();
      return lines.slice(-count);
    } finally {
      screen.dispose();
    }
  }

  private onInjectionState(state: InjectionState): void {
    if (this.info.status === 'exited') return;
    this.info.injection = state;
    this.emit('status');
  }

  /** hold / flush / auto from a person (dashboard, API, CLI, MCP). Returns how many a flush released. */
  setInjectMode(action: InjectAction): number {
    if (action === 'flush') return this.injection.flush();
    this.injection.setMode(action);
    return 0;
  }

  private deliverTask(task: string): void {
    // The task goes first through the same queue as messages, so nothing is typed before it; a
    // CLI gets longer than a message to start drawing before it is typed anyway.
    const text = task.replace(/\r\n|\r|\n/g, ' ');
    void this.injection
      .enqueue(text, { maxWaitMs: WORKER_TIMING.taskMaxWaitMs })
      .then(
        () => {
          this.info.taskDelivered = true;
          this.agent?.taskDelivered();
          this.emit('status');
        },
        () => {},
      );
  }

  /** The worktree summary changed (server/worktrees keeps it current). */
  setWorktree(worktree: WorkerInfo['worktree']): void {
    this.info.worktree = worktree;
  }

  /** The log lost bytes (disk full), or writing resumed: said in the log and in the worker's status. */
  private onLogGap(gap: LogGap): void {
    if (gap.to === null) logger.warn({ worker: this.name, from: gap.from, reason: gap.reason, log: this.output.logPath }, `output log of worker "${this.name}" incomplete from byte ${gap.from} (${gap.reason}); output goes on live and writing is retried`);
    else logger.warn({ worker: this.name, from: gap.from, to: gap.to, reason: gap.reason }, `output log of worker "${this.name}" written again from byte ${gap.to}; bytes ${gap.from}-${gap.to} are missing (${gap.reason})`);
    this.emit('status');
  }

  getInfo(): WorkerInfo {
    const info: WorkerInfo = { ...this.info, args: [...this.info.args], outputBytes: this.output.bytes };
    const gaps = this.output.logGaps;
    if (gaps.length) info.logGaps = gaps;
    if (this.info.injection) info.injection = { ...this.info.injection, ...(this.info.injection.waiting ? { waiting: { ...this.info.injection.waiting } } : {}) };
    return info;
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

  /** Resolves once the CLI printed something after `wroteAt` and POLITE_EXIT_PART_GAP.minMs passed, or maxMs after it. */
  private async reactionTo(wroteAt: number): Promise<void> {
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    await sleep(Math.max(0, wroteAt + POLITE_EXIT_PART_GAP.minMs - Date.now()));
    while (this.lastOutputAt <= wroteAt && Date.now() - wroteAt < POLITE_EXIT_PART_GAP.maxMs && this.info.status !== 'exited') await sleep(50);
  }

  /** A person's input (viewer, API, CLI `input`, MCP): written, and injections wait until they pause. */
  typeAsPerson(data: string | Buffer): void {
    this.writeRaw(data);
    if (isKeystrokes(data)) this.lastTypedAt = Date.now();
  }

  /** Writes to the terminal as typed input (our own: injections, the polite exit). */
  writeRaw(data: string | Buffer): void {
    if (!this.pty || this.info.status === 'exited') throw new Error(`Worker "${this.name}" is not running.`);
    this.pty.write(data);
  }

  resize(cols: number, rows: number): void {
    if (!this.pty || this.info.status === 'exited') return;
    this.pty.resize(cols, rows);
    this.screen?.resize(cols, rows);
    this.agent?.watch.touch();
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
    const slice = await this.output.read(since, tailBytes).catch(async (err: unknown) => {
      if (!(err instanceof OutputGapError)) throw err;
      // The tail is missing from the log (disk full): the last part that is there instead.
      const { from, to } = err.gap;
      return to < this.output.bytes ? this.output.read(to, tailBytes) : this.output.read(Math.max(0, from - tailBytes), tailBytes);
    });
    const screen = new HeadlessScreen(this.info.cols, this.info.rows, { startOffset: slice.start });
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
    this.releaseAsked = true;
    if (options.force) {
      this.tree?.killAll();
      this.signalGroup('SIGKILL');
      return this.exited.then(() => this.outcome('force'));
    }
    this.releasing ??= this.escalate(options.graceMs);
    return this.releasing;
  }

  private async escalate(graceMs: number): Promise<ReleaseOutcome> {
    const within = (ms: number) =>
      Promise.race([this.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);
    // Nothing more is typed once release is asked: a task or message still queued would go in as
    // soon as the prompt shows (a dialog dismissed by the exit keys), and reach the model.
    this.injection.close('The worker was released before the input could be typed.');
    // The polite exit's keys would answer a dialog that is up (Claude Code's trust question takes
    // the Enter of "/exit" as "Yes, I trust this folder"): signals only, then.
    if (this.politeExit && !this.agent?.dialogUp) {
      const parts = typeof this.politeExit === 'string' ? [this.politeExit] : this.politeExit;
      const type = async () => {
        try {
          let wroteAt = 0;
          for (const [i, part] of parts.entries()) {
            if (i > 0) await this.reactionTo(wroteAt);
            if (this.info.status === 'exited') break;
            this.writeRaw(part);
            wroteAt = Date.now();
          }
        } catch {
          // Already gone.
        }
      };
      const waitMs = Math.min(this.politeExitMs, graceMs);
      const retryMs = this.politeExitRetryMs;
      await type();
      if (retryMs !== undefined && retryMs < waitMs) {
        if (await within(retryMs)) return this.outcome('exit');
        const state = this.info.status === 'exited' ? undefined : await this.agent?.watch.fresh().catch(() => undefined);
        if (state?.atPrompt && !state.dialog) await type();
        if (await within(waitMs - retryMs)) return this.outcome('exit');
      } else if (await within(waitMs)) return this.outcome('exit');
      // Said with what is on screen: whether the keys were taken for something else or the CLI was slow to quit.
      const lines = await this.lastLines(6).catch(() => []);
      logger.warn({ worker: this.name, waitedMs: waitMs, lastLines: lines }, `worker "${this.name}" did not exit within ${waitMs} ms of its polite exit; sending SIGTERM`);
    }
    this.signalAll('SIGTERM');
    // Once more a moment later: a group signal sent while the guard shell was still starting the
    // command reaches only the guard (which ignores it by design), not the command.
    const again = Math.min(1000, Math.floor(graceMs / 2));
    if (await within(again)) return this.outcome('SIGTERM');
    this.signalAll('SIGTERM');
    // A job-control shell sits in a group of its own and ignores SIGTERM; hang it up as closing
    // its terminal would (it passes the hangup on to its jobs). The guard traps HUP and drains.
    const hungUp = this.signalForeground('SIGHUP');
    if (await within(graceMs - again)) return this.outcome(hungUp ? 'SIGHUP' : 'SIGTERM');
    // SIGKILL to everything but the guard first: the command dies, and the guard still prints its
    // end marker and drains the output (docs/decisions/0003). Only if it does not finish soon is
    // the guard killed too, which may lose what the command wrote after our last read.
    if (this.tree) {
      this.tree.signal('SIGKILL', { exceptGuard: true });
      if (await within(GUARD_DRAIN_MS)) return this.outcome('SIGKILL');
      this.tree.killAll();
    }
    this.signalGroup('SIGKILL');
    await this.exited;
    return this.outcome('SIGKILL');
  }

  /** Nothing of the worker runs any more: its cgroup goes, and a later run need not look for it. */
  private treeDone(): void {
    this.tree?.dispose();
    if (this.info.tracking) this.info.tracking = { ...this.info.tracking, done: true };
  }

  /** `signal` to the process group and to every other process the worker started (setsid ones too). */
  private signalAll(signal: NodeJS.Signals): void {
    this.signalGroup(signal);
    this.tree?.signal(signal);
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

  /**
   * After exit: whatever the worker left running — in its group, or anywhere in its cgroup or
   * sweep (setsid daemons) — gets SIGTERM and a moment, then SIGKILL; waits (bounded) until none is left.
   */
  async reapGroup(timeoutMs = 2000): Promise<boolean> {
    if (this.tree) {
      if (!(await this.tree.reap({ timeoutMs }))) return false;
      this.treeDone();
    }
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

