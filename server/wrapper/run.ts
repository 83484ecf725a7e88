import { mkdirSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { basename, join } from 'node:path';
import { discoverSocket } from '../../lib/discovery';
import { dataDirFor, projectRootOfSocket, resolveProjectRoot } from '../../lib/paths';
import { describeWorkerNameProblem } from '../../lib/protocol';
import { spawnDrainedPty } from '../spawn/drained-pty';
import { findExecutable } from '../spawn/launch';
import type { FallbackChainOptions } from './fallback';
import { createRelaySide } from './relay-side';

/**
 * `agent-relay run [--name N] -- <command…>`: the command runs in a PTY inside this terminal (raw
 * mode, resize forwarded, exit code passed through) and is on the relay as agent N, like a worker.
 */

export interface RunOptions {
  command: string;
  args: string[];
  name?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Explicit socket (CLI --socket); otherwise discovery. */
  socketPath?: string;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WritableStream;
  onSpawn?: FallbackChainOptions['onSpawn'];
  onRelease?: FallbackChainOptions['onRelease'];
}

/** `claude-12345` from `claude`: a valid name that does not collide with another run of the same command. */
export function defaultAgentName(command: string, pid = process.pid): string {
  const base = basename(command).replace(/[^A-Za-z0-9._-]/g, '') || 'agent';
  const name = `${/^[A-Za-z_]/.test(base) ? base : `run-${base}`}-${pid}`;
  return name.slice(0, 64);
}

/** Shell convention: a signal death exits 128 + its number. */
export function exitStatus(exitCode: number | null, signal: string | null): number {
  if (exitCode !== null) return exitCode;
  const num = signal ? (osConstants.signals as Record<string, number>)[signal] : undefined;
  return num ? 128 + num : 1;
}

export class RunUsageError extends Error {
  readonly code = 'USAGE';
}

/** Runs until the command exits; resolves with the exit status to pass on. */
export async function runWrapped(options: RunOptions): Promise<number> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const name = options.name ?? defaultAgentName(options.command);
  const nameProblem = describeWorkerNameProblem(name);
  if (nameProblem) throw new RunUsageError(nameProblem);
  // CLI_NOT_FOUND before anything starts, naming what was looked up (as spawn does).
  const file = findExecutable(options.command, cwd, env.PATH ?? '');

  // The daemon's project decides where our outbox and its dashboard token live.
  const found = await discoverSocket({ socketPath: options.socketPath, cwd, env });
  const projectRoot = (found && (projectRootOfSocket(found.socketPath) ?? found.marker?.projectRoot)) || resolveProjectRoot(cwd, env);
  const outboxDir = join(dataDirFor(projectRoot), 'outbox', name);
  mkdirSync(outboxDir, { recursive: true });

  const cols = stdout.columns || 120;
  const rows = stdout.rows || 32;
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) childEnv[k] = v;
  Object.assign(childEnv, {
    AGENT_RELAY_NAME: name,
    RELAY_AGENT_NAME: name,
    AGENT_RELAY_OUTBOX: outboxDir,
    TERM: childEnv.TERM ?? 'xterm-256color',
    ...(found ? { RELAY_SOCKET: found.socketPath } : {}),
  });
  const pty = spawnDrainedPty({ file, args: options.args, cwd, env: childEnv, cols, rows });

  const notice = (text: string) => stderr.write(`\r\n\x1b[2m${text}\x1b[0m\r\n`);
  const relay = createRelaySide({
    name,
    projectRoot,
    outboxDir,
    write: (data) => pty.write(data),
    cols,
    rows,
    env,
    socketPath: found?.socketPath ?? options.socketPath,
    notice,
    onSpawn: options.onSpawn,
    onRelease: options.onRelease,
  });

  const wasRaw = stdin.isTTY ? stdin.isRaw : false;
  if (stdin.isTTY) stdin.setRawMode(true);
  const onInput = (data: Buffer) => {
    pty.write(data);
    relay.typed(data);
  };
  const onResize = () => {
    pty.resize(stdout.columns || cols, stdout.rows || rows);
    relay.resize(stdout.columns || cols, stdout.rows || rows);
  };
  stdin.on('data', onInput);
  stdin.resume();
  stdout.on('resize', onResize);
  pty.onData((chunk) => {
    stdout.write(chunk);
    relay.output(chunk);
  });
  // The terminal closed or we were asked to stop: pass it on and exit when the command does.
  const forward = (signal: NodeJS.Signals) => () => {
    try {
      pty.process.kill(signal);
    } catch {
      // already gone
    }
  };
  const handlers = (['SIGHUP', 'SIGTERM'] as const).map((sig) => [sig, forward(sig)] as const);
  for (const [sig, fn] of handlers) process.on(sig, fn);

  const end = await new Promise<{ exitCode: number | null; signal: string | null }>((resolve) => pty.onEnd(resolve));
  for (const [sig, fn] of handlers) process.off(sig, fn);
  stdin.off('data', onInput);
  stdout.off('resize', onResize);
  if (stdin.isTTY) stdin.setRawMode(wasRaw);
  stdin.pause();
  await relay.close();
  return exitStatus(end.exitCode, end.signal);
}
