import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startClusterNode, type ClusterNode } from '../../server/cluster';
import { startDaemonServer, type DaemonServer } from '../../server/daemon';
import { createRouter, type Router } from '../../server/router';
import { createSpawnManager } from '../../server/spawn';
import type { SpawnManager } from '../../server/spawn/spawn-manager';
import { openStorage, type Storage } from '../../server/storage';

/**
 * One relay node as `up --cluster` builds it (server/index.ts), without the Next dashboard:
 * SQLite storage, router, SpawnManager, cluster node, and the Unix-socket daemon serving the
 * cluster's SpawnManagerApi. In a temp project of its own.
 */

export interface NodeStack {
  node: string;
  project: string;
  socketPath: string;
  storage: Storage;
  router: Router;
  spawnManager: SpawnManager;
  /** Absent with noCluster. */
  cluster: ClusterNode;
  daemon: DaemonServer;
  stop(options?: { keepDir?: boolean }): Promise<void>;
}

export interface NodeStackOptions {
  servers: string[];
  node: string;
  clusterName?: string;
  project?: string;
  maxWorkers?: number;
  /** The nested spawning policy (default on, as SpawnManager's). */
  allowNestedSpawn?: boolean;
  credsFile?: string;
  tokenFile?: string;
  tlsCaFile?: string;
  /** A plain relay, not a node (the single-node baseline of the bench). */
  noCluster?: boolean;
}

export async function startNodeStack(options: NodeStackOptions): Promise<NodeStack> {
  const project = options.project ?? mkdtempSync(join(tmpdir(), `relay-node-${options.node}-`));
  const dataDir = join(project, '.agent-relay');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const socketPath = join(dataDir, 'relay.sock');
  const storage = openStorage({ driver: 'sqlite', dataDir });
  const router = createRouter({ storage });
  const spawnManager = createSpawnManager({
    router, store: storage, projectRoot: project, dataDir, socketPath,
    policy: {
      releaseGraceMs: 2000,
      ...(options.maxWorkers !== undefined ? { maxWorkers: options.maxWorkers } : {}),
      ...(options.allowNestedSpawn !== undefined ? { allowNestedSpawn: options.allowNestedSpawn } : {}),
    },
  }) as SpawnManager;
  let cluster: ClusterNode | undefined;
  if (options.noCluster) {
    const daemon = await startDaemonServer({ socketPath, router, storage, spawnManager });
    return {
      node: options.node, project, socketPath, storage, router, spawnManager, cluster: undefined as unknown as ClusterNode, daemon,
      async stop({ keepDir = false } = {}) {
        await spawnManager.releaseAll().catch(() => undefined);
        await daemon.close();
        router.close();
        storage.close();
        if (!keepDir) rmSync(project, { recursive: true, force: true });
      },
    };
  }
  try {
    cluster = await startClusterNode({
      config: {
        servers: options.servers, node: options.node, cluster: options.clusterName ?? 'test',
        credsFile: options.credsFile, tokenFile: options.tokenFile, tlsCaFile: options.tlsCaFile, source: 'test',
      },
      router, spawnManager, version: 'test', dataDir,
    });
  } catch (err) {
    await spawnManager.releaseAll();
    router.close();
    storage.close();
    throw err;
  }
  const node = cluster;
  const daemon = await startDaemonServer({ socketPath, router, storage, spawnManager: node.workers, statusExtras: () => ({ cluster: node.status() }) });
  let stopping: Promise<void> | undefined;
  return {
    node: options.node, project, socketPath, storage, router, spawnManager, cluster: node, daemon,
    stop: ({ keepDir = false } = {}) =>
      (stopping ??= (async () => {
        await spawnManager.releaseAll().catch(() => undefined);
        await daemon.close();
        await node.close();
        router.close();
        storage.close();
        if (!keepDir) rmSync(project, { recursive: true, force: true });
      })()),
  };
}

/** Resolves once `on` counts `node` reachable (its heartbeat heard, serving worker requests). */
export async function seesNode(on: NodeStack, node: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!on.cluster.directory.isReachable(node)) {
    if (Date.now() > deadline) throw new Error(`${on.node} never saw node ${node} reachable`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
