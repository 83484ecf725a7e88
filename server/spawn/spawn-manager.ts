import { existsSync, rmSync, statSync } from 'node:fs';
import { rm, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  describeWorkerNameProblem, MAX_INPUT_BYTES, WorkerError,
  type InjectAction, type InjectionState, type ReleaseOutcome, type SpawnRequest, type WorkerInfo, type WorktreeInfo, worktreeOptions,
} from '../../lib/protocol';
import { isDirectory as isDir } from '../../lib/paths';
import type { RelayRouter, LocalAgentHandle } from '../router/types';
import type { WorkerRecordStore } from '../storage/types';
import type { PreparedWorktree, WorktreeHook } from '../worktrees/hook';
import { formatInjectedMessage } from '../relay-commands/injection';
import { createOutboxWatcher, type OutboxWatcher } from '../relay-commands/outbox';
import { ensurePrivateDir } from '../security/private-files';
import { logger } from '../logger';
import { TypedEmitter } from '../events';
import { resolveLaunch, type ResolvedLaunch, type WorkerMcpHook } from './launch';
import { resetPrivateDir, workerPrivateDir, writePrivateFiles, writePrivateLinks } from './private-dir';
import { createRelayBridge, type RelayBridge } from './relay-bridge';
import type { OutputSlice, ScreenSnapshot, SpawnContext, SpawnManagerApi, SpawnManagerEvents, SpawnResolution } from './types';
import { Worker } from './worker';
import { OutputGapError } from './output-store';
import { recoverRecords, type RecoveryReport } from './survivors';

export interface SpawnPolicy {
  maxWorkers?: number;
  /** Preset names or executables allowed; absent means any. */
  allowedClis?: string[];
  allowNestedSpawn?: boolean;
  releaseGraceMs?: number;
}

export interface SpawnManagerOptions {
  router: RelayRouter;
  store: WorkerRecordStore;
  projectRoot: string;
  dataDir: string;
  socketPath: string;
  policy?: SpawnPolicy;
  /** Watch `<dataDir>/outbox/<agent>/{msg,spawn,release}` (default true). */
  watchOutbox?: boolean;
  /** Makes the git worktree of a spawn with `worktree` (server/worktrees); without it such spawns are refused. */
  worktrees?: WorktreeHook;
  /** [launch hook] Our MCP server for agent CLIs (server/mcp `workerMcpHook`); without it workers get none. */
  mcp?: WorkerMcpHook;
}

const SAVE_THROTTLE_MS = 500;
/**
 * How long spawn watches an agent CLI for an immediate exit: until its prompt or a dialog shows, or
 * EARLY_EXIT.afterOutputMs past its first output, at most EARLY_EXIT.maxMs (docs/decisions/0009-real-agents.md).
 */
export const EARLY_EXIT = { afterOutputMs: 3000, maxMs: 15_000 } as const;

export class SpawnManager extends TypedEmitter<SpawnManagerEvents> implements SpawnManagerApi {
  private readonly workers = new Map<string, Worker>();
  private readonly handles = new Map<string, LocalAgentHandle>();
  /** Each live worker's hold on its name in the router (no HELLO may take it), from spawn to exit. */
  private readonly nameClaims = new Map<string, { release(): void }>();
  private readonly reserved = new Set<string>();
  private readonly attaching = new Set<string>();
  private readonly saveTimers = new Map<string, NodeJS.Timeout>();
  private readonly policy: Required<Omit<SpawnPolicy, 'allowedClis'>> & { allowedClis?: string[] };
  private readonly bridge: RelayBridge;
  private readonly outbox: OutboxWatcher | undefined;
  private shuttingDown = false;
  /** See routeCommandsThrough. */
  private commands: Pick<SpawnManagerApi, 'spawn' | 'release'> = this;
  /** Survivors of the previous run: resolves once they are ended (server/spawn/survivors.ts). */
  recovery: Promise<RecoveryReport> = Promise.resolve({ lost: [], ended: 0, remaining: 0 });

