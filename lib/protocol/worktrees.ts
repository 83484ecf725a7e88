import { z } from 'zod';

/**
 * Worktree isolation (docs/worktrees.md): the `worktree` spawn option, the worktree a worker runs in,
 * its changes against the base, and the bodies of commit / merge. Shared by the SpawnManager, the HTTP
 * API, socket.io, the CLI and MCP. No imports beyond zod, so the dashboard bundle can take it.
 */

/** A branch name or revision a person typed: git validates it; this only bounds it. */
const RefSchema = z.string().min(1).max(255);

export const WorktreeOptionsSchema = z.object({
  /** Revision the new branch starts from (a branch, tag or commit). Default: the project's current HEAD. */
  base: RefSchema.optional(),
  /** The new branch. Default `relay/<worker name>`. */
  branch: RefSchema.optional(),
  /**
   * Start from HEAD although the project's checkout has uncommitted changes (they are not in the
   * worktree). Without it such a spawn is refused with DIRTY_BASE, naming the files.
   */
  allowDirty: z.boolean().optional(),
});
export type WorktreeOptions = z.infer<typeof WorktreeOptionsSchema>;

/** SPAWN / POST /api/workers extension field: `true`, or options. Absent or `false`: no worktree. */
export const WorktreeOptionSchema = z.union([z.boolean(), WorktreeOptionsSchema]);
export type WorktreeOption = z.infer<typeof WorktreeOptionSchema>;

/** `true` / options → options; `false` / absent → undefined. */
export function worktreeOptions(option: WorktreeOption | undefined): WorktreeOptions | undefined {
  if (option === undefined || option === false) return undefined;
  return option === true ? {} : option;
}

/** What is unmerged in a worktree, kept current by the file watcher (WorkerInfo.worktree.state). */
export const WorktreeStateSchema = z.object({
  /** Files that differ from the base (committed or not, untracked included). */
  files: z.number(),
  additions: z.number(),
  deletions: z.number(),
  /** Commits on the branch that the base branch does not have. */
  ahead: z.number(),
  /** Changes not committed yet (modified, staged or untracked files). */
  uncommitted: z.boolean(),
  /** Anything here that the base branch does not have: removing it would lose work. */
  unmerged: z.boolean(),
  checkedAt: z.number(),
  /** The git tree of the work as it is now: changes whenever any content changes (the UI refetches the diff then). */
  tree: z.string().optional(),
  /** Why the state could not be read (the worktree directory is gone, git failed). */
  error: z.string().optional(),
});
export type WorktreeState = z.infer<typeof WorktreeStateSchema>;

/** The worktree a worker runs in (WorkerInfo.worktree). */
export const WorktreeInfoSchema = z.object({
  /** The worktree's directory. */
  path: z.string(),
  branch: z.string(),
  /** Top of the repository the worktree belongs to (the main checkout). */
  repoRoot: z.string(),
  /** The base as asked for (`HEAD` when none was given). */
  base: z.string(),
  /** The local branch merges go into: the base when it names one, else the branch checked out at spawn. */
  baseBranch: z.string().optional(),
  /** The commit the branch was created at. */
  baseCommit: z.string(),
  /** The spawn's cwd below the repository root ('' at the root); the worker starts there in the worktree. */
  subdir: z.string(),
  /** Files copied in from the project (config `worktree.copy`), and those listed but not found. */
  copied: z.array(z.string()),
  missing: z.array(z.string()).optional(),
  /** Copied files that git does not ignore: left out of diffs and commits by name (ignored ones are out anyway). */
  exclude: z.array(z.string()).optional(),
  createdAt: z.number(),
  state: WorktreeStateSchema.optional(),
});
export type WorktreeInfo = z.infer<typeof WorktreeInfoSchema>;

export const FileChangeSchema = z.object({
  path: z.string(),
  /** The old path of a rename or copy. */
  oldPath: z.string().optional(),
  status: z.enum(['added', 'modified', 'deleted', 'renamed', 'copied', 'typechange']),
  /** Lines added and removed; 0 and `binary: true` for binary files. */
  additions: z.number(),
  deletions: z.number(),
  binary: z.boolean(),
});
export type FileChange = z.infer<typeof FileChangeSchema>;

export const CommitSummarySchema = z.object({ sha: z.string(), subject: z.string() });

/** GET /api/workers/:name/changes: the worker's work against its base, committed and uncommitted. */
export const ChangesSchema = z.object({
  name: z.string(),
  branch: z.string(),
  path: z.string(),
  base: z.object({
    ref: z.string(),
    branch: z.string().optional(),
    /** What the diff is taken against: the merge base of the branch and the base branch (or the base commit). */
    commit: z.string(),
  }),
  head: z.string(),
  files: z.array(FileChangeSchema),
  additions: z.number(),
  deletions: z.number(),
  /** Commits on the branch since the base, newest first (at most 100). */
  commits: z.array(CommitSummarySchema),
  ahead: z.number(),
  uncommitted: z.boolean(),
  unmerged: z.boolean(),
  /** The unified diff (`git diff` format), of one file with `?file=`. */
  diff: z.string(),
  /** The diff was cut at DIFF_MAX_BYTES: ask for one file with `?file=`, or GET /patch for all of it. */
  truncated: z.boolean(),
});
export type Changes = z.infer<typeof ChangesSchema>;

/** Largest unified diff answered inline by GET /changes; /patch is never cut. */
export const DIFF_MAX_BYTES = 8 * 1024 * 1024;

/** The `worker:changes` socket.io event and what the watcher emits. */
export const WorkerChangesEventSchema = z.object({ name: z.string(), state: WorktreeStateSchema });
export type WorkerChangesEvent = z.infer<typeof WorkerChangesEventSchema>;

export const CommitBodySchema = z.object({
  /** Default: the worker's task (first line), else "Work of <name>". */
  message: z.string().min(1).max(64 * 1024).optional(),
});
export const CommitResultSchema = z.object({ commit: z.string(), message: z.string(), files: z.number() });
export type CommitResult = z.infer<typeof CommitResultSchema>;

export const MergeStrategySchema = z.enum(['ff', 'merge']);
export type MergeStrategy = z.infer<typeof MergeStrategySchema>;
export const MergeBodySchema = z.object({
  /** `ff`: fast-forward only; `merge`: always a merge commit. */
  strategy: MergeStrategySchema,
  /** Merge commit message (strategy `merge`). */
  message: z.string().min(1).max(64 * 1024).optional(),
  /** Commit uncommitted work first (with the default commit message); without it such a merge is refused. */
  commit: z.boolean().optional(),
});
export type MergeBody = z.infer<typeof MergeBodySchema>;
export const MergeResultSchema = z.object({
  merged: z.literal(true),
  strategy: MergeStrategySchema,
  baseBranch: z.string(),
  /** The base branch's new tip. */
  commit: z.string(),
  /** The base already had everything: nothing changed. */
  upToDate: z.boolean(),
  /** Where the merge ran: the checkout holding the base branch, or none (only the ref moved). */
  checkout: z.string().optional(),
  committed: CommitResultSchema.optional(),
});
export type MergeResult = z.infer<typeof MergeResultSchema>;

/** GET /api/worktrees: every worktree the relay made, with or without a worker. */
export const WorktreeListEntrySchema = z.object({
  name: z.string(),
  worktree: WorktreeInfoSchema,
  /** The worker is listed (live or exited); false: only the worktree is left (a removed worker, a lost record). */
  hasWorker: z.boolean(),
  live: z.boolean(),
});
export type WorktreeListEntry = z.infer<typeof WorktreeListEntrySchema>;
