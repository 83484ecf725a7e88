import { execFile } from 'node:child_process';
import { isDirectory } from '../../lib/paths';
import { WorkerError } from '../../lib/protocol';

/**
 * The one way this domain runs git: the real `git` executable with an argument array (never a shell
 * string), a bounded time and output, and errors that say what to do. `AGENT_RELAY_GIT` names another
 * git binary (and lets tests see what a machine without git gets).
 */

export interface GitResult {
  stdout: string;
  stderr: string;
  /** 0 on success; callers that expect other codes (merge-tree's 1 = conflicts) pass `allowExit`. */
  code: number;
}

export interface GitOptions {
  cwd: string;
  env?: Record<string, string>;
  /** Exit codes that are answers, not failures (e.g. `[1]` for `diff --quiet`, `merge-tree`). */
  allowExit?: number[];
  timeoutMs?: number;
  /** Raw bytes instead of UTF-8 text (patches with binary hunks are still text; this is for exactness). */
  maxBuffer?: number;
}

/** A git failure with git's own words; `code` is the process exit code. */
export class GitCommandError extends Error {
  constructor(
    readonly args: string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`git ${args.join(' ')} failed${exitCode !== null ? ` (exit ${exitCode})` : ''}: ${stderr.trim() || 'no message'}`);
    this.name = 'GitCommandError';
  }
}

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_BUFFER = 256 * 1024 * 1024;

export function gitBinary(env: NodeJS.ProcessEnv = process.env): string {
  return env.AGENT_RELAY_GIT || 'git';
}

/**
 * Whatever the user's git config says, our reads must parse the same way and never wait for a person:
 * C locale for messages, no pager, no credential prompt, and no optional locks (a status of ours must
 * never make the agent's own `git commit` fail on index.lock).
 */
const FIXED_ENV = {
  LC_ALL: 'C',
  LANG: 'C',
  GIT_TERMINAL_PROMPT: '0',
  GIT_PAGER: 'cat',
  PAGER: 'cat',
  GIT_OPTIONAL_LOCKS: '0',
  GIT_EDITOR: 'true',
};

export function runGit(args: string[], options: GitOptions): Promise<GitResult> {
  const bin = gitBinary();
  return new Promise((resolve, reject) => {
    execFile(
      bin,
      args,
      {
        cwd: options.cwd,
        env: { ...process.env, ...FIXED_ENV, ...options.env },
        timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        maxBuffer: options.maxBuffer ?? DEFAULT_MAX_BUFFER,
        encoding: 'utf8',
        windowsHide: true,
      },
      (error, stdout, stderr) => {
        if (!error) return resolve({ stdout, stderr, code: 0 });
        const e = error as NodeJS.ErrnoException & { code?: string | number; killed?: boolean; signal?: string };
        // spawn says ENOENT both for a missing binary and for a missing cwd: tell them apart.
        if (e.code === 'ENOENT' && !isDirectory(options.cwd)) {
          return reject(new WorkerError('NO_WORKTREE', `The directory ${options.cwd} does not exist any more (git was asked to run there).`, 'worktree'));
        }
        if (e.code === 'ENOENT') {
          return reject(
            new WorkerError(
              'GIT_MISSING',
              `git was not found (looked for "${bin}"${bin === 'git' ? ' on PATH' : ''}). Install it (Debian/Ubuntu: apt-get install git), or set AGENT_RELAY_GIT to its path.`,
              'worktree',
            ),
          );
        }
        const exit = typeof e.code === 'number' ? e.code : null;
        if (exit !== null && options.allowExit?.includes(exit)) return resolve({ stdout, stderr, code: exit });
        if (e.killed) return reject(new GitCommandError(args, exit, `timed out after ${options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms ${stderr}`));
        reject(new GitCommandError(args, exit, stderr || e.message));
      },
    );
  });
}

/** stdout of a git command that must succeed, without its final newline. */
export async function git(args: string[], options: GitOptions): Promise<string> {
  return (await runGit(args, options)).stdout.replace(/\n$/, '');
}

/** A GitCommandError as the API's GIT_FAILED (500), unless it already is a WorkerError. */
export function asWorkerError(err: unknown, what: string): Error {
  if (err instanceof WorkerError) return err;
  if (err instanceof GitCommandError) return new WorkerError('GIT_FAILED', `${what}: ${err.message}`, 'worktree');
  return new WorkerError('INTERNAL', `${what}: ${(err as Error).message}`, 'worktree');
}

/** Splits git's `-z` output into its fields (the last, empty one dropped). */
export function splitZ(out: string): string[] {
  const parts = out.split('\0');
  if (parts.length && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/**
 * When the user has no git identity (a fresh CI machine, a container), commits made for a worker are
 * made as "agent-relay" rather than failing with git's "Please tell me who you are".
 */
export async function identityEnv(cwd: string): Promise<Record<string, string>> {
  const r = await runGit(['config', '--get', 'user.email'], { cwd, allowExit: [1] });
  if (r.code === 0 && r.stdout.trim()) return {};
  return {
    GIT_AUTHOR_NAME: process.env.GIT_AUTHOR_NAME || 'agent-relay',
    GIT_AUTHOR_EMAIL: process.env.GIT_AUTHOR_EMAIL || 'agent-relay@localhost',
    GIT_COMMITTER_NAME: process.env.GIT_COMMITTER_NAME || 'agent-relay',
    GIT_COMMITTER_EMAIL: process.env.GIT_COMMITTER_EMAIL || 'agent-relay@localhost',
  };
}
