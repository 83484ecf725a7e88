import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { basename, dirname } from 'node:path';
import type { StatusResponse } from '../../lib/protocol';
import { logger } from '../logger';
import type { Router } from '../router/router';
import type { SpawnManagerApi } from '../spawn/types';
import type { Storage } from '../storage/storage';
import { Connection } from './connection';
import { HEARTBEAT_MS, HEARTBEAT_TIMEOUT_MS, HELLO_TIMEOUT_MS, type DaemonContext } from './context';

export interface DaemonServerOptions {
  socketPath: string;
  router: Router;
  storage: Storage;
  spawnManager?: SpawnManagerApi;
  statusExtras?: () => Pick<StatusResponse, 'dashboardUrl' | 'projectRoot' | 'containment' | 'disk' | 'cluster'>;
  /** Reported by STATUS (default: package.json's version). */
  version?: string;
  /** Close a connection that has not said HELLO after this long (default 10 s). */
  helloTimeoutMs?: number;
  /** PING period (default 5 s). */
  heartbeatMs?: number;
  /** Close a connection silent for this long (default 30 s). */
  heartbeatTimeoutMs?: number;
}

export interface DaemonServer {
  close(): Promise<void>;
  getSpawnManager(): SpawnManagerApi | undefined;
  status(): StatusResponse;
  /** Open socket connections (for tests and diagnostics). */
  readonly connectionCount: number;
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Listen on the protocol v1 Unix socket. Throws a clear Error when another daemon is live there. */
export async function startDaemonServer(options: DaemonServerOptions): Promise<DaemonServer> {
  const { socketPath, router, storage, spawnManager } = options;
  const startedAt = Date.now();
  const version = options.version ?? packageVersion();
  await prepareSocketPath(socketPath);

  const status = (): StatusResponse => {
    const extras = options.statusExtras?.() ?? {};
    const { driver, persistent, canRead, canWrite, heldWrites, droppedWrites, lastWriteError } = storage.info;
    const response: StatusResponse = {
      version,
      uptime: Date.now() - startedAt,
      agentCount: router.connectedAgentNames().length,
      workerCount: spawnManager ? spawnManager.listWorkers().filter((w) => w.status !== 'exited').length : 0,
      socketPath,
      storage: {
        persistent, driver, canRead, canWrite,
        ...(heldWrites ? { heldWrites } : {}), ...(droppedWrites ? { droppedWrites } : {}), ...(lastWriteError ? { lastWriteError } : {}),
      },
    };
    if (extras.projectRoot) response.projectRoot = extras.projectRoot;
    if (extras.dashboardUrl) response.dashboardUrl = extras.dashboardUrl;
    if (extras.containment) response.containment = extras.containment;
    if (extras.disk) response.disk = extras.disk;
    if (extras.cluster) response.cluster = extras.cluster;
    return response;
  };

  const ctx: DaemonContext = {
    router,
    storage,
    spawnManager,
    status,
    timings: {
      helloTimeoutMs: options.helloTimeoutMs ?? HELLO_TIMEOUT_MS,
      heartbeatMs: options.heartbeatMs ?? HEARTBEAT_MS,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? HEARTBEAT_TIMEOUT_MS,
    },
  };

  const connections = new Set<Connection>();
  const server: Server = createServer((socket: Socket) => {
    connections.add(new Connection(socket, ctx, (conn) => connections.delete(conn)));
  });
  server.on('error', (err) => logger.error({ err, socketPath }, 'daemon socket error'));
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(new Error(`Cannot listen on ${socketPath} (${err.code ?? err.message}); check the directory exists and is writable, or choose another socket path.`));
    };
    server.once('error', onError);
    server.listen(socketPath, () => {
      server.off('error', onError);
      resolve();
    });
  });
  chmodSync(socketPath, 0o600);

  // One timer for every connection: PING the live ones, close the silent ones. A connection
  // paused by backpressure is not read, so its silence is ours, not its fault.
  const heartbeat = setInterval(() => {
    const now = Date.now();
    for (const conn of connections) {
      if (!conn.active) continue;
      if (!conn.blocked && now - conn.lastHeardAt > ctx.timings.heartbeatTimeoutMs) conn.close();
      else conn.ping();
    }
  }, ctx.timings.heartbeatMs);
  heartbeat.unref();

  let closing: Promise<void> | undefined;
  return {
    status,
    getSpawnManager: () => spawnManager,
    get connectionCount() {
      return connections.size;
    },
    close() {
      closing ??= (async () => {
        clearInterval(heartbeat);
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const conn of connections) conn.close();
        await closed;
        try {
          if (existsSync(socketPath)) unlinkSync(socketPath);
        } catch {
          // Already gone, or replaced by someone else's socket: not ours to remove.
        }
        storage.flush();
      })();
      return closing;
    },
  };
}

/** Make the socket's directory (0700) and clear a stale socket file; refuse a live one. */
async function prepareSocketPath(socketPath: string): Promise<void> {
  const dir = dirname(socketPath);
  const created = !existsSync(dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (created || basename(dir) === '.agent-relay') chmodSync(dir, 0o700);
  let stat;
  try {
    stat = lstatSync(socketPath);
  } catch {
    return;
  }
  if (!stat.isSocket()) {
    throw new Error(`${socketPath} exists and is not a socket; move it away or choose another socket path.`);
  }
  const live = await new Promise<boolean | NodeJS.ErrnoException>((resolve) => {
    const probe = createConnection(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED' ? false : err));
  });
  if (live instanceof Error) {
    throw new Error(`Cannot check whether ${socketPath} belongs to a running daemon (${live.code ?? live.message}); fix its permissions or remove it.`);
  }
  if (live) {
    throw new Error(`Another agent-relay daemon is already listening on ${socketPath}. Stop it with \`agent-relay down\`, or use a different socket path.`);
  }
  unlinkSync(socketPath);
}
