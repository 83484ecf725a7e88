import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import type { KvEntry, KvWatchEntry } from '@nats-io/kv';
import { AgentRecordSchema, NodeRecordSchema, WorkerRecordSchema, type AgentRecord, type NodeRecord, type WorkerInfo, type WorkerRecord } from '../../lib/protocol';

export type { AgentRecord, NodeRecord, WorkerRecord } from '../../lib/protocol';
import { logger } from '../logger';
import type { ClusterConnection } from './connection';
import { decodeName, encodeName } from './names';

/**
 * The cluster's directory (docs/cluster.md, Directory): nodes with heartbeats, agents with their
 * node and presence, workers with their node. One KV bucket; every node watches all of it and keeps
 * a mirror, so lists are answered without a round trip. Writes are write-behind: the latest value of
 * a key is kept until NATS took it, so a dropped connection delays them and loses none.
 */

export const HEARTBEAT_MS = 2_000;
/** Not heard from for this long: unreachable. Checked every second, so shown within 10 s. */
export const UNREACHABLE_AFTER_MS = 6_000;
/** A node record younger than this belongs to a live node: its name is taken. */
export const LIVE_NODE_MS = 10_000;
const WORKER_WRITE_MS = 250;
const RETRY_MS = 1_000;

export interface NodeView extends NodeRecord {
  reachable: boolean;
  lastHeard: number;
}

export interface DirectoryEvents {
  /** An agent's record changed (presence, node), or its node's reachability did. */
  agent: (name: string) => void;
  /** A worker's record changed, appeared or went (undefined). */
  worker: (name: string, record: WorkerRecord | undefined) => void;
  node: (node: string, reachable: boolean) => void;
}

export class NodeNameTakenError extends Error {}

export class Directory extends EventEmitter {
  private readonly nodeRecords = new Map<string, NodeRecord>();
  private readonly lastHeard = new Map<string, number>();
  private readonly reachable = new Map<string, boolean>();
  private readonly agentRecords = new Map<string, AgentRecord>();
  private readonly workerRecords = new Map<string, WorkerRecord>();
  /** Write-behind: key → value to put (null: delete). */
  private readonly pendingWrites = new Map<string, string | null>();
  /** Keys whose pending value may only replace a record of this node (an agent going offline here). */
  private readonly onlyIfOwn = new Set<string>();
  private writing = false;
  private writeTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private checkTimer: NodeJS.Timeout | undefined;
  private watcher: { stop(): void } | undefined;
  private closed = false;
  readonly self: NodeRecord;

  constructor(
    private readonly conn: ClusterConnection,
    self: Omit<NodeRecord, 'host' | 'pid'>,
  ) {
    super();
    this.self = { ...self, host: hostname(), pid: process.pid, serving: false };
  }

  get node(): string {
    return this.self.node;
  }

  /** Claim the node name, load the mirror, start heartbeats. Throws NodeNameTakenError. */
  async start(): Promise<void> {
    const key = `node.${encodeName(this.node)}`;
    const existing = await this.conn.kv.get(key);
    if (existing && existing.operation === 'PUT') {
      const other = NodeRecordSchema.safeParse(safeJson(existing));
      const age = Date.now() - existing.created.getTime();
      if (other.success && other.data.instance !== this.self.instance && age < LIVE_NODE_MS && !sameHostDeadProcess(other.data)) {
        throw new NodeNameTakenError(
          `The node name "${this.node}" is held by a live node (host ${other.data.host}, pid ${other.data.pid}, heard from ${Math.round(age / 1000)} s ago). Choose another with --node, or stop that relay.`,
        );
      }
    }
    await this.conn.kv.put(key, JSON.stringify(this.self));
    await this.loadAndWatch();
    this.heartbeatTimer = setInterval(() => this.write(key, JSON.stringify(this.self)), HEARTBEAT_MS).unref();
    this.checkTimer = setInterval(() => this.checkReachability(), 1_000).unref();
  }

  /**
   * This node answers worker requests now (its WorkerService subscribed): say so, so that other
   * nodes count it reachable only from here on, not from the moment it claimed its name.
   */
  async markServing(): Promise<void> {
    this.self.serving = true;
    await this.conn.kv.put(`node.${encodeName(this.node)}`, JSON.stringify(this.self));
  }

  // ---- reads (the mirror) ----

  nodes(): NodeView[] {
    return [...this.nodeRecords.values()].map((r) => ({ ...r, reachable: this.isReachable(r.node), lastHeard: this.lastHeard.get(r.node) ?? 0 }));
  }

  hasNode(node: string): boolean {
    return this.nodeRecords.has(node);
  }