  constructor(private readonly options: SpawnManagerOptions) {
    super();
    this.policy = {
      maxWorkers: options.policy?.maxWorkers ?? 32,
      allowNestedSpawn: options.policy?.allowNestedSpawn ?? true,
      releaseGraceMs: options.policy?.releaseGraceMs ?? 5000,
      allowedClis: options.policy?.allowedClis,
    };
    // Terminal output and agents' commands are the user's alone (0700 / 0600), older loose ones tightened.
    ensurePrivateDir(this.logsDir, { files: true });
    ensurePrivateDir(this.outboxRoot);
    this.bridge = createRelayBridge({
      router: options.router,
      outboxRoot: this.outboxRoot,
      spawn: (req, ctx) => this.commands.spawn(req, ctx),
      release: (name, opts) => this.commands.release(name, opts),
      isLiveWorker: (name) => this.workers.get(name)?.isLive() ?? false,
      notify: (agent, text) => {
        const w = this.workers.get(agent);
        if (w?.isLive()) void w.injection.enqueue(text).catch(() => {});
      },
    });
    this.loadRecords();
    if (options.watchOutbox !== false) {
      this.outbox = createOutboxWatcher({ root: this.outboxRoot, handle: (agent, cmd) => this.bridge.handle(agent, cmd) });
    }
  }

  get logsDir(): string {
    return join(this.options.dataDir, 'logs');
  }

  get outboxRoot(): string {
    return join(this.options.dataDir, 'outbox');
  }

  /**
   * What the previous run left: every record stays listed (exited, with its log). A record that was
   * not exited belongs to a run that stopped without releasing it: what survives of its processes is
   * ended (survivors.ts) and it is recorded as lost. `recovery` resolves once they are gone.
   */
  private loadRecords(): void {
    let records: WorkerInfo[] = [];
    try {
      records = this.options.store.loadWorkers();
    } catch (err) {
      logger.warn({ err }, 'worker records could not be loaded');
    }
    const recovered = recoverRecords(records, { graceMs: Math.min(2000, this.policy.releaseGraceMs) });
    this.recovery = recovered.done;
    records.forEach((before, i) => {
      const info = recovered.records[i];
      // Records written before attention meant "a person is needed" flagged every exit: a clean or
      // released end is not attention (a lost one keeps the flag its recovery gave it).
      if (before.status === 'exited' && !info.lost) info.needsAttention = !info.released && (Boolean(info.signal) || (info.exitCode ?? 0) !== 0);
      if (info.status !== before.status || info.tracking?.done !== before.tracking?.done) this.options.store.saveWorker(info);
      const logPath = this.logPathOf(info.name);
      const size = existsSync(logPath) ? statSync(logPath).size : 0;
      // A log that ends in a gap (the disk was full until the end) is shorter than the output was.
      const bytes = info.logGaps?.length ? Math.max(size, info.outputBytes) : size;
      info.outputBytes = bytes;
      this.workers.set(info.name, Worker.record(info, logPath, bytes));
    });
  }

  private logPathOf(name: string): string {
    return join(this.logsDir, `${name}.log`);
  }

  /**
   * Where the workers' own commands go (->relay:spawn / release, outbox files). In a cluster,
   * server/cluster's API, so a worker's release of a worker on another node reaches its owner.
   */
  routeCommandsThrough(api: Pick<SpawnManagerApi, 'spawn' | 'release'>): void {
    this.commands = api;
  }

