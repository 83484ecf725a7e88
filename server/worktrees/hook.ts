import type { WorktreeInfo, WorktreeOptions } from '../../lib/protocol';

/**
 * What the SpawnManager asks of the worktree domain at spawn, and nothing more: make the worktree
 * (or refuse with a WorkerError, leaving nothing behind), say where the worker starts, and be told
 * whether the worker then started. Implemented by WorktreeManager (server/worktrees/manager.ts).
 */
export interface WorktreeHook {
  prepare(request: { name: string; cwd: string; options: WorktreeOptions }): Promise<PreparedWorktree>;
}

export interface PreparedWorktree {
  /** The worker's cwd: the worktree, or the spawn's sub-directory inside it. */
  cwd: string;
  info: WorktreeInfo;
  /** The worker runs: watch its files. */
  started(): void;
  /** The worker could not start: remove the fresh worktree and branch (nothing was written in them yet). */
  rollback(): Promise<void>;
}

/** What the worktree domain needs of the SpawnManager. */
export interface WorktreeWorkers {
  getWorker(name: string): { status: string; task: string; worktree?: WorktreeInfo } | undefined;
  /** Keep the worker's listed worktree summary current (emits its status). */
  setWorktree(name: string, worktree: WorktreeInfo): void;
  on(event: 'exit', listener: (info: { name: string }) => void): unknown;
  off(event: 'exit', listener: (info: { name: string }) => void): unknown;
}
