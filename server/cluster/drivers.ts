import type { Subscription } from '@nats-io/transport-node';
import { z } from 'zod';
import { logger } from '../logger';
import type { DriverAction, DriverAuthority, Drivers } from '../realtime/drivers';
import type { SpawnManagerApi } from '../spawn/types';
import type { ClusterConnection } from './connection';
import type { Directory } from './directory';
import type { RemoteWorkerAccess } from './remote-workers';

/**
 * Drive/watch across nodes (docs/cluster.md, Remote panes): the node that runs a worker keeps its
 * driver, for its own viewers and every other node's. Requests go to it as `drive` worker
 * operations; each change is published on `drv.<owner>`, and every node's Drivers mirrors it for
 * its viewers. A node without a dashboard keeps the seat in a plain table.
 */

const ChangeSchema = z.object({ name: z.string(), driver: z.string().nullable() });

export class ClusterDrivers implements DriverAuthority {
  private drivers: Drivers | undefined;
  /** The seats of this node's workers when it has no dashboard (no Drivers bound). */
  private readonly table = new Map<string, string>();
  private sub: Subscription | undefined;

  constructor(
    private readonly conn: ClusterConnection,
    private readonly directory: Directory,
    private readonly local: SpawnManagerApi,
    private readonly remote: RemoteWorkerAccess,
  ) {}

  get node(): string {
    return this.directory.node;
  }

  isRemote(name: string): boolean {
    if (this.local.getWorker(name)) return false;
    const record = this.directory.worker(name);
    return Boolean(record && record.node !== this.node);
  }

  request(name: string, viewer: string, action: DriverAction): Promise<string | null> {
    const owner = this.directory.worker(name)?.node;
    if (!owner) return Promise.resolve(null);
    return this.remote.drive(owner, name, viewer, action);
  }

  changed(name: string, driver: string | null): void {
    try {
      this.conn.nc.publish(this.conn.names.drivers(this.node), JSON.stringify({ name, driver }));
    } catch (err) {
      logger.debug({ err, worker: name }, 'cluster: could not announce a driver change');
    }
  }

  bind(drivers: Drivers): void {
    this.drivers = drivers;
    this.sub ??= this.conn.nc.subscribe(this.conn.names.allDrivers, {
      callback: (err, msg) => {
        if (err || msg.subject === this.conn.names.drivers(this.node)) return;
        const parsed = ChangeSchema.safeParse(safeJson(msg.data));
        if (parsed.success && this.isRemote(parsed.data.name)) this.drivers?.fromOwner(parsed.data.name, parsed.data.driver);
      },
    });
  }

  /** A `drive` operation from another node for one of this node's workers: who drives now. */
  apply(name: string, viewer: string, action: DriverAction): string | null {
    if (this.drivers) return this.drivers.applyRemote(name, viewer, action);
    const current = this.table.get(name);
    if (action === 'claim' && !current) this.table.set(name, viewer);
    else if (action === 'take') this.table.set(name, viewer);
    else if (action === 'leave' && current === viewer) this.table.delete(name);
    const now = this.table.get(name) ?? null;
    if (now !== (current ?? null)) this.changed(name, now);
    return now;
  }

  /** Who drives `name` as this node knows it (tests, diagnostics). */
  current(name: string): string | null {
    return this.drivers ? this.drivers.get(name) : (this.table.get(name) ?? null);
  }

  close(): void {
    this.sub?.unsubscribe();
  }
}

function safeJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    return undefined;
  }
}