  async spawn(request: SpawnRequest, context: SpawnContext = {}): Promise<WorkerInfo> {
    const name = request.name;
    const problem = describeWorkerNameProblem(name);
    if (problem) throw new WorkerError('INVALID_NAME', problem, 'name');
    if (this.reserved.has(name) || this.workers.get(name)?.isLive()) {
      throw new WorkerError('NAME_TAKEN', `A worker named "${name}" is already running; choose another name or release it first.`, 'name');
    }
    if (this.shuttingDown) throw new WorkerError('POLICY_DENIED', 'The relay is shutting down and does not start new workers.');
    const isLiveWorker = (n: string | undefined) => (n ? (this.workers.get(n)?.isLive() ?? false) : false);
    // A worker's MCP server connects as `__mcp-<pid>` and spawns on behalf of its agent (spawnerName):
    // an untrusted request that names a live worker as its spawner is that worker's, for this policy.
    const fromWorker = context.fromWorker || isLiveWorker(context.requester) || (!context.trusted && isLiveWorker(request.spawnerName));
    if (fromWorker && !this.policy.allowNestedSpawn) {
      throw new WorkerError('POLICY_DENIED', `Workers may not spawn workers here (policy allowNestedSpawn is off); "${isLiveWorker(request.spawnerName) && !context.trusted ? request.spawnerName : context.requester}" asked for "${name}".`);
    }
    const live = [...this.workers.values()].filter((w) => w.isLive()).length + this.reserved.size;
    if (live >= this.policy.maxWorkers) {
      throw new WorkerError('LIMIT_REACHED', `${live} workers are running, the limit is ${this.policy.maxWorkers}; release one first.`);
    }
    const { cwd, spawnerName, outboxDir, resolved } = this.prepare(request, context);

    // [worktree hook] Everything above validated; the worktree is made last, so a refusal leaves nothing.
    const worktree = await this.prepareWorktree(request, cwd);
    const workerCwd = worktree?.cwd ?? cwd;

    this.reserved.add(name);
    let worker: Worker;
    try {
      // An exited worker of that name is replaced: what it left running goes first (it would be unreachable after).
      const replaced = this.workers.get(name);
      if (replaced && !replaced.isLive()) await replaced.reapGroup();
      ensurePrivateDir(outboxDir);
      resetPrivateDir(resolved.privateDir);
      writePrivateFiles(resolved.files);
      writePrivateLinks(resolved.links);
      if (resolved.mcpReadyFile) rmSync(resolved.mcpReadyFile, { force: true });
      const info: WorkerInfo = {
        name, cli: request.cli, args: request.args ?? [], task: request.task ?? '',
        ...(request.team ? { team: request.team } : {}), ...(request.model ? { model: request.model } : {}),
        cwd: workerCwd, ...(spawnerName ? { spawnerName } : {}), spawnedAt: Date.now(), status: 'starting',
        taskDelivered: false, cols: request.cols ?? 120, rows: request.rows ?? 32, outputBytes: 0,
        ...(worktree ? { worktree: worktree.info } : {}),
      };
      this.options.router.expectAgent(name);
      this.nameClaims.set(name, this.options.router.claimWorkerName(name));
      worker = Worker.launch({
        info, file: resolved.file, args: resolved.args, env: resolved.env, politeExit: resolved.profile?.politeExit,
        logPath: this.logPathOf(name), profile: resolved.profile, mcpReadyFile: resolved.mcpReadyFile,
      });
    } catch (err) {
      this.releaseName(name);
      this.options.router.forgetAgent(name);
      if (worktree) await worktree.rollback();
      if (err instanceof WorkerError) throw err;
      throw new WorkerError('INTERNAL', `Could not start "${request.cli}": ${(err as Error).message}`, 'cli');
    } finally {
      this.reserved.delete(name);
    }
    this.workers.set(name, worker);
    this.wire(worker, request);
    this.saveNow(worker);
    this.emit('list', this.listWorkers());
    worktree?.started();
    if (resolved.profile) await this.confirmStarted(worker, resolved);
    return worker.getInfo();
  }

  /** [worktree hook] The worktree of a spawn that asked for one; the name is held while git works. */
  private async prepareWorktree(request: SpawnRequest, cwd: string): Promise<PreparedWorktree | undefined> {
    const options = worktreeOptions(request.worktree);
    if (!options) return undefined;
    if (!this.options.worktrees) throw new WorkerError('BAD_REQUEST', 'Worktrees are not available in this relay (no worktree manager); spawn without worktree.', 'worktree');
    this.reserved.add(request.name);
    try {
      return await this.options.worktrees.prepare({ name: request.name, cwd, options });
    } finally {
      this.reserved.delete(request.name);
    }
  }

