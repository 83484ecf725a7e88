import { resolve } from 'node:path';
import { dataDirFor, resolveProjectRoot } from '../../lib/paths';
import { resolveClusterConfig, type ClusterFlags } from '../cluster/config';
import { logger, setLogLevel } from '../logger';
import { buildIfStale } from '../lifecycle/build';
import { AlreadyRunningError } from '../lifecycle/running';
// Type only (erased): the server module itself is imported after NODE_ENV is settled, below.
import type { RelayServerOptions } from '../index';

/**
 * `agent-relay up`: start the server (server/index.ts), print the URL, keep running until
 * SIGINT/SIGTERM, then stop cleanly and exit 0. Resolves with an exit code only when the server
 * could not start (1). The command (commands/up.ts) loads this only when it runs: it pulls in Next.
 */

/** The server's own options, plus the CLI's spellings of two of them and what only `up` does. */
export type UpOptions = Pick<
  RelayServerOptions,
  'projectRoot' | 'port' | 'host' | 'storage' | 'dev' | 'open' | 'socketPath' | 'maxWorkers' | 'quiet'
> & {
  /** The CLI's `--project` (same as projectRoot). */
  project?: string;
  /** The CLI's global `--socket` (same as socketPath). */
  socket?: string;
  /** Run `next build` first when `.next/BUILD_ID` is missing or older than the sources (`npm start`). */
  buildIfStale?: boolean;
  verbose?: boolean;
} & ClusterFlags;

/** After a failed start, the longest `up` may linger before it exits 1 (issue 10: a corrupt database). */
const FAILED_START_EXIT_MS = 500;

export async function runUp(options: UpOptions = {}): Promise<number> {
  if (options.verbose) setLogLevel('debug');
  // Imported here, after bin/agent-relay.js has settled NODE_ENV, because Next reads it at import.
  const { startRelayServer, REPO_ROOT } = await import('../index');
  try {
    if (options.buildIfStale && !options.dev) {
      await buildIfStale(REPO_ROOT, { stdio: 'inherit', log: (line) => process.stderr.write(`${line}\n`) });
    }
    const projectRoot = resolve(options.projectRoot ?? options.project ?? resolveProjectRoot());
    // Read without loading NATS: only a configured cluster loads server/cluster's client (docs/cluster.md).
    const cluster = resolveClusterConfig(options, dataDirFor(projectRoot), projectRoot);
    const starting = startRelayServer({
      projectRoot,
      cluster,
      port: options.port,
      host: options.host,
      storage: options.storage,
      dev: options.dev,
      open: options.open ?? true,
      socketPath: options.socketPath ?? options.socket,
      maxWorkers: options.maxWorkers,
      quiet: options.quiet,
    });
    // Installed before the URL is printed: a signal that arrives right after it must still stop
    // the server cleanly (it waits for the start to finish, then closes).
    installSignalHandlers(async () => {
      const server = await starting.catch(() => undefined);
      await server?.close();
    });
    await starting;
    return await new Promise<number>(() => undefined); // runs until a signal ends the process
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`agent-relay up: ${message}\n`);
    if (!(err instanceof AlreadyRunningError)) logger.debug({ err }, 'start failed');
    process.exitCode = 1;
    // startRelayServer has undone every step it took, so the event loop should now drain and the
    // process exit. If anything still holds it (a library's thread or timer), a failed `up` must not
    // stay running with the project's files open: exit shortly regardless (unref'd, so a clean
    // drain exits at once).
    setTimeout(() => process.exit(1), FAILED_START_EXIT_MS).unref();
    return 1;
  }
}

/** First signal: stop cleanly, exit 0. A second signal while stopping: exit at once (1). */
export function installSignalHandlers(close: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`agent-relay: ${signal} again, exiting without finishing cleanup.\n`);
      process.exit(1);
    }
    stopping = true;
    close()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        logger.error({ err }, 'stop failed');
        process.exit(1);
      });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
}
