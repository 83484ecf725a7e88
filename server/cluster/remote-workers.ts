import { errors as natsErrors } from '@nats-io/transport-node';
import {
  WorkerError, type InjectAction, type InjectionState, type ReleaseOutcome, type SpawnRequest, type WorkerErrorCode, type WorkerInfo,
} from '../../lib/protocol';
import type { OutputSlice, ScreenSnapshot, SpawnContext, SpawnResolution } from '../spawn/types';
import type { ClusterConnection } from './connection';
import { RpcReplySchema, type RpcRequest } from '../../lib/protocol';

/**
 * Worker operations on another node (docs/cluster.md, Workers on any node). The async interface a
 * worker behind another process or machine needs; the SpawnManager's API (server/spawn/types.ts)
 * stands beside it, and ClusterWorkers joins the two. Failures are the owner's WorkerError, thrown
 * again here with its code, field, files and gap; an owner that does not answer is NODE_UNREACHABLE.
 */
export interface RemoteWorkerAccess {
  spawn(node: string, request: SpawnRequest, context?: SpawnContext): Promise<WorkerInfo>;
  resolve(node: string, request: SpawnRequest, context?: SpawnContext): Promise<SpawnResolution>;
  release(node: string, name: string, options?: { force?: boolean; reason?: string }): Promise<ReleaseOutcome>;
  sendInput(node: string, name: string, data: string): Promise<void>;
  setInjectMode(node: string, name: string, action: InjectAction): Promise<{ injection: InjectionState; flushed: number }>;
  resize(node: string, name: string, cols: number, rows: number): Promise<void>;
  readOutput(node: string, name: string, since: number, maxBytes?: number): Promise<OutputSlice>;
  snapshot(node: string, name: string): Promise<ScreenSnapshot>;
  remove(node: string, name: string, options?: { deleteLog?: boolean }): Promise<void>;
  /** Hold (on) or drop a lease on `name`'s live output for this node; resolves with its current end offset. */
  watch(node: string, name: string, viewer: string, on: boolean): Promise<{ offset: number }>;
  /** Drive/watch: a viewer (`node:socket`) claims, takes or leaves the seat; resolves with who drives now. */
  drive(node: string, name: string, viewer: string, action: 'claim' | 'take' | 'leave'): Promise<string | null>;
}

const TIMEOUT_MS = 10_000;
/** Spawning an agent CLI and a polite release can take a while on a loaded machine. */
const SLOW_TIMEOUT_MS = 60_000;

export class NatsRemoteWorkers implements RemoteWorkerAccess {
  constructor(private readonly conn: ClusterConnection) {}

  spawn(node: string, request: SpawnRequest, context?: SpawnContext): Promise<WorkerInfo> {
    return this.call(node, { op: 'spawn', request, context }, SLOW_TIMEOUT_MS) as Promise<WorkerInfo>;
  }

  resolve(node: string, request: SpawnRequest, context?: SpawnContext): Promise<SpawnResolution> {
    return this.call(node, { op: 'resolve', request, context }) as Promise<SpawnResolution>;
  }

  release(node: string, name: string, options: { force?: boolean; reason?: string } = {}): Promise<ReleaseOutcome> {
    return this.call(node, { op: 'release', name, ...options }, SLOW_TIMEOUT_MS) as Promise<ReleaseOutcome>;
  }

  async sendInput(node: string, name: string, data: string): Promise<void> {
    await this.call(node, { op: 'input', name, data });
  }

  setInjectMode(node: string, name: string, mode: InjectAction): Promise<{ injection: InjectionState; flushed: number }> {
    return this.call(node, { op: 'inject', name, mode }) as Promise<{ injection: InjectionState; flushed: number }>;
  }

  async resize(node: string, name: string, cols: number, rows: number): Promise<void> {
    await this.call(node, { op: 'resize', name, cols, rows });
  }

  async readOutput(node: string, name: string, since: number, maxBytes?: number): Promise<OutputSlice> {
    const r = (await this.call(node, { op: 'read', name, since, ...(maxBytes !== undefined ? { maxBytes } : {}) })) as { start: number; end: number; data: string };
    return { start: r.start, end: r.end, data: Buffer.from(r.data, 'base64') };
  }

  snapshot(node: string, name: string): Promise<ScreenSnapshot> {
    return this.call(node, { op: 'snapshot', name }) as Promise<ScreenSnapshot>;
  }

  async remove(node: string, name: string, options: { deleteLog?: boolean } = {}): Promise<void> {
    await this.call(node, { op: 'remove', name, ...options });
  }

  watch(node: string, name: string, viewer: string, on: boolean): Promise<{ offset: number }> {
    return this.call(node, { op: 'watch', name, viewer, on }) as Promise<{ offset: number }>;
  }

  async drive(node: string, name: string, viewer: string, action: 'claim' | 'take' | 'leave'): Promise<string | null> {
    const r = (await this.call(node, { op: 'drive', name, viewer, action })) as { driver: string | null };
    return r.driver;
  }

  private async call(node: string, request: RpcRequest, timeout = TIMEOUT_MS): Promise<unknown> {
    let reply;
    try {
      reply = await this.conn.nc.request(this.conn.names.rpc(node), JSON.stringify(request), { timeout });
    } catch (err) {
      const why = err instanceof natsErrors.NoRespondersError ? 'no node answers under that name' : err instanceof Error ? err.message : String(err);
      throw new WorkerError('NODE_UNREACHABLE', `Node "${node}" did not answer (${why}). It may be down or cut off from the cluster; try again once it shows as reachable.`);
    }
    let parsed;
    try {
      parsed = RpcReplySchema.parse(reply.json());
    } catch {
      throw new WorkerError('INTERNAL', `Node "${node}" sent an answer this node cannot read; are both running the same agent-relay version?`);
    }
    if (parsed.ok) return parsed.result;
    const e = parsed.error;
    throw new WorkerError(e.code as WorkerErrorCode, e.message, e.field as WorkerError['field'], e.files, e.gap);
  }
}