  /** [worktree hook] The worktree domain keeps the listed summary (branch, unmerged work) current. */
  setWorktree(name: string, worktree: WorktreeInfo): void {
    const worker = this.workers.get(name);
    if (!worker) return;
    worker.setWorktree(worktree);
    this.emit('status', worker.getInfo());
    this.saveSoon(worker);
  }

  /**
   * What `spawn(request)` would run, without running it: the same checks and resolution (so the
   * spawn dialog shows the exact command line, or the error spawn would give). Name and limits are
   * not checked: the form may still change them.
   */
  resolve(request: SpawnRequest, context: SpawnContext = {}): SpawnResolution {
    const { resolved, cwd } = this.prepare(request, context);
    return {
      file: resolved.file, args: resolved.args, commandLine: resolved.commandLine, cwd,
      ...(resolved.preset ? { preset: resolved.preset } : {}), ...(resolved.profile ? { agent: resolved.profile.label } : {}),
      skipPermissions: resolved.skipPermissions, permissionFlags: resolved.permissionFlags, mcp: resolved.mcpReadyFile !== undefined,
    };
  }

  private prepare(request: SpawnRequest, context: SpawnContext) {
    // In a cluster, server/cluster takes `node` off before a request reaches this manager; one that
    // still has it was sent to a relay that is not in a cluster, and would otherwise run here unasked.
    if (request.node !== undefined) {
      throw new WorkerError('NO_SUCH_NODE', `This relay is not part of a cluster, so there is no node "${request.node}" to run on. Spawn without a node, or start the relays with agent-relay up --cluster nats://HOST:PORT (docs/cluster.md).`);
    }
    if (this.policy.allowedClis && !this.policy.allowedClis.includes(request.cli)) {
      throw new WorkerError('POLICY_DENIED', `"${request.cli}" is not in the allowed CLIs (${this.policy.allowedClis.join(', ') || 'none'}).`, 'cli');
    }
    const cwd = resolve(this.options.projectRoot, request.cwd ?? '.');
    if (!isDir(cwd)) {
      throw new WorkerError('BAD_CWD', `The working directory ${cwd} does not exist or is not a directory.`, 'cwd');
    }
    const spawnerName = context.trusted ? (request.spawnerName ?? context.requester) : (context.requester ?? request.spawnerName);
    const outboxDir = join(this.outboxRoot, request.name);
    const peers = this.options.router.connectedAgentNames().filter((n) => n !== request.name && !n.startsWith('__'));
    const resolved = resolveLaunch(request, {
      name: request.name, cwd, dataDir: this.options.dataDir, socketPath: this.options.socketPath, outboxDir, spawnerName,
      peers, processEnv: process.env, uid: process.getuid?.(), mcp: this.options.mcp,
    });
    return { cwd, spawnerName, outboxDir, resolved };
  }

  /**
   * An agent CLI that exits within its first seconds never ran: that is a spawn failure carrying its
   * last lines, not "spawned" followed by an exit. The wait ends as soon as the profile sees the
   * prompt or a dialog (the CLI is up and waiting), so a healthy agent costs only its start-up;
   * plain commands (no profile) are not waited for at all (docs/decisions/0009-real-agents.md).
   */
  private async confirmStarted(worker: Worker, resolved: ResolvedLaunch): Promise<void> {
    const outcome = await worker.whenUp(EARLY_EXIT.afterOutputMs, EARLY_EXIT.maxMs);
    if (outcome !== 'exited' || worker.getInfo().released) return;
    const info = worker.getInfo();
    const how = info.signal ? `was killed by ${info.signal}` : `exited with code ${info.exitCode}`;
    const lines = await worker.lastLines(12).catch(() => []);
    const label = resolved.profile?.label ?? info.cli;
    throw new WorkerError(
      'EXITED_AT_START',
      `${label} ${how} right after it started, so "${info.name}" is not running. ` +
        (lines.length ? `Its last output:\n${lines.map((l) => `  ${l}`).join('\n')}` : 'It printed nothing.') +
        `\nCommand: ${resolved.commandLine.length > 400 ? `${resolved.commandLine.slice(0, 400)}…` : resolved.commandLine}`,
      'cli',
    );
  }

