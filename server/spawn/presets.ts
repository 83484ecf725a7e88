import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkerError } from '../../lib/protocol';

/**
 * CLI presets: which executable a preset name runs and which flags a headless agent needs.
 * `cli` may also be any executable on PATH or a path; args are always an array (no shell).
 */

export interface Preset {
  /** Executable looked up on PATH (or an absolute path). */
  command: string;
  /** Flags before the request's own args. */
  args(opts: { interactive: boolean; model?: string }): string[];
  /** Typed into the terminal first on release, before any signal. */
  politeExit?: string;
}

export const DEMO_AGENT_PATH = fileURLToPath(new URL('./demo-agent/demo-agent.mjs', import.meta.url));

const modelFlag = (model?: string) => (model ? ['--model', model] : []);

export const PRESETS: Record<string, Preset> = {
  claude: {
    command: 'claude',
    args: ({ interactive, model }) => [...(interactive ? [] : ['--dangerously-skip-permissions']), ...modelFlag(model)],
    politeExit: '/exit\r',
  },
  codex: {
    command: 'codex',
    args: ({ interactive, model }) => [...(interactive ? [] : ['--full-auto']), ...modelFlag(model)],
    politeExit: '/quit\r',
  },
  gemini: {
    command: 'gemini',
    args: ({ interactive, model }) => [...(interactive ? [] : ['--yolo']), ...modelFlag(model)],
    politeExit: '/quit\r',
  },
  cursor: {
    command: 'cursor-agent',
    args: ({ interactive, model }) => [...(interactive ? [] : ['--force']), ...modelFlag(model)],
  },
  opencode: { command: 'opencode', args: ({ model }) => modelFlag(model) },
  demo: {
    command: process.execPath,
    args: () => [DEMO_AGENT_PATH],
    politeExit: '/exit\r',
  },
};

export interface ResolvedCli {
  file: string;
  args: string[];
  politeExit?: string;
  preset?: string;
}

export function resolveCli(
  cli: string,
  opts: { args?: string[]; interactive?: boolean; model?: string; cwd: string; env: Record<string, string | undefined> },
): ResolvedCli {
  const preset = Object.hasOwn(PRESETS, cli) ? PRESETS[cli] : undefined;
  const command = preset?.command ?? cli;
  const file = findExecutable(command, opts.cwd, opts.env.PATH ?? '');
  const presetArgs = preset?.args({ interactive: opts.interactive ?? false, model: opts.model }) ?? [];
  return { file, args: [...presetArgs, ...(opts.args ?? [])], politeExit: preset?.politeExit, preset: preset ? cli : undefined };
}

/** Finds `command` the way execvp would (PATH for bare names, relative to cwd for paths); throws CLI_NOT_FOUND. */
export function findExecutable(command: string, cwd: string, pathEnv: string): string {
  if (command.includes('/')) {
    const full = isAbsolute(command) ? command : resolve(cwd, command);
    if (isExecutableFile(full)) return full;
    throw new WorkerError('CLI_NOT_FOUND', `"${command}" was looked up at ${full} and is not an executable file. Check the path, or make it executable (chmod +x).`, 'cli');
  }
  const dirs = pathEnv.split(delimiter).filter(Boolean);
  for (const dir of dirs) {
    const full = join(resolve(cwd, dir), command);
    if (isExecutableFile(full)) return full;
  }
  throw new WorkerError(
    'CLI_NOT_FOUND',
    `"${command}" was not found on PATH (looked in ${dirs.length ? dirs.join(', ') : 'an empty PATH'}). Install it, or give a full path.`,
    'cli',
  );
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
