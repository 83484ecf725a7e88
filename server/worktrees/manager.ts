import {
  WorkerError,
  type Changes, type CommitResult, type MergeBody, type MergeResult, type WorkerChangesEvent,
  type WorktreeInfo, type WorktreeListEntry, type WorktreeOptions, type WorktreeState,
} from '../../lib/protocol';
import { logger } from '../logger';
import { TypedEmitter } from '../events';
import { readChanges, readPatch, readState } from './changes';
import { loadWorktreeConfig } from './config';
import { createWorktree, removeWorktree } from './create';
import { asWorkerError } from './git';
import type { PreparedWorktree, WorktreeHook, WorktreeWorkers } from './hook';
import { commitWorktree, defaultMessage, mergeWorktree } from './merge';
import { WorktreeRegistry } from './registry';
import { watchWorktree, type ChangeWatcher } from './watcher';

/**
 * The worktree domain: creates a worker's worktree at spawn (the SpawnManager's hook), keeps its
 * summary current from a file watcher, and answers changes / commit / merge / patch / discard by
 * worker name, also after the worker is gone. Nothing here deletes a worktree or a branch except
 * `discard` (asked for explicitly) and the removal of one whose work is merged.
 */

export interface WorktreeManagerOptions {
  projectRoot: string;
  dataDir: string;
}

export interface WorktreeManagerEvents {
  /** A worktree's summary changed (debounced file watcher, or after commit / merge). */
  changes: (event: WorkerChangesEvent) => void;
  /** A worktree was made or deleted: GET /api/worktrees answers differently (socket.io `worktrees`). */
  list: () => void;
}

export interface RemoveOptions {
  /** Delete the worktree and branch even with unmerged work. */
  discard?: boolean;
  /** Forget the worker but leave worktree and branch (listed by GET /api/worktrees and at `up`). */
  keep?: boolean;
}

/** What `up` says about worktrees whose workers are gone. */
export interface Leftover {
  name: string;
  branch: string;
  path: string;
  hasWorker: boolean;
  state?: WorktreeState;
}

export class WorktreeManager extends TypedEmitter<WorktreeManagerEvents> implements WorktreeHook {
  private readonly registry: WorktreeRegistry;
  private readonly watchers = new Map<string, Promise<ChangeWatcher | undefined>>();
  private readonly refreshing = new Map<string, { running: Promise<WorktreeState | undefined>; again: boolean }>();
  /** Mutations (commit, merge, discard) of one worktree run one at a time. */
  private readonly queues = new Map<string, Promise<unknown>>();
  private workers: WorktreeWorkers | undefined;
  /** The last summary read of each worktree, also of those with no worker to carry it. */
  private readonly states = new Map<string, WorktreeState>();
  private closed = false;
  private readonly onExit = (info: { name: string }) => {
    void this.unwatch(info.name);
    void this.refresh(info.name);
  };

  constructor(private readonly options: WorktreeManagerOptions) {
    super();
    this.registry = new WorktreeRegistry(options.dataDir);
  }

  /** Connect to the SpawnManager (created after this, since it takes this as its hook). */
  bind(workers: WorktreeWorkers): void {
    this.workers = workers;
    workers.on('exit', this.onExit);
  }

  // ---- spawn hook ----

  async prepare(request: { name: string; cwd: string; options: WorktreeOptions }): Promise<PreparedWorktree> {
    const config = loadWorktreeConfig(this.options.projectRoot, this.options.dataDir);
    const created = await createWorktree({ name: request.name, cwd: request.cwd, options: request.options, config, dataDir: this.options.dataDir }).catch((err) => {
      throw asWorkerError(err, `Could not create a worktree for "${request.name}"`);
    });
    this.registry.set(request.name, created.info);
    this.emit('list');
    return {
      cwd: created.cwd,
      info: created.info,
      started: () => {
        void this.watch(request.name, created.info);
        void this.refresh(request.name);
      },
      rollback: async () => {
        this.registry.delete(request.name);
        this.emit('list');
        await removeWorktree(created.info).catch((err) => logger.warn({ err, path: created.info.path }, 'could not remove the worktree of a worker that failed to start'));
      },
    };
  }