  private wire(worker: Worker, request: SpawnRequest): void {
    const name = worker.name;
    // A worker's events, re-emitted with its name (a worker is never unsubscribed: it is dropped whole).
    worker.on('output', (chunk, start) => this.emit('output', name, chunk, start));
    worker.on('status', () => {
      if (worker.status !== 'starting' && worker.isLive() && !this.handles.has(name)) this.attach(worker, request);
      this.emit('status', worker.getInfo());
      this.saveSoon(worker);
    });
    worker.on('exit', () => {
      this.handles.get(name)?.detach();
      this.handles.delete(name);
      this.releaseName(name);
      const info = worker.getInfo();
      this.saveNow(worker);
      this.emit('status', info);
      this.emit('exit', info);
    });
    worker.on('command', (command) => void this.bridge.handle(name, command));
  }

  private attach(worker: Worker, request: SpawnRequest): void {
    // Attaching delivers stored messages at once; queueing them emits status, which lands back
    // here before the handle is recorded: attach once, not recursively.
    if (this.attaching.has(worker.name)) return;
    this.attaching.add(worker.name);
    try {
      this.attachNow(worker, request);
    } finally {
      this.attaching.delete(worker.name);
    }
  }

  private attachNow(worker: Worker, request: SpawnRequest): void {
    const info = worker.getInfo();
    const handle = this.options.router.attachLocalAgent(
      worker.name,
      { cli: request.cli, task: request.task, team: request.team, model: request.model, pid: info.pid, parent: info.spawnerName, entityType: 'agent' },
      { deliver: (envelope) => worker.injection.enqueue(formatInjectedMessage(envelope)) },
    );
    this.handles.set(worker.name, handle);
  }

  private releaseName(name: string): void {
    this.nameClaims.get(name)?.release();
    this.nameClaims.delete(name);
  }

  private saveSoon(worker: Worker): void {
    if (this.saveTimers.has(worker.name)) return;
    const t = setTimeout(() => {
      this.saveTimers.delete(worker.name);
      this.saveNow(worker);
    }, SAVE_THROTTLE_MS);
    t.unref();
    this.saveTimers.set(worker.name, t);
  }

  private saveNow(worker: Worker): void {
    const t = this.saveTimers.get(worker.name);
    if (t) clearTimeout(t);
    this.saveTimers.delete(worker.name);
    if (this.workers.get(worker.name) !== worker) return;
    try {
      this.options.store.saveWorker(worker.getInfo());
    } catch (err) {
      logger.warn({ err, worker: worker.name }, 'worker record could not be saved');
    }
  }

  private get(name: string): Worker {
    const worker = this.workers.get(name);
    if (!worker) throw new WorkerError('NOT_FOUND', `No worker named "${name}"; list workers to see the names.`, 'name');
    return worker;
  }

  private getLive(name: string): Worker {
    const worker = this.get(name);
    if (!worker.isLive()) throw new WorkerError('NOT_RUNNING', `Worker "${name}" has exited; spawn it again to use it.`, 'name');
    return worker;
  }

  async release(name: string, options: { force?: boolean; reason?: string } = {}): Promise<ReleaseOutcome> {
    const worker = this.get(name);
    const outcome = await worker.release({ force: options.force, graceMs: this.policy.releaseGraceMs });
    // Background processes the agent left in its group would otherwise outlive it.
    await worker.reapGroup();
    this.saveNow(worker);
    // Who asked and why (an agent's ->relay:release, an MCP or CLI reason) goes to the log with the outcome.
    if (outcome.endedBy !== 'already-exited') {
      logger.info({ worker: name, endedBy: outcome.endedBy, force: options.force ?? false, reason: options.reason }, `worker "${name}" released (${outcome.endedBy})${options.reason ? `: ${options.reason}` : ''}`);
    }
    return outcome;
  }

