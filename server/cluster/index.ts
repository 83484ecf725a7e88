import { randomBytes } from 'node:crypto';
import type { Router } from '../router/router';
import type { SpawnManagerApi } from '../spawn/types';
import { logger } from '../logger';
import { MessageBridge } from './bridge';
import { ClusterWorkers } from './cluster-workers';
import { ClusterDrivers } from './drivers';
import type { ClusterConfig } from './config';
import { connectCluster, type ClusterConnection } from './connection';
import { Directory, type NodeView } from './directory';
import { NatsRemoteWorkers } from './remote-workers';
import { WorkerService } from './worker-service';

/**
 * This relay as a node of a cluster (docs/cluster.md). Loaded by server/index.ts only when a
 * cluster is configured, so a relay without one never loads NATS or attempts a connection.
 */

export { ClusterConfigError, resolveClusterConfig, type ClusterConfig, type ClusterFlags } from './config';
export { ClusterConnectError } from './connection';
export { NodeNameTakenError } from './directory';

export interface ClusterNode {
  node: string;
  cluster: string;
  /** The SpawnManagerApi every surface should use: local and remote workers. */
  workers: ClusterWorkers;
  /** Drive/watch across nodes: give it to the realtime layer (createRealtime's driverAuthority). */
  drivers: ClusterDrivers;
  directory: Directory;
  bridge: MessageBridge;
  connection: ClusterConnection;
  setDashboardUrl(url: string): void;
  status(): ClusterStatus;
  close(): Promise<void>;
}

export interface ClusterStatus {
  node: string;
  cluster: string;
  connected: boolean;
  server?: string;
  nodes: Array<Pick<NodeView, 'node' | 'reachable' | 'dashboardUrl' | 'version'>>;
  /** `batches`: JetStream messages that carried the `published` relay messages. */
  outbox: { published: number; batches: number; queuedBytes: number; retries: number; oversize: number };
  /** Live copies (decision 0014): sent from here; delivered, dropped (late or out of turn) and matched by their stream copy here. */
  live: { sent: number; delivered: number; dropped: number; matched: number };
}

export interface ClusterNodeOptions {
  config: ClusterConfig;
  router: Router;
  spawnManager: SpawnManagerApi;
  version: string;
  /** The data dir, when storage is on disk: the outbox is kept there too (cluster-outbox.db). */
  dataDir?: string;
}

export async function startClusterNode(options: ClusterNodeOptions): Promise<ClusterNode> {
  const { config, router, spawnManager, version } = options;
  const instance = randomBytes(8).toString('hex');
  const connection = await connectCluster(config);
  const undo: Array<() => Promise<void> | void> = [() => connection.close()];
  try {
    const directory = new Directory(connection, { node: config.node, instance, startedAt: Date.now(), version });
    await directory.start();
    undo.push(() => directory.close());
    // A crash left this node's agents marked online: nobody is connected to it yet.
    for (const a of directory.agents()) if (a.node === config.node && a.online) directory.putAgent({ ...a, online: false, at: Date.now() });
    const bridge = new MessageBridge(connection, directory, router, instance, options.dataDir);
    bridge.start();
    undo.push(() => bridge.close());
    const remote = new NatsRemoteWorkers(connection);
    const workers = new ClusterWorkers(spawnManager, remote, directory, connection);
    undo.push(() => workers.close());
    const drivers = new ClusterDrivers(connection, directory, spawnManager, remote);
    undo.push(() => drivers.close());
    const service = new WorkerService(connection, config.node, spawnManager, drivers);
    service.start();
    undo.push(() => service.close());
    // Reachable in others' eyes once requests to this node have a responder (the subscription is on the server).
    await connection.nc.flush();
    await directory.markServing();
    let connected = true;
    let server: string | undefined = connection.nc.getServer();
    void (async () => {
      for await (const s of connection.nc.status()) {
        if (s.type === 'disconnect') {
          connected = false;
          logger.warn({ server: s.server }, 'cluster: NATS connection lost; serving locally and reconnecting');
        } else if (s.type === 'reconnect') {
          connected = true;
          server = s.server;
          logger.info({ server: s.server }, 'cluster: NATS connection back');
        }
      }
    })().catch(() => undefined);
    logger.info({ node: config.node, cluster: config.cluster, server }, 'cluster: joined');
    let closing: Promise<void> | undefined;
    return {
      node: config.node,
      cluster: config.cluster,
      workers,
      drivers,
      directory,
      bridge,
      connection,
      setDashboardUrl(url) {
        directory.self.dashboardUrl = url;
      },
      status() {
        const stats = bridge.stats();
        const out = stats.outbox;
        return {
          node: config.node,
          cluster: config.cluster,
          connected,
          server,
          nodes: directory.nodes().map((n) => ({ node: n.node, reachable: n.reachable, dashboardUrl: n.dashboardUrl, version: n.version })),
          outbox: { published: out.published, batches: out.batches, queuedBytes: out.queuedBytes, retries: out.retries, oversize: out.oversize },
          live: stats.live,
        };
      },
      close: () =>
        (closing ??= (async () => {
          for (const step of undo.splice(0).reverse()) {
            try {
              await step();
            } catch (err) {
              logger.warn({ err }, 'cluster: error while leaving');
            }
          }
        })()),
    };
  } catch (err) {
    for (const step of undo.splice(0).reverse()) await Promise.resolve(step()).catch(() => undefined);
    throw err;
  }
}
