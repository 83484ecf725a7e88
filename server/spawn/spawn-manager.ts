import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  describeNameProblem, MAX_INPUT_BYTES, RESERVED_NAMES, WorkerError,
  type ReleaseOutcome, type SpawnRequest, type WorkerInfo,
} from '../../lib/protocol';
import { isDirectory as isDir } from '../../lib/paths';
import type { RelayRouter, LocalAgentHandle } from '../router/types';
import type { WorkerRecordStore } from '../storage/types';
import { formatInjectedMessage } from '../relay-commands/injection';
import { createOutboxWatcher, type OutboxWatcher } from '../relay-commands/outbox';
import { writeWorkerMcpConfig } from '../mcp/worker-config';
import { logger } from '../logger';
import { resolveCli } from './presets';
import { createRelayBridge, type RelayBridge } from './relay-bridge';
import type { OutputSlice, ScreenSnapshot, SpawnContext, SpawnManagerApi, SpawnManagerEvents } from './types';
import { Worker } from './worker';

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
}

const SAVE_THROTTLE_MS = 500;

export class SpawnManager extends EventEmitter implements SpawnManagerApi {
  private readonly workers = new Map<string, Worker>();
  private readonly handles = new Map<string, LocalAgentHandle>();
  private readonly reserved = new Set<string>();
  private readonly saveTimers = new Map<string, NodeJS.Timeout>();
  private readonly policy: Required<Omit<SpawnPolicy, 'allowedClis'>> & { allowedClis?: string[] };
  private readonly bridge: RelayBridge;
  private readonly outbox: OutboxWatcher | undefined;
  private shuttingDown = false;

  constructor(private readonly options: SpawnManagerOptions) {
    super();
    this.policy = {
      maxWorkers: options.policy?.maxWorkers ?? 32,
      allowNestedSpawn: options.policy?.allowNestedSpawn ?? true,
      releaseGraceMs: options.policy?.releaseGraceMs ?? 5000,
      allowedClis: options.policy?.allowedClis,
    };
    mkdirSync(this.logsDir, { recursive: true });
    mkdirSync(this.outboxRoot, { recursive: true });
    this.bridge = createRelayBridge({
      router: options.router,
      outboxRoot: this.outboxRoot,
      spawn: (req, ctx) => this.spawn(req, ctx),
      release: (name, opts) => this.release(name, opts),
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

  /** After a restart the processes are gone: every record not exited is marked exited; all stay listed. */
  private loadRecords(): void {
    let records: WorkerInfo[] = [];
    try {
      records = this.options.store.loadWorkers();
    } catch (err) {
      logger.warn({ err }, 'worker records could not be loaded');
    }
    for (const record of records) {
      const info: WorkerInfo = { ...record };
      if (info.status !== 'exited') {
        info.status = 'exited';
        info.exitedAt ??= Date.now();
        info.exitCode ??= null;
        info.signal ??= null;
        this.options.store.saveWorker(info);
      }
      const logPath = this.logPathOf(info.name);
      const bytes = existsSync(logPath) ? statSync(logPath).size : 0;
      info.outputBytes = bytes;
      this.workers.set(info.name, new Worker({ info, file: '', args: [], env: {}, logPath }, bytes));
    }
  }

  private logPathOf(name: string): string {
    return join(this.logsDir, `${name}.log`);
  }

  async spawn(request: SpawnRequest, context: SpawnContext = {}): Promise<WorkerInfo> {
    const name = request.name;
    const problem = describeNameProblem(name);
    if (problem) throw new WorkerError('INVALID_NAME', problem, 'name');
    if (RESERVED_NAMES.has(name)) throw new WorkerError('INVALID_NAME', `"${name}" is reserved for the relay itself; choose another name.`, 'name');
    if (this.reserved.has(name) || this.workers.get(name)?.isLive()) {
      throw new WorkerError('NAME_TAKEN', `A worker named "${name}" is already running; choose another name or release it first.`, 'name');
    }
    if (this.shuttingDown) throw new WorkerError('POLICY_DENIED', 'The relay is shutting down and does not start new workers.');
    const fromWorker = context.fromWorker || (context.requester ? (this.workers.get(context.requester)?.isLive() ?? false) : false);
    if (fromWorker && !this.policy.allowNestedSpawn) {
      throw new WorkerError('POLICY_DENIED', `Workers may not spawn workers here (policy allowNestedSpawn is off); "${context.requester}" asked for "${name}".`);
    }
    if (this.policy.allowedClis && !this.policy.allowedClis.includes(request.cli)) {
      throw new WorkerError('POLICY_DENIED', `"${request.cli}" is not in the allowed CLIs (${this.policy.allowedClis.join(', ') || 'none'}).`, 'cli');
    }
    const live = [...this.workers.values()].filter((w) => w.isLive()).length + this.reserved.size;
    if (live >= this.policy.maxWorkers) {
      throw new WorkerError('LIMIT_REACHED', `${live} workers are running, the limit is ${this.policy.maxWorkers}; release one first.`);
    }
    const cwd = resolve(this.options.projectRoot, request.cwd ?? '.');
    if (!isDir(cwd)) {
      throw new WorkerError('BAD_CWD', `The working directory ${cwd} does not exist or is not a directory.`, 'cwd');
    }
    const spawnerName = context.trusted ? (request.spawnerName ?? context.requester) : (context.requester ?? request.spawnerName);
    const outboxDir = join(this.outboxRoot, name);
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...process.env, ...request.env })) if (v !== undefined) env[k] = v;
    Object.assign(env, {
      AGENT_RELAY_NAME: name,
      RELAY_AGENT_NAME: name,
      RELAY_SOCKET: this.options.socketPath,
      AGENT_RELAY_OUTBOX: outboxDir,
      AGENT_RELAY_SPAWNER: spawnerName ?? '',
      TERM: 'xterm-256color',
    });
    const resolved = resolveCli(request.cli, { args: request.args, interactive: request.interactive, model: request.model, cwd, env });
    // [mcp hook, added by the MCP engineer] CLIs that take a per-run MCP config (claude, codex) get
    // our server, so the agent can use relay tools; others are unchanged (server/mcp/worker-config.ts).
    const mcpLaunch = writeWorkerMcpConfig({ cli: request.cli, name, dataDir: this.options.dataDir, socketPath: this.options.socketPath, outboxDir, env });
    if (mcpLaunch) resolved.args = [...mcpLaunch.args, ...resolved.args];

    this.reserved.add(name);
    let worker: Worker;
    try {
      mkdirSync(outboxDir, { recursive: true });
      const info: WorkerInfo = {
        name, cli: request.cli, args: request.args ?? [], task: request.task ?? '',
        ...(request.team ? { team: request.team } : {}), ...(request.model ? { model: request.model } : {}),
        cwd, ...(spawnerName ? { spawnerName } : {}), spawnedAt: Date.now(), status: 'starting',
        taskDelivered: false, cols: request.cols ?? 120, rows: request.rows ?? 32, outputBytes: 0,
      };
      this.options.router.expectAgent(name);
      worker = new Worker({ info, file: resolved.file, args: resolved.args, env, politeExit: resolved.politeExit, logPath: this.logPathOf(name) });
    } catch (err) {
      this.options.router.forgetAgent(name);
      if (err instanceof WorkerError) throw err;
      throw new WorkerError('INTERNAL', `Could not start "${request.cli}": ${(err as Error).message}`, 'cli');
    } finally {
      this.reserved.delete(name);
    }
    this.workers.set(name, worker);
    this.wire(worker, request);
    this.saveNow(worker);
    this.emit('list', this.listWorkers());
    return worker.getInfo();
  }

