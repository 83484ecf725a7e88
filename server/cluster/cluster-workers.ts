import { EventEmitter } from 'node:events';
import type { Subscription } from '@nats-io/transport-node';
import { WorkerError, type InjectAction, type InjectionState, type ReleaseOutcome, type SpawnRequest, type WorkerInfo } from '../../lib/protocol';
import { logger } from '../logger';
import type { OutputSlice, ScreenSnapshot, SpawnContext, SpawnManagerApi, SpawnManagerEvents, SpawnResolution } from '../spawn/types';
import type { ClusterConnection } from './connection';
import type { Directory, WorkerRecord } from './directory';
import type { RemoteWorkerAccess } from './remote-workers';
import { WATCH_RENEW_MS } from './worker-service';
import { decodeChunk } from './worker-wire';

/**
 * The SpawnManagerApi of a cluster node (docs/cluster.md, Workers on any node): this node's
 * SpawnManager for its own workers, RemoteWorkerAccess for the others', one list from both (every
 * WorkerInfo carries `node`). Every surface (protocol, HTTP, socket.io, CLI, MCP) keeps calling one
 * object. Remote workers' events come from the directory; their live output from a watch lease.
 */

interface Watch {
  node: string;
  sub: Subscription;
  renew: NodeJS.Timeout;
}

export class ClusterWorkers extends EventEmitter implements SpawnManagerApi {
  private readonly watches = new Map<string, Watch>();
  private remoteNames = new Set<string>();
  private readonly forwarders: Array<[keyof SpawnManagerEvents, (...args: never[]) => void]>;
  private readonly onDirectoryWorker = (name: string, record: WorkerRecord | undefined) => this.remoteChanged(name, record);

  constructor(
    private readonly local: SpawnManagerApi,
    private readonly remote: RemoteWorkerAccess,
    private readonly directory: Directory,
    private readonly conn: ClusterConnection,
  ) {
    super();
    this.setMaxListeners(0);
    const withNode = (info: WorkerInfo): WorkerInfo => ({ ...info, node: this.node });
    this.forwarders = [
      ['output', (name: string, chunk: Buffer, start: number) => this.emit('output', name, chunk, start)],
      ['status', (info: WorkerInfo) => {
        this.directory.putWorker(info);
        this.emit('status', withNode(info));
      }],
      ['exit', (info: WorkerInfo) => {
        this.directory.putWorker(info);
        this.emit('exit', withNode(info));
      }],
      ['list', (workers: WorkerInfo[]) => {
        this.publishLocal(workers);
        this.emit('list', this.listWorkers());
      }],
    ];
    for (const [event, fn] of this.forwarders) local.on(event, fn as never);
    directory.on('worker', this.onDirectoryWorker);
    // A worker's own ->relay:release of a worker on another node goes to that node, like any surface's.
    local.routeCommandsThrough?.(this);
    this.publishLocal(local.listWorkers());
    this.remoteNames = new Set(this.remoteRecords().map((r) => r.info.name));
  }

  get node(): string {
    return this.directory.node;
  }

  close(): void {
    this.local.routeCommandsThrough?.(this.local);
    for (const [event, fn] of this.forwarders) this.local.off(event, fn as never);
    this.directory.off('worker', this.onDirectoryWorker);
    for (const name of [...this.watches.keys()]) this.watchOutput(name, false);
  }

  // ---- SpawnManagerApi ----

  async spawn(request: SpawnRequest, context?: SpawnContext): Promise<WorkerInfo> {
    const { node: target = this.node, ...rest } = request;
    const held = this.directory.worker(rest.name);
    if (held && held.node !== this.node) {
      throw new WorkerError('NAME_TAKEN', `A worker named "${rest.name}" exists on node ${held.node}; worker names are unique in the cluster. Choose another name, or remove that one first.`, 'name');
    }
    if (target === this.node) return { ...(await this.local.spawn(rest, context)), node: this.node };
    this.checkNode(target);
    return { ...(await this.remote.spawn(target, rest, this.originOf(context))), node: target };
  }

  resolve(request: SpawnRequest, context?: SpawnContext): SpawnResolution | Promise<SpawnResolution> {
    const { node: target = this.node, ...rest } = request;
    if (target === this.node) return this.local.resolve(rest, context);
    this.checkNode(target);
    return this.remote.resolve(target, rest, this.originOf(context));
  }

  async release(name: string, options?: { force?: boolean; reason?: string }): Promise<ReleaseOutcome> {
    const owner = this.ownerOf(name);
    return owner === this.node ? this.local.release(name, options) : this.remote.release(owner, name, options);
  }

  sendWorkerInput(name: string, data: string | Buffer): void | Promise<void> {
    const owner = this.ownerOf(name);
    if (owner === this.node) return this.local.sendWorkerInput(name, data);
    return this.remote.sendInput(owner, name, typeof data === 'string' ? data : data.toString('utf8'));
  }

  setInjectMode(name: string, action: InjectAction): { injection: InjectionState; flushed: number } | Promise<{ injection: InjectionState; flushed: number }> {
    const owner = this.ownerOf(name);
    return owner === this.node ? this.local.setInjectMode(name, action) : this.remote.setInjectMode(owner, name, action);
  }

  resize(name: string, cols: number, rows: number): void | Promise<void> {
    const owner = this.ownerOf(name);
    return owner === this.node ? this.local.resize(name, cols, rows) : this.remote.resize(owner, name, cols, rows);
  }

