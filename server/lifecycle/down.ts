import { resolve } from 'node:path';
import { resolveProjectRoot } from '../../lib/paths';
import { isPidAlive } from '../../lib/discovery';
import { readRunningServer } from './running';

/** `agent-relay down`: SIGTERM the project's server and wait for it to finish stopping. */

export interface DownOptions {
  projectRoot?: string;
  /** The CLI's `--project` (same as projectRoot). */
  project?: string;
  /** How long to wait for the server to exit (it releases workers first). Default 15 s. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Where the report goes; default stdout/stderr. */
  print?: (line: string, isError: boolean) => void;
}

export interface DownResult {
  /** 0 stopped, 1 did not stop in time, 3 nothing was running. */
  exitCode: 0 | 1 | 3;
  pid?: number;
  message: string;
}

const defaultPrint = (line: string, isError: boolean) => (isError ? process.stderr : process.stdout).write(`${line}\n`);

export async function stopRunningServer(options: DownOptions = {}): Promise<DownResult> {
  const projectRoot = resolve(options.projectRoot ?? options.project ?? resolveProjectRoot(process.cwd(), options.env));
  const running = readRunningServer(projectRoot, options.env);
  if (!running) {
    return { exitCode: 3, message: `No agent-relay server is running for ${projectRoot}. Start one with \`agent-relay up\`.` };
  }
  const { pid } = running;
  try {
    process.kill(pid, 'SIGTERM');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return { exitCode: 0, pid, message: `agent-relay (pid ${pid}) had already stopped.` };
    return { exitCode: 1, pid, message: `Could not signal agent-relay (pid ${pid}): ${(err as Error).message}.` };
  }
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  while (isPidAlive(pid)) {
    if (Date.now() > deadline) {
      return { exitCode: 1, pid, message: `agent-relay (pid ${pid}) is still stopping after ${Math.round((options.timeoutMs ?? 15_000) / 1000)} s; if it hangs, \`kill -9 ${pid}\`.` };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { exitCode: 0, pid, message: `Stopped agent-relay (pid ${pid}) for ${projectRoot}.` };
}

/** The CLI's `down`: prints the report, sets process.exitCode and resolves with it. */
export async function runDown(options: DownOptions = {}): Promise<number> {
  const result = await stopRunningServer(options);
  (options.print ?? defaultPrint)(result.message, result.exitCode !== 0);
  if (!options.print) process.exitCode = result.exitCode;
  return result.exitCode;
}
