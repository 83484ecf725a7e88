import type { Subscription } from '@nats-io/transport-node';
import { WorkerError, toErrorReply } from '../../lib/protocol';
import { logger } from '../logger';
import type { SpawnManagerApi } from '../spawn/types';
import type { ClusterConnection } from './connection';
import { RpcRequestSchema, type RpcReply, type RpcRequest } from '../../lib/protocol';
import { encodeChunk } from './worker-wire';

/**
 * The owning node's side of worker operations from other nodes. Every request is parsed with the
 * same schemas as the local API and handed to this node's own SpawnManager, so validation, policy
 * and error codes are the local ones; its answer (or WorkerError) goes back as it is.
 */

/** A watch lease lasts this long unless renewed (the viewing node renews every WATCH_RENEW_MS). */
export const WATCH_LEASE_MS = 30_000;
export const WATCH_RENEW_MS = 10_000;

export class WorkerService {
  private sub: Subscription | undefined;
  /** worker → viewing node → lease expiry. */
  private readonly leases = new Map<string, Map<string, number>>();
  private readonly onOutput = (name: string, chunk: Buffer, start: number) => this.publishOutput(name, chunk, start);

  constructor(
    private readonly conn: ClusterConnection,
    private readonly node: string,
    private readonly workers: SpawnManagerApi,
    /** Drive/watch requests for this node's workers (server/cluster/drivers.ts). */
    private readonly drivers?: { apply(name: string, viewer: string, action: 'claim' | 'take' | 'leave'): string | null },
  ) {}

  start(): void {
    this.sub = this.conn.nc.subscribe(this.conn.names.rpc(this.node), {
      callback: (err, msg) => {
        if (err) return;
        void this.answer(msg.data).then((reply) => {
          try {
            msg.respond(JSON.stringify(reply));
          } catch (e) {
            logger.debug({ err: e }, 'cluster: could not answer a worker request');
          }
        });
      },
    });
    this.workers.on('output', this.onOutput);
  }

  close(): void {
    this.workers.off('output', this.onOutput);
    this.sub?.unsubscribe();
    this.leases.clear();
  }

  private async answer(data: Uint8Array): Promise<RpcReply> {
    let raw: unknown;
    try {
      raw = JSON.parse(Buffer.from(data).toString('utf8'));
    } catch {
      return { ok: false, error: { code: 'BAD_REQUEST', message: 'A worker request from another node was not JSON.' } };
    }
    const parsed = RpcRequestSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return { ok: false, error: { code: 'BAD_REQUEST', message: `Invalid worker request (${issue?.path.join('.') || 'payload'}: ${issue?.message ?? 'malformed'}).` } };
    }
    try {
      return { ok: true, result: await this.run(parsed.data) };
    } catch (err) {
      const { code, message } = toErrorReply(err);
      const reply: RpcReply = { ok: false, error: { code, message } };
      if (err instanceof WorkerError) {
        if (err.field) reply.error.field = err.field;
        if (err.files) reply.error.files = err.files;
        if (err.gap) reply.error.gap = err.gap;
      }
      return reply;
    }
  }

  private async run(req: RpcRequest): Promise<unknown> {
    const w = this.workers;
    switch (req.op) {
      case 'spawn': {
        const { node: _node, ...request } = req.request;
        return w.spawn(request, req.context);
      }
      case 'resolve': {
        const { node: _node, ...request } = req.request;
        return w.resolve(request, req.context);
      }
      case 'release':
        return w.release(req.name, { force: req.force, reason: req.reason });
      case 'input':
        await w.sendWorkerInput(req.name, req.data);
        return null;
      case 'inject':
        return w.setInjectMode(req.name, req.mode);
      case 'resize':
        await w.resize(req.name, req.cols, req.rows);
        return null;
      case 'read': {
        const slice = await w.readOutput(req.name, req.since, req.maxBytes);
        return { start: slice.start, end: slice.end, data: slice.data.toString('base64') };
      }
      case 'snapshot':
        return w.snapshot(req.name);
      case 'remove':
        await w.remove(req.name, { deleteLog: req.deleteLog });
        return null;
      case 'watch': {
        if (!w.getWorker(req.name)) throw new WorkerError('NOT_FOUND', `No worker named "${req.name}" on node ${this.node}.`, 'name');
        let byNode = this.leases.get(req.name);
        if (req.on) {
          if (!byNode) this.leases.set(req.name, (byNode = new Map()));
          byNode.set(req.viewer, Date.now() + WATCH_LEASE_MS);
        } else {
          byNode?.delete(req.viewer);
          if (byNode?.size === 0) this.leases.delete(req.name);
        }
        return { offset: w.getWorker(req.name)?.outputBytes ?? 0 };
      }
      case 'drive': {
        if (!w.getWorker(req.name)) throw new WorkerError('NOT_FOUND', `No worker named "${req.name}" on node ${this.node}.`, 'name');
        return { driver: this.drivers?.apply(req.name, req.viewer, req.action) ?? null };
      }
    }
  }

  private publishOutput(name: string, chunk: Buffer, start: number): void {
    const byNode = this.leases.get(name);
    if (!byNode) return;
    const now = Date.now();
    for (const [viewer, expiry] of byNode) if (expiry < now) byNode.delete(viewer);
    if (byNode.size === 0) {
      this.leases.delete(name);
      return;
    }
    try {
      this.conn.nc.publish(this.conn.names.output(this.node, name), encodeChunk(start, chunk));
    } catch (err) {
      // A viewer that misses a chunk sees the gap in the offsets and reads it (readOutput).
      logger.debug({ err, worker: name }, 'cluster: could not publish output');
    }
  }
}