  // ---- reads ----

  /** The worktree of `name`: registry first, else the worker record (a lost registry file). */
  info(name: string): WorktreeInfo {
    const info = this.registry.get(name) ?? this.workers?.getWorker(name)?.worktree;
    if (!info) {
      const known = this.workers?.getWorker(name);
      throw new WorkerError(
        known ? 'NO_WORKTREE' : 'NOT_FOUND',
        known ? `Worker "${name}" runs in the project itself, not in a worktree; spawn with worktree to get one.` : `No worker or worktree named "${name}"; GET /api/worktrees lists them.`,
        'name',
      );
    }
    return info;
  }

  has(name: string): boolean {
    return Boolean(this.registry.get(name) ?? this.workers?.getWorker(name)?.worktree);
  }

  async changes(name: string, file?: string): Promise<Changes> {
    const info = this.info(name);
    if (file !== undefined && (file.startsWith('/') || file.split('/').includes('..'))) {
      throw new WorkerError('BAD_REQUEST', `"${file}" is not a path inside the repository; use a path from the changes' file list (relative to the repository root).`, 'worktree');
    }
    return readChanges(name, info, file).catch((err) => {
      throw asWorkerError(err, `Could not read the changes of "${name}"`);
    });
  }

  async patch(name: string): Promise<string> {
    const info = this.info(name);
    return readPatch(info).catch((err) => {
      throw asWorkerError(err, `Could not export the patch of "${name}"`);
    });
  }

  list(): WorktreeListEntry[] {
    return this.registry.all().map(([name, info]) => {
      const worker = this.workers?.getWorker(name);
      const state = this.states.get(name) ?? worker?.worktree?.state;
      return { name, worktree: { ...info, ...(state ? { state } : {}) }, hasWorker: Boolean(worker), live: Boolean(worker && worker.status !== 'exited') };
    });
  }

  /** Worktrees whose workers are gone (after a restart: all of them), with their state, for `up` to list. */
  async leftovers(): Promise<Leftover[]> {
    const out: Leftover[] = [];
    for (const [name, info] of this.registry.all()) {
      const worker = this.workers?.getWorker(name);
      if (worker && worker.status !== 'exited') continue;
      out.push({ name, branch: info.branch, path: info.path, hasWorker: Boolean(worker), state: await this.refresh(name) });
    }
    return out;
  }

  // ---- summary kept current ----

  /** Re-read the summary; concurrent calls share one run (and one more after it if asked meanwhile). */
  refresh(name: string): Promise<WorktreeState | undefined> {
    const current = this.refreshing.get(name);
    if (current) {
      current.again = true;
      return current.running;
    }
    const entry = { running: Promise.resolve<WorktreeState | undefined>(undefined), again: false };
    entry.running = (async () => {
      let state: WorktreeState | undefined;
      do {
        entry.again = false;
        state = await this.readStateOf(name);
      } while (entry.again && !this.closed);
      this.refreshing.delete(name);
      return state;
    })();
    this.refreshing.set(name, entry);
    return entry.running;
  }

  private async readStateOf(name: string): Promise<WorktreeState | undefined> {
    let info: WorktreeInfo;
    try {
      info = this.info(name);
    } catch {
      return undefined;
    }
    let state: WorktreeState;
    try {
      state = await readState(info);
    } catch (err) {
      state = { files: 0, additions: 0, deletions: 0, ahead: 0, uncommitted: false, unmerged: false, checkedAt: Date.now(), error: (err as Error).message };
    }
    if (this.closed) return state;
    const previous = this.states.get(name) ?? this.workers?.getWorker(name)?.worktree?.state;
    this.states.set(name, state);
    if (this.workers?.getWorker(name)) this.workers.setWorktree(name, { ...info, state });
    if (!previous || !sameState(previous, state)) this.emit('changes', { name, state });
    return state;
  }

  private watch(name: string, info: WorktreeInfo): Promise<ChangeWatcher | undefined> {
    const existing = this.watchers.get(name);
    if (existing) return existing;
    const started = watchWorktree(info.path, () => void this.refresh(name)).catch((err) => {
      logger.warn({ err, path: info.path }, 'cannot watch the worktree: its Changes tab updates on request only');
      return undefined;
    });
    this.watchers.set(name, started);
    return started;
  }

