import type { Command } from 'commander';
import { discoverSocket, readMarker, type DiscoveredSocket } from '../../lib/discovery';
import { codedReply } from '../../lib/protocol/errors';
import { RelayClient, RelayError } from '../../lib/sdk';

/** Exit codes of every command (product §6). */
export const EXIT = { OK: 0, FAILURE: 1, USAGE: 2, NO_DAEMON: 3 } as const;
export const NO_DAEMON_HINT = 'Daemon not running. Start it with: agent-relay up';

/** A failure a command reports: printed to stderr as is, then the process exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.FAILURE,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export interface GlobalOptions {
  socket?: string;
  verbose?: boolean;
}

/** What every command gets: global options, output streams, and a way to reach the daemon. */
export interface CliContext {
  globals(): GlobalOptions;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  print(line?: string): void;
  printJson(value: unknown): void;
  /** Finds the daemon; throws CliError(exit 3) when none runs. */
  discover(): Promise<DiscoveredSocket>;
  /** Connects as `name` (a user by default, so several CLI invocations may share it). */
  connect(name: string, options?: { entityType?: 'agent' | 'user' }): Promise<{ client: RelayClient; found: DiscoveredSocket }>;
}

export function createContext(program: Command): CliContext {
  const stdout = process.stdout;
  const stderr = process.stderr;
  const globals = () => program.opts<GlobalOptions>();
  const discover = async (): Promise<DiscoveredSocket> => {
    const found = await discoverSocket({ socketPath: globals().socket });
    if (!found) throw new CliError(NO_DAEMON_HINT, EXIT.NO_DAEMON, 'NO_DAEMON');
    if (!found.marker) {
      const marker = readMarker();
      if (marker && marker.socketPath === found.socketPath) found.marker = marker;
    }
    return found;
  };
  return {
    globals,
    stdout,
    stderr,
    print: (line = '') => stdout.write(`${line}\n`),
    printJson: (value) => stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    discover,
    async connect(name, options = {}) {
      const found = await discover();
      const client = new RelayClient({
        name,
        entityType: options.entityType ?? 'user',
        socketPath: found.socketPath,
        reconnect: false,
        hello: { cli: 'agent-relay-cli' },
      });
      try {
        await client.connect();
      } catch (err) {
        throw toCliError(err);
      }
      return { client, found };
    },
  };
}

/**
 * Maps errors to exit codes and the line printed: an unreachable daemon is 3, everything else 1. The
 * daemon's answers (RelayError) and errors thrown in this process with a code of their own
 * (WorkerError, RouterError: lib/protocol/errors.ts) print as `CODE: sentence`.
 */
export function toCliError(err: unknown): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof RelayError) {
    if (err.code === 'NO_DAEMON' || err.code === 'CONNECT_FAILED') {
      return new CliError(`${NO_DAEMON_HINT}\n(${err.message})`, EXIT.NO_DAEMON, err.code);
    }
    return new CliError(`${err.code}: ${err.message}`, EXIT.FAILURE, err.code);
  }
  const coded = codedReply(err);
  if (coded) return new CliError(`${coded.code}: ${coded.message}`, EXIT.FAILURE, coded.code);
  return new CliError(err instanceof Error ? err.message : String(err), EXIT.FAILURE);
}

/** Runs `fn` with a connected client and always says BYE afterwards. */
export async function withClient<T>(
  ctx: CliContext,
  name: string,
  fn: (client: RelayClient, found: DiscoveredSocket) => Promise<T>,
): Promise<T> {
  const { client, found } = await ctx.connect(name);
  try {
    return await fn(client, found);
  } catch (err) {
    throw toCliError(err);
  } finally {
    await client.disconnect().catch(() => {});
  }
}
