import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemonServer, type DaemonServer } from '../../server/daemon';
import { createRouter, type Router } from '../../server/router';
import { createSpawnManager, type SpawnManager } from '../../server/spawn';
import { openStorage, type Storage } from '../../server/storage';

/** A real daemon on a Unix socket in a temp dir, started in-process for a test. */
export interface TestDaemon {
  dir: string;
  socketPath: string;
  server: DaemonServer;
  router: Router;
  storage: Storage;
  spawnManager?: SpawnManager;
  /** Stops the daemon but keeps the temp dir (so a restart can reuse its socket path and database). */
  stop(): Promise<void>;
  /** Stops and removes the temp dir. */
  close(): Promise<void>;
}

export interface TestDaemonOptions {
  dir?: string;
  storage?: 'memory' | 'sqlite';
  spawn?: boolean;
  redeliveryMs?: number;
  heartbeatMs?: number;
  heartbeatTimeoutMs?: number;
}

export async function startTestDaemon(options: TestDaemonOptions = {}): Promise<TestDaemon> {
  const dir = options.dir ?? realpathSync(mkdtempSync(join(tmpdir(), 'relay-daemon-')));
  const socketPath = join(dir, 'relay.sock');
  const storage = openStorage({ driver: options.storage ?? 'memory', dataDir: dir });
  const router = createRouter({ storage, ...(options.redeliveryMs ? { redeliveryMs: options.redeliveryMs } : {}) });
  const spawnManager = options.spawn
    ? createSpawnManager({ router, store: storage, projectRoot: dir, dataDir: dir, socketPath, watchOutbox: false })
    : undefined;
  const server = await startDaemonServer({
    socketPath,
    router,
    storage,
    spawnManager,
    heartbeatMs: options.heartbeatMs,
    heartbeatTimeoutMs: options.heartbeatTimeoutMs,
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await spawnManager?.close().catch(() => {});
    await server.close();
    router.close();
    storage.close();
  };
  return {
    dir,
    socketPath,
    server,
    router,
    storage,
    spawnManager,
    stop,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