  private async unwatch(name: string): Promise<void> {
    const w = this.watchers.get(name);
    this.watchers.delete(name);
    await (await w)?.close();
  }

  // ---- actions ----

  private serial<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(name) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(fn);
    this.queues.set(name, next);
    void next.finally(() => {
      if (this.queues.get(name) === next) this.queues.delete(name);
    }).catch(() => undefined);
    return next;
  }

  private defaultMessage(name: string): string {
    return defaultMessage(name, this.workers?.getWorker(name)?.task);
  }

  commit(name: string, message?: string): Promise<CommitResult> {
    return this.serial(name, async () => {
      const info = this.info(name);
      const result = await commitWorktree(info, message ?? this.defaultMessage(name)).catch((err) => {
        throw asWorkerError(err, `Could not commit the work of "${name}"`);
      });
      await this.refresh(name);
      return result;
    });
  }

  merge(name: string, body: MergeBody): Promise<MergeResult> {
    return this.serial(name, async () => {
      const info = this.info(name);
      const state = await readState(info).catch((err) => {
        throw asWorkerError(err, `Could not read the state of "${name}"`);
      });
      const result = await mergeWorktree(info, { ...body, name, uncommitted: state.uncommitted, commitMessage: this.defaultMessage(name) }).catch((err) => {
        throw asWorkerError(err, `Could not merge the work of "${name}"`);
      });
      await this.refresh(name);
      return result;
    });
  }

  /** Remove worktree and branch and forget them. What is lost is the caller's to confirm (the API asks for discard=1). */
  discard(name: string): Promise<{ removed: string[] }> {
    return this.serial(name, async () => {
      const info = this.info(name);
      await this.unwatch(name);
      const result = await removeWorktree(info).catch((err) => {
        throw asWorkerError(err, `Could not discard the worktree of "${name}"`);
      });
      this.registry.delete(name);
      this.states.delete(name);
      this.emit('list');
      return result;
    });
  }

  /**
   * Before a worker is removed from the list: its worktree goes too when its work is merged; unmerged
   * work stops the removal (UNMERGED_WORK, naming what would be lost) unless `discard` or `keep`.
   */
  async beforeRemove(name: string, options: RemoveOptions = {}): Promise<void> {
    if (!this.has(name)) return;
    if (options.keep) {
      await this.unwatch(name);
      return;
    }
    if (options.discard) {
      await this.discard(name);
      return;
    }
    const changes = await this.changes(name).catch(() => undefined);
    if (!changes) {
      // The directory is gone: only the registry entry and the branch are left.
      const info = this.info(name);
      throw new WorkerError('UNMERGED_WORK', `The worktree ${info.path} of "${name}" cannot be read; remove with discard=1 to delete its branch ${info.branch}, or keep=1 to keep it.`, 'worktree');
    }
    if (changes.unmerged) {
      const what = [
        changes.ahead ? `${changes.ahead} commit(s)` : '',
        changes.uncommitted ? 'uncommitted changes' : '',
        `${changes.files.length} file(s) changed`,
      ].filter(Boolean).join(', ');
      throw new WorkerError(
        'UNMERGED_WORK',
        `"${name}" has work on ${changes.branch} that ${changes.base.branch ?? 'its base'} does not have (${what}). Merge it first, or remove with discard=1 to delete it, or keep=1 to keep the worktree and branch.`,
        'worktree',
        changes.files.map((f) => f.path),
      );
    }
    await this.discard(name);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.workers?.off('exit', this.onExit);
    await Promise.all([...this.watchers.keys()].map((n) => this.unwatch(n)));
  }
}

function sameState(a: WorktreeState, b: WorktreeState): boolean {
  return a.files === b.files && a.additions === b.additions && a.deletions === b.deletions && a.ahead === b.ahead && a.uncommitted === b.uncommitted && a.unmerged === b.unmerged && a.error === b.error && a.tree === b.tree;
}

export function createWorktreeManager(options: WorktreeManagerOptions): WorktreeManager {
  return new WorktreeManager(options);
}