  isReachable(node: string): boolean {
    if (node === this.node) return true;
    return this.reachable.get(node) ?? false;
  }

  agent(name: string): AgentRecord | undefined {
    return this.agentRecords.get(name);
  }

  /** Online on its node, and that node is heard from. */
  isOnline(record: AgentRecord): boolean {
    return record.online && this.isReachable(record.node);
  }

  agents(): AgentRecord[] {
    return [...this.agentRecords.values()];
  }

  worker(name: string): WorkerRecord | undefined {
    return this.workerRecords.get(name);
  }

  workers(): WorkerRecord[] {
    return [...this.workerRecords.values()];
  }

  // ---- writes (this node's entries only) ----

  putAgent(record: Omit<AgentRecord, 'node'>): void {
    const full: AgentRecord = { ...record, node: this.node };
    const key = `agent.${encodeName(record.name)}`;
    if (!record.online) {
      // Gone from here: say so only if the directory still has it here. When it already connected
      // to another node (it moved), that node's record stands (a late offline must not undo it).
      const current = this.agentRecords.get(record.name);
      if (current && current.node !== this.node) return;
      this.onlyIfOwn.add(key);
    } else this.onlyIfOwn.delete(key);
    this.agentRecords.set(record.name, full);
    this.write(key, JSON.stringify(full));
  }

  deleteAgent(name: string): void {
    const current = this.agentRecords.get(name);
    if (current && current.node !== this.node) return;
    this.agentRecords.delete(name);
    this.write(`agent.${encodeName(name)}`, null);
  }

  putWorker(info: WorkerInfo): void {
    const record: WorkerRecord = { node: this.node, info };
    this.workerRecords.set(info.name, record);
    this.write(`worker.${encodeName(info.name)}`, JSON.stringify(record), WORKER_WRITE_MS);
  }

  deleteWorker(name: string): void {
    const current = this.workerRecords.get(name);
    if (current && current.node !== this.node) return;
    this.workerRecords.delete(name);
    this.write(`worker.${encodeName(name)}`, null);
  }