  sendWorkerInput(name: string, data: string | Buffer): void {
    const worker = this.getLive(name);
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    if (size > MAX_INPUT_BYTES) {
      throw new WorkerError('INPUT_TOO_LARGE', `The input is ${size} bytes; send at most ${MAX_INPUT_BYTES} bytes per write.`, 'data');
    }
    worker.typeAsPerson(data);
  }

  setInjectMode(name: string, action: InjectAction): { injection: InjectionState; flushed: number } {
    const worker = this.getLive(name);
    const flushed = worker.setInjectMode(action);
    return { injection: worker.injection.state(), flushed };
  }

  resize(name: string, cols: number, rows: number): void {
    const worker = this.getLive(name);
    if (!Number.isInteger(cols) || !Number.isInteger(rows) || cols < 2 || cols > 1000 || rows < 1 || rows > 500) {
      throw new WorkerError('BAD_REQUEST', `A terminal size of ${cols}x${rows} is not possible; use 2-1000 columns and 1-500 rows.`);
    }
    worker.resize(cols, rows);
  }

  listWorkers(): WorkerInfo[] {
    return [...this.workers.values()].map((w) => w.getInfo());
  }

  getWorker(name: string): WorkerInfo | undefined {
    return this.workers.get(name)?.getInfo();
  }

  async readOutput(name: string, since: number, maxBytes?: number): Promise<OutputSlice> {
    try {
      return await this.get(name).output.read(since, maxBytes);
    } catch (err) {
      if (!(err instanceof OutputGapError)) throw err;
      const { from, to } = err.gap;
      throw new WorkerError(
        'OUTPUT_GAP',
        `Bytes ${from} to ${to} of "${name}"'s output are not in its log (${err.reason}) and no longer in memory; read on from since=${to}.`,
        undefined, undefined, err.gap,
      );
    }
  }

  async snapshot(name: string): Promise<ScreenSnapshot> {
    return this.get(name).snapshot();
  }

  remove(name: string, options: { deleteLog?: boolean } = {}): void {
    const worker = this.get(name);
    if (worker.isLive()) throw new WorkerError('BAD_REQUEST', `Worker "${name}" is still running; release it before removing it.`, 'name');
    // Anything it left running (and its cgroup) goes with it.
    void worker.reapGroup();
    this.workers.delete(name);
    const t = this.saveTimers.get(name);
    if (t) clearTimeout(t);
    this.saveTimers.delete(name);
    this.options.store.deleteWorker(name);
    this.options.router.forgetAgent(name);
    if (options.deleteLog) void unlink(this.logPathOf(name)).catch(() => {});
    // Its outbox and per-run MCP config belong to the worker: without this, one directory per removed
    // worker stayed behind for good. The log stays unless asked (deleteLog).
    void rm(join(this.outboxRoot, name), { recursive: true, force: true }).catch((err: unknown) => logger.warn({ err, worker: name }, 'outbox directory could not be removed'));
    this.options.mcp?.remove(this.options.dataDir, name);
    resetPrivateDir(workerPrivateDir(this.options.dataDir, name));
    this.emit('list', this.listWorkers());
  }

  async releaseAll(): Promise<void> {
    this.shuttingDown = true;
    await this.outbox?.close();
    const all = [...this.workers.values()];
    await Promise.all(all.filter((w) => w.isLive()).map((w) => this.release(w.name).catch(() => undefined)));
    // Leave no child behind: anything still in a worker's process group is killed and waited for.
    await Promise.all(all.map((w) => w.reapGroup()));
    for (const w of all) if (this.workers.get(w.name) === w) this.saveNow(w);
  }

  /** releaseAll and stop watching the outbox. */
  async close(): Promise<void> {
    await this.releaseAll();
  }
}
