import { resolve } from 'node:path';
import { resolveProjectRoot } from '../../lib/paths';
import { logger, setLogLevel } from '../logger';
import { buildIfStale } from './build';
import { AlreadyRunningError } from './running';
// Type only (erased): the server module itself is imported after NODE_ENV is settled, below.
import type { RelayServerOptions } from '../index';

/**
 * `agent-relay up`: start, print the URL, keep running until SIGINT/SIGTERM, then stop cleanly and
 * exit 0. Resolves with an exit code only when the server could not start (1).
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
};

export async function runUp(options: UpOptions = {}): Promise<number> {
  if (options.verbose) setLogLevel('debug');
  // Imported here, after bin/agent-relay.js has settled NODE_ENV, because Next reads it at import.
  const { startRelayServer, REPO_ROOT } = await import('../index');
  try {
    if (options.buildIfStale && !options.dev) {
      await buildIfStale(REPO_ROOT, { stdio: 'inherit', log: (line) => process.stderr.write(`${line}\n`) });
    }
    const starting = startRelayServer({
      projectRoot: resolve(options.projectRoot ?? options.project ?? resolveProjectRoot()),
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