  /** Write what is pending now (tests, shutdown). */
  async flush(): Promise<void> {
    if (this.writeTimer) clearTimeout(this.writeTimer);
    this.writeTimer = undefined;
    await this.drainWrites();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.checkTimer) clearInterval(this.checkTimer);
    await this.flush().catch(() => undefined);
    this.closed = true;
    if (this.writeTimer) clearTimeout(this.writeTimer);
    this.watcher?.stop();
  }

  // ---- internals ----

  private write(key: string, value: string | null, delayMs = 0): void {
    if (this.closed) return;
    this.pendingWrites.set(key, value);
    if (this.writing) return;
    if (delayMs === 0) {
      if (this.writeTimer) clearTimeout(this.writeTimer);
      this.writeTimer = undefined;
      void this.drainWrites();
    } else {
      this.writeTimer ??= setTimeout(() => {
        this.writeTimer = undefined;
        void this.drainWrites();
      }, delayMs);
    }
  }

  private async drainWrites(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.pendingWrites.size > 0 && !this.closed) {
        const [key, value] = this.pendingWrites.entries().next().value as [string, string | null];
        this.pendingWrites.delete(key);
        try {
          if (value === null) await this.conn.kv.delete(key);
          else if (this.onlyIfOwn.has(key)) await this.putIfOwn(key, value);
          else await this.conn.kv.put(key, value);
          if (!this.pendingWrites.has(key)) this.onlyIfOwn.delete(key);
        } catch (err) {
          // Not lost: put back unless a newer value came meanwhile, and tried again shortly.
          if (!this.pendingWrites.has(key)) this.pendingWrites.set(key, value);
          logger.debug({ err, key }, 'cluster: directory write failed; retrying');
          this.writeTimer ??= setTimeout(() => {
            this.writeTimer = undefined;
            void this.drainWrites();
          }, RETRY_MS);
          return;
        }
      }
    } finally {
      this.writing = false;
    }
  }

  /** Compare-and-set: replace the record only while it is this node's (another node's newer one stays). */
  private async putIfOwn(key: string, value: string): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const entry = await this.conn.kv.get(key);
      if (!entry || entry.operation !== 'PUT') {
        await this.conn.kv.create(key, value).catch(() => undefined);
        return;
      }
      const node = (safeJson(entry) as { node?: unknown } | undefined)?.node;
      if (node !== this.node) {
        // Another node holds it now: keep the mirror on that one.
        const parsed = AgentRecordSchema.safeParse(safeJson(entry));
        if (parsed.success) {
          this.agentRecords.set(parsed.data.name, parsed.data);
          this.emit('agent', parsed.data.name);
        }
        return;
      }
      try {
        await this.conn.kv.update(key, value, entry.revision);
        return;
      } catch {
        // Changed between the read and the write: look again.
      }
    }
  }

  private async loadAndWatch(): Promise<void> {
    const status = await this.conn.kv.status();
    const iter = await this.conn.kv.watch({ key: '>' });
    this.watcher = iter;
    let loaded!: () => void;
    const initial = new Promise<void>((resolve) => (loaded = resolve));
    if (status.values === 0) loaded();
    void (async () => {
      try {
        for await (const entry of iter) {
          this.apply(entry);
          if (!entry.isUpdate && (entry.delta ?? 0) === 0) loaded();
          if (entry.isUpdate) loaded();
        }
      } catch (err) {
        if (!this.closed) logger.warn({ err }, 'cluster: directory watch ended');
      }
    })();
    await Promise.race([initial, new Promise((r) => setTimeout(r, 5_000).unref())]);
  }

  private apply(entry: KvWatchEntry): void {
    const dot = entry.key.indexOf('.');
    const kind = entry.key.slice(0, dot);
    const name = decodeName(entry.key.slice(dot + 1));
    const deleted = entry.operation !== 'PUT';
    if (kind === 'node') {
      if (deleted) {
        this.nodeRecords.delete(name);
        this.lastHeard.delete(name);
        return;
      }
      const parsed = NodeRecordSchema.safeParse(safeJson(entry));
      if (!parsed.success) return this.malformed(entry);
      this.nodeRecords.set(name, parsed.data);
      // A value from before this node watched was written at `created` (server clock); an update is heard now.
      this.lastHeard.set(name, entry.isUpdate ? Date.now() : Math.min(Date.now(), entry.created.getTime()));
      this.checkReachability();
    } else if (kind === 'agent') {
      const own = this.agentRecords.get(name);
      if (deleted) {
        if (own?.node === this.node) return;
        this.agentRecords.delete(name);
      } else {
        const parsed = AgentRecordSchema.safeParse(safeJson(entry));
        if (!parsed.success) return this.malformed(entry);
        // This node's own records are authoritative here (a late echo must not undo a newer local change).
        if (parsed.data.node === this.node && own) return;
        this.agentRecords.set(name, parsed.data);
      }
      this.emit('agent', name);
    } else if (kind === 'worker') {
      const own = this.workerRecords.get(name);
      if (deleted) {
        if (own?.node === this.node) return;
        this.workerRecords.delete(name);
        this.emit('worker', name, undefined);
        return;
      }
      const parsed = WorkerRecordSchema.safeParse(safeJson(entry));
      if (!parsed.success) return this.malformed(entry);
      if (parsed.data.node === this.node) return;
      this.workerRecords.set(name, parsed.data);
      this.emit('worker', name, parsed.data);
    }
  }

  /** An entry no node of ours would write: ignored, and said (docs/cluster.md, Security and threat model). */
  private malformed(entry: KvWatchEntry): void {
    logger.warn({ key: entry.key, revision: entry.revision }, 'cluster: ignored a malformed directory entry');
  }

  private checkReachability(): void {
    const now = Date.now();
    for (const node of this.nodeRecords.keys()) {
      if (node === this.node) continue;
      const reachable = now - (this.lastHeard.get(node) ?? 0) < UNREACHABLE_AFTER_MS && this.nodeRecords.get(node)?.serving !== false;
      if (this.reachable.get(node) === reachable) continue;
      this.reachable.set(node, reachable);
      this.emit('node', node, reachable);
      for (const agent of this.agentRecords.values()) if (agent.node === node) this.emit('agent', agent.name);
      for (const worker of this.workerRecords.values()) if (worker.node === node) this.emit('worker', worker.info.name, worker);
    }
  }
}

function safeJson(entry: KvEntry): unknown {
  try {
    return entry.json();
  } catch {
    return undefined;
  }
}

/** A record left by a relay on this very host whose process is gone (a crash): its name is free. */
function sameHostDeadProcess(record: NodeRecord): boolean {
  if (record.host !== hostname()) return false;
  try {
    process.kill(record.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export interface Directory {
  on<E extends keyof DirectoryEvents>(event: E, listener: DirectoryEvents[E]): this;
  off<E extends keyof DirectoryEvents>(event: E, listener: DirectoryEvents[E]): this;
  emit<E extends keyof DirectoryEvents>(event: E, ...args: Parameters<DirectoryEvents[E]>): boolean;
}