  listWorkers(): WorkerInfo[] {
    const local: WorkerInfo[] = this.local.listWorkers().map((w) => ({ ...w, node: this.node }));
    const names = new Set(local.map((w) => w.name));
    for (const r of this.remoteRecords()) if (!names.has(r.info.name)) local.push(this.remoteInfo(r));
    return local;
  }

  getWorker(name: string): WorkerInfo | undefined {
    const info = this.local.getWorker(name);
    if (info) return { ...info, node: this.node };
    const record = this.directory.worker(name);
    return record && record.node !== this.node ? this.remoteInfo(record) : undefined;
  }

  readOutput(name: string, since: number, maxBytes?: number): Promise<OutputSlice> {
    const owner = this.ownerOf(name);
    return owner === this.node ? this.local.readOutput(name, since, maxBytes) : this.remote.readOutput(owner, name, since, maxBytes);
  }

  snapshot(name: string): Promise<ScreenSnapshot> {
    const owner = this.ownerOf(name);
    return owner === this.node ? this.local.snapshot(name) : this.remote.snapshot(owner, name);
  }

  remove(name: string, options?: { deleteLog?: boolean }): void | Promise<void> {
    const owner = this.ownerOf(name);
    return owner === this.node ? this.local.remove(name, options) : this.remote.remove(owner, name, options);
  }

  releaseAll(): Promise<void> {
    // This node's workers only: stopping one node leaves the others' running.
    return this.local.releaseAll();
  }

  /**
   * The realtime layer has viewers for `name` (or none any more). For a remote worker, hold a
   * watch lease on its owner and stream `out.<owner>.<name>` into the 'output' event, offsets and all.
   */
  watchOutput(name: string, watching: boolean): void {
    const current = this.watches.get(name);
    if (!watching) {
      if (!current) return;
      this.watches.delete(name);
      clearInterval(current.renew);
      current.sub.unsubscribe();
      this.remote.watch(current.node, name, this.node, false).catch(() => undefined);
      return;
    }
    if (current) return;
    const record = this.directory.worker(name);
    if (!record || record.node === this.node) return;
    const node = record.node;
    const sub = this.conn.nc.subscribe(this.conn.names.output(node, name), {
      callback: (err, msg) => {
        if (err) return;
        const decoded = decodeChunk(msg.data);
        if (decoded) this.emit('output', name, decoded.chunk, decoded.start);
      },
    });
    const lease = () =>
      this.remote.watch(node, name, this.node, true).catch((err) => logger.debug({ err, worker: name }, 'cluster: watch lease not renewed'));
    const renew = setInterval(lease, WATCH_RENEW_MS).unref();
    this.watches.set(name, { node, sub, renew });
    void lease();
  }

  // ---- internals ----

  /**
   * The owner decides whether a request comes from a worker (nested spawning policy) by looking the
   * requester up among its own workers; a worker of this node or a third one is not there, so say it
   * here, or a worker could spawn on a node whose policy forbids it by asking from elsewhere.
   */
  private originOf(context: SpawnContext | undefined): SpawnContext | undefined {
    const requester = context?.requester;
    if (!context || context.fromWorker || !requester) return context;
    const info = this.local.getWorker(requester) ?? this.directory.worker(requester)?.info;
    return info && info.status !== 'exited' ? { ...context, fromWorker: true } : context;
  }

  private ownerOf(name: string): string {
    if (this.local.getWorker(name)) return this.node;
    const record = this.directory.worker(name);
    if (!record || record.node === this.node) return this.node; // the local SpawnManager says NOT_FOUND in its words
    if (!this.directory.isReachable(record.node)) {
      throw new WorkerError('NODE_UNREACHABLE', `Worker "${name}" runs on node ${record.node}, which has not been heard from for a while; try again once it is reachable.`);
    }
    return record.node;
  }

  private checkNode(node: string): void {
    if (!this.directory.hasNode(node)) {
      const known = this.directory.nodes().map((n) => n.node).join(', ');
      throw new WorkerError('NO_SUCH_NODE', `No node named "${node}" is in this cluster (nodes: ${known || 'none'}).`);
    }
    if (!this.directory.isReachable(node)) throw new WorkerError('NODE_UNREACHABLE', `Node "${node}" has not been heard from for a while; try again once it is reachable.`);
  }

  private remoteRecords(): WorkerRecord[] {
    return this.directory.workers().filter((r) => r.node !== this.node);
  }

  private remoteInfo(record: WorkerRecord): WorkerInfo {
    return { ...record.info, node: record.node, nodeReachable: this.directory.isReachable(record.node) };
  }

  private publishLocal(workers: WorkerInfo[]): void {
    const names = new Set(workers.map((w) => w.name));
    for (const w of workers) this.directory.putWorker(w);
    for (const r of this.directory.workers()) if (r.node === this.node && !names.has(r.info.name)) this.directory.deleteWorker(r.info.name);
  }

  private remoteChanged(name: string, record: WorkerRecord | undefined): void {
    const known = this.remoteNames.has(name);
    if (record) {
      const info = this.remoteInfo(record);
      this.emit('status', info);
      if (info.status === 'exited') this.emit('exit', info);
      if (!known) {
        this.remoteNames.add(name);
        this.emit('list', this.listWorkers());
      }
    } else if (known) {
      this.remoteNames.delete(name);
      this.watchOutput(name, false);
      this.emit('list', this.listWorkers());
    }
  }
}

export interface ClusterWorkers {
  on<E extends keyof SpawnManagerEvents>(event: E, listener: SpawnManagerEvents[E]): this;
  off<E extends keyof SpawnManagerEvents>(event: E, listener: SpawnManagerEvents[E]): this;
}
