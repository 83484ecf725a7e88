import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import next from 'next';
import { dataDirFor, resolveProjectRoot, socketPathFor } from '../lib/paths';
import { publishRuntime, type RelayRuntime, type RelayRuntimeConfig } from './runtime';
import { logger } from './logger';
import { openStorage } from './storage';
import { createRouter } from './router';
import { createSpawnManager } from './spawn';
import { workerMcpHook } from './mcp/worker-config';
import { containment } from './spawn/process-tree';
import { createWorktreeManager, describeLeftovers } from './worktrees';
import { describeRecovery } from './spawn/survivors';
import { diskSpace } from './storage/disk';
import { startDaemonServer } from './daemon';
import type { SpawnManagerApi } from './spawn/types';
import { createRealtime } from './realtime';
import { createSecurity, hostForUrl, isApiPath, isLoopbackHost, loadOrCreateToken } from './security';
import { answerApiEdge, answerInternalError, keepErrorsJson } from './http/api-edges';
import { claimProject } from './lifecycle/running';
import { removePidFileIfOurs, writeProjectFile } from './lifecycle/files';
import { removeMarkerIfOurs, writeMarker } from './lifecycle/marker';

/**
 * `agent-relay up` as a function: one process holding storage, router, SpawnManager, the Unix-socket
 * daemon, and one HTTP server carrying Next's handler and socket.io (product.md §1). The dashboard's
 * route handlers reach the same objects through the published runtime (docs/decisions/0001).
 */

/** The folder with package.json and next.config.mjs: Next's `dir`, not the user's project. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const VERSION: string = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

export interface RelayServerOptions {
  /** The user's project (socket and data go in `<projectRoot>/.agent-relay`). Default: resolved from cwd. */
  projectRoot?: string;
  /** 3888 by default; 0 picks a free port (the actual one is in `url`). */
  port?: number;
  /** 127.0.0.1 by default. Any other value still requires the token. */
  host?: string;
  storage?: 'sqlite' | 'memory';
  /** Next in development mode (hot reload); production otherwise (needs `next build`). */
  dev?: boolean;
  /** Open the dashboard in a browser once listening. */
  open?: boolean;
  /** Default `<projectRoot>/.agent-relay/relay.sock`. */
  socketPath?: string;
  maxWorkers?: number;
  /** Print nothing (not even the URL line). */
  quiet?: boolean;
  /** Join a cluster as a node (docs/cluster.md). Absent: no NATS module is loaded, no connection made. */
  cluster?: import('./cluster/config').ClusterConfig;
  env?: NodeJS.ProcessEnv;
}

export interface RelayServer {
  /** `http://127.0.0.1:3888/?token=…`: the line printed at start. */
  url: string;
  /** The dashboard origin without the token, e.g. `http://127.0.0.1:3888`. */
  origin: string;
  token: string;
  port: number;
  projectRoot: string;
  socketPath: string;
  dataDir: string;
  runtime: RelayRuntime;
  /** Stops everything in order; idempotent. */
  close(): Promise<void>;
}