  private wire(worker: Worker, request: SpawnRequest): void {
    const name = worker.name;
    worker.on('output', (chunk: Buffer, start: number) => this.emit('output', name, chunk, start));
    worker.on('status', () => {
      if (worker.status !== 'starting' && worker.isLive() && !this.handles.has(name)) this.attach(worker, request);
      this.emit('status', worker.getInfo());
      this.saveSoon(worker);
    });
    worker.on('exit', () => {
      this.handles.get(name)?.detach();
      this.handles.delete(name);
      const info = worker.getInfo();
      this.saveNow(worker);
      this.emit('status', info);
      this.emit('exit', info);
    });
    worker.on('command', (command) => void this.bridge.handle(name, command));
  }

  private attach(worker: Worker, request: SpawnRequest): void {
    const info = worker.getInfo();
    const handle = this.options.router.attachLocalAgent(
      worker.name,
      { cli: request.cli, task: request.task, team: request.team, model: request.model, pid: info.pid, parent: info.spawnerName, entityType: 'agent' },
      { deliver: (envelope) => worker.injection.enqueue(formatInjectedMessage(envelope)) },
    );
    this.handles.set(worker.name, handle);
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
    return outcome;
  }

  sendWorkerInput(name: string, data: string | Buffer): void {
    const worker = this.getLive(name);
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    if (size > MAX_INPUT_BYTES) {
      throw new WorkerError('INPUT_TOO_LARGE', `The input is ${size} bytes; send at most ${MAX_INPUT_BYTES} bytes per write.`, 'data');
    }
    worker.writeRaw(data);
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
    return this.get(name).output.read(since, maxBytes);
  }

  async snapshot(name: string): Promise<ScreenSnapshot> {
    return this.get(name).snapshot();
  }

  remove(name: string, options: { deleteLog?: boolean } = {}): void {
    const worker = this.get(name);
    if (worker.isLive()) throw new WorkerError('BAD_REQUEST', `Worker "${name}" is still running; release it before removing it.`, 'name');
    this.workers.delete(name);
    const t = this.saveTimers.get(name);
    if (t) clearTimeout(t);
    this.saveTimers.delete(name);
    this.options.store.deleteWorker(name);
    this.options.router.forgetAgent(name);
    if (options.deleteLog) void unlink(this.logPathOf(name)).catch(() => {});
    this.emit('list', this.listWorkers());
  }

  async releaseAll(): Promise<void> {
    this.shuttingDown = true;
    this.outbox?.close();
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