export async function startRelayServer(options: RelayServerOptions = {}): Promise<RelayServer> {
  const env = options.env ?? process.env;
  const projectRoot = resolve(options.projectRoot ?? resolveProjectRoot(process.cwd(), env));
  const dataDir = dataDirFor(projectRoot);
  const socketPath = resolve(options.socketPath ?? socketPathFor(projectRoot));
  const host = options.host ?? '127.0.0.1';
  const driver = options.storage ?? 'sqlite';
  const startedAt = new Date();

  await claimProject({ projectRoot, dataDir, socketPath, env });
  // Everything below is undone in reverse by `stop`, including after a failed start.
  const undo: Array<() => Promise<void> | void> = [() => removePidFileIfOurs(dataDir)];
  // Workers go first (graceful, then forced) while viewers can still watch them exit.
  let releaseWorkers: (() => Promise<void>) | undefined;
  const stop = async () => {
    try {
      await releaseWorkers?.();
    } catch (err) {
      logger.error({ err }, 'error while releasing workers');
    }
    for (const step of undo.splice(0).reverse()) {
      try {
        await step();
      } catch (err) {
        logger.error({ err }, 'error while stopping agent-relay');
      }
    }
  };

  try {
    writeProjectFile(dataDir, projectRoot);
    const token = loadOrCreateToken(dataDir);

    const storage = openStorage({ driver, dataDir });
    undo.push(() => storage.close());
    const router = createRouter({ storage });
    undo.push(() => router.close());
    const worktrees = createWorktreeManager({ projectRoot, dataDir });
    const spawnManager = createSpawnManager({
      router,
      store: storage,
      projectRoot,
      dataDir,
      socketPath,
      worktrees,
      mcp: workerMcpHook,
      ...(options.maxWorkers !== undefined ? { policy: { maxWorkers: options.maxWorkers } } : {}),
    });
    worktrees.bind(spawnManager);
    undo.push(() => worktrees.close());
    releaseWorkers = () => spawnManager.releaseAll();
    // Workers a crashed run left behind are ended before anyone can talk to this one; said once.
    const recovery = await spawnManager.recovery;
    const recovered = describeRecovery(recovery);
    if (recovered) {
      logger.info({ lost: recovery.lost, ended: recovery.ended, remaining: recovery.remaining }, 'previous run recovered');
      if (!options.quiet) process.stderr.write(`${recovered}\n`);
    }
    const { mode, detail } = containment();
    const containmentInfo = { mode, detail };

    const config: RelayRuntimeConfig = { version: VERSION, projectRoot, socketPath, dataDir, dashboardUrl: '', startedAt: startedAt.getTime(), storageDriver: driver };
    // A cluster node: before the daemon listens, so the first HELLO already reaches the whole cluster;
    // closed after it (reverse order), so its agents' last presence reaches the directory.
    let workers: SpawnManagerApi = spawnManager;
    let clusterNode: import('./cluster').ClusterNode | undefined;
    if (options.cluster) {
      const { startClusterNode } = await import('./cluster');
      clusterNode = await startClusterNode({ config: options.cluster, router, spawnManager, version: VERSION, ...(driver === 'sqlite' ? { dataDir } : {}) });
      undo.push(() => clusterNode?.close());
      workers = clusterNode.workers;
      config.node = clusterNode.node;
    }
    const daemon = await startDaemonServer({ socketPath, router, storage, spawnManager: workers, statusExtras: () => ({ projectRoot, dashboardUrl: config.dashboardUrl || undefined, containment: containmentInfo, disk: diskSpace(dataDir), ...(clusterNode ? { cluster: clusterNode.status() } : {}) }) });
    undo.push(async () => {
      await daemon.close();
      rmSync(socketPath, { force: true });
    });

    const runtime: RelayRuntime = { router, spawnManager: workers, worktrees, config, status: () => daemon.status() };
    // Before app.prepare(): Next's bundled route handlers read this slot (server/runtime.ts).
    publishRuntime(runtime);
    undo.push(() => publishRuntime(undefined));

    let port = options.port ?? 3888;
    const security = createSecurity({ token, host, port: () => port });
    const app = next({ dev: options.dev ?? false, dir: REPO_ROOT, hostname: host, port, quiet: true });
    await quietStdout(() => app.prepare());
    undo.push(() => app.close());
    const handle = app.getRequestHandler();

    const httpServer = createServer((req, res) => {
      const api = isApiPath(new URL(req.url ?? '/', 'http://relay.invalid').pathname);
      try {
        if (security.guard(req, res)) return;
        if (api) {
          keepErrorsJson(req, res);
          if (answerApiEdge(req, res)) return;
        }
      } catch (err) {
        // A check that throws must still answer (and must not become an uncaughtException).
        logger.error({ err, url: req.url?.slice(0, 200) }, 'request check failed');
        answerInternalError(res, api);
        return;
      }
      handle(req, res).catch((err: unknown) => {
        logger.error({ err, url: req.url }, 'Next request handler failed');
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    // An idle keep-alive connection stays open longer than a client keeps one to reuse (Node's
    // default is 5 s): a client reusing one just as the server gave up on it got "socket hang up"
    // (ECONNRESET) for a request never read — seen in e2e specs on a loaded machine, whose API calls
    // come seconds apart. headersTimeout must stay above it (Node's rule).
    httpServer.keepAliveTimeout = HTTP_KEEP_ALIVE_MS;
    httpServer.headersTimeout = HTTP_KEEP_ALIVE_MS + 1000;
    // Upgrades other than socket.io's (Next's dev HMR) pass the same checks; socket.io checks its own.
    httpServer.on('upgrade', (req, socket) => {
      if (!(req.url ?? '').startsWith('/socket.io/')) security.guardUpgrade(req, socket);
    });
    const realtime = createRealtime({ httpServer, runtime, authorize: security.authorizeSocketHandshake, driverAuthority: clusterNode?.drivers });
    undo.push(() => closeHttp(httpServer));
    // Runs before closeHttp (reverse order): viewers are told goodbye before connections are cut.
    undo.push(() => realtime.close());

    port = await listen(httpServer, port, host);
    const origin = `http://${hostForUrl(isWildcard(host) ? '127.0.0.1' : host)}:${port}`;
    config.dashboardUrl = origin;
    clusterNode?.setDashboardUrl(origin);
    const url = `${origin}/?token=${token}`;

    // After the socket and HTTP listen, so a reader that finds the marker finds a live daemon.
    writeMarker({ socketPath, pid: process.pid, startedAt, version: VERSION, dashboardUrl: origin }, env);
    undo.splice(1, 0, () => void removeMarkerIfOurs(process.pid, env));

    if (!isLoopbackHost(host)) logger.warn({ host }, 'dashboard reachable beyond this machine: the token is required on every request');
    if (!options.quiet) process.stdout.write(`${url}\n`);
    // Worktrees of workers that are gone (after a crash: all of them) are listed, never deleted (docs/worktrees.md).
    void worktrees
      .leftovers()
      .then((left) => {
        const text = describeLeftovers(left);
        if (text && !options.quiet) process.stderr.write(`${text}\n`);
        if (text) logger.info({ worktrees: left.map((l) => l.name) }, 'worktrees without a running worker');
      })
      .catch((err) => logger.warn({ err }, 'could not list the worktrees of earlier workers'));
    if (options.open) openBrowser(url);

    let closing: Promise<void> | undefined;
    return {
      url,
      origin,
      token,
      port,
      projectRoot,
      socketPath,
      dataDir,
      runtime,
      close: () => (closing ??= stop()),
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Next prints timing lines ("✓ Running next.config.mjs took …") while preparing, whatever `quiet`
 * says. `up` promises one line on stdout, the URL, so those go to the debug log instead.
 */
async function quietStdout<T>(fn: () => Promise<T>): Promise<T> {
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    logger.debug({ next: String(chunk).trimEnd() }, 'next');
    const callback = rest.find((r): r is () => void => typeof r === 'function');
    callback?.();
    return true;
  }) as typeof process.stdout.write;
  try {
    return await fn();
  } finally {
    process.stdout.write = write;
  }
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(`Port ${port} on ${host} is in use: stop what holds it or pick another with --port.`)
          : err,
      );
    };
    server.once('error', onError);
    server.listen(port, host.replace(/^\[(.*)\]$/, '$1'), () => {
      server.off('error', onError);
      resolvePort((server.address() as AddressInfo).port);
    });
  });
}

/** How long an idle keep-alive HTTP connection is kept (above the 60 s many clients and proxies use). */
export const HTTP_KEEP_ALIVE_MS = 65_000;

function closeHttp(server: Server): Promise<void> {
  return new Promise((done) => {
    server.close(() => done());
    // Keep-alive browsers and long polls would hold close() open forever.
    server.closeAllConnections();
  });
}

function openBrowser(url: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  import('node:child_process')
    .then(({ spawn }) => {
      const child = spawn(command, [url], { stdio: 'ignore', detached: true });
      child.on('error', () => logger.info({ command }, 'could not open a browser; open the printed URL yourself'));
      child.unref();
    })
    .catch(() => undefined);
}
