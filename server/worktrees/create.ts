import { cpSync, existsSync, mkdirSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, normalize, relative, sep } from 'node:path';
import { WorkerError, type WorktreeInfo, type WorktreeOptions } from '../../lib/protocol';
import type { WorktreeConfig } from './config';
import { git, runGit, splitZ } from './git';

/**
 * `git worktree add` for a new worker: validate everything first (repository, base, branch, a dirty
 * checkout), so a refusal leaves nothing behind; then add the worktree on a new branch, copy the
 * configured files in, and work out where in it the worker starts.
 */

export interface CreateRequest {
  name: string;
  /** The spawn's cwd (absolute, existing). */
  cwd: string;
  options: WorktreeOptions;
  config: WorktreeConfig;
  /** The relay's data dir: kept out of `git status` (a `.gitignore` of `*` in it) when it lies in the repository. */
  dataDir: string;
}

export interface Created {
  info: WorktreeInfo;
  /** Where the worker starts: the worktree, or the same sub-directory of it as the spawn's cwd. */
  cwd: string;
}

const MAX_FILES_NAMED = 10;

export async function repoRootOf(cwd: string): Promise<string> {
  const r = await runGit(['rev-parse', '--show-toplevel'], { cwd, allowExit: [128] });
  if (r.code !== 0) {
    throw new WorkerError(
      'NOT_A_REPOSITORY',
      `${cwd} is not inside a git repository, so the worker cannot get a worktree. Run "git init" there (and commit), choose a directory inside a repository, or spawn without a worktree.`,
      'worktree',
    );
  }
  return r.stdout.trim();
}

async function resolveCommit(repo: string, ref: string): Promise<string | undefined> {
  // --end-of-options: a base like "--output=x" is a revision to look up, never an option.
  const r = await runGit(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], { cwd: repo, allowExit: [1, 128] });
  return r.code === 0 ? r.stdout.trim() : undefined;
}

async function branchExists(repo: string, branch: string): Promise<boolean> {
  const r = await runGit(['show-ref', '--verify', '--quiet', `refs/heads/${branch}`], { cwd: repo, allowExit: [1] });
  return r.code === 0;
}

async function validBranchName(repo: string, branch: string): Promise<boolean> {
  const r = await runGit(['check-ref-format', '--branch', branch], { cwd: repo, allowExit: [1, 128] });
  return r.code === 0 && !branch.startsWith('-');
}

/** Files the checkout has that are not committed (`git status --porcelain`), relay data excluded. */
export async function uncommittedFiles(cwd: string): Promise<string[]> {
  const out = await git(['status', '--porcelain', '-z', '--untracked-files=normal'], { cwd });
  const files: string[] = [];
  const fields = splitZ(out);
  for (let i = 0; i < fields.length; i++) {
    const entry = fields[i];
    files.push(entry.slice(3));
    if (entry[0] === 'R' || entry[0] === 'C') i++; // the rename's source follows
  }
  return files;
}

function describeFiles(files: string[]): string {
  const named = files.slice(0, MAX_FILES_NAMED).join(', ');
  return files.length > MAX_FILES_NAMED ? `${named} and ${files.length - MAX_FILES_NAMED} more` : named;
}

/** A `.gitignore` of `*` in the data dir: relay.db, tokens and worktrees never show in (or get into) the project's commits. */
function ignoreDataDir(dataDir: string, repoRoot: string): void {
  const rel = relative(repoRoot, dataDir);
  if (rel.startsWith('..') || isAbsolute(rel)) return;
  const file = join(dataDir, '.gitignore');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(file, '# agent-relay data (database, token, logs, worktrees): never part of the project.\n*\n');
  }
}

/** A config `copy` entry as a path inside the repository, or undefined when it points outside. */
function insideRepo(entry: string): string | undefined {
  const clean = normalize(entry).replace(/^(\.\/)+/, '');
  if (!clean || clean === '.' || isAbsolute(clean) || clean === '..' || clean.startsWith(`..${sep}`)) return undefined;
  return clean;
}

export async function createWorktree(req: CreateRequest): Promise<Created> {
  const { name, options, config } = req;
  const cwd = realpathSync(req.cwd);
  const repoRoot = await repoRootOf(cwd);
  ignoreDataDir(realpathOr(req.dataDir), repoRoot);

  const head = await resolveCommit(repoRoot, 'HEAD');
  if (!head) {
    throw new WorkerError('UNKNOWN_BASE', `The repository at ${repoRoot} has no commit yet, so there is nothing to branch from. Make a first commit, then spawn again.`, 'worktree');
  }
  const baseRef = options.base?.trim() || 'HEAD';
  const baseCommit = baseRef === 'HEAD' ? head : await resolveCommit(repoRoot, baseRef);
  if (!baseCommit) {
    throw new WorkerError('UNKNOWN_BASE', `"${baseRef}" is not a branch, tag or commit in ${repoRoot}. Check the name (git branch -a lists branches), or leave the base empty to start from the current HEAD.`, 'worktree');
  }
  const baseBranch =
    baseRef === 'HEAD'
      ? (await runGit(['symbolic-ref', '--quiet', '--short', 'HEAD'], { cwd: repoRoot, allowExit: [1, 128] })).stdout.trim() || undefined
      : (await branchExists(repoRoot, baseRef)) ? baseRef : undefined;

  const branch = options.branch?.trim() || `relay/${name}`;
  if (!(await validBranchName(repoRoot, branch))) {
    throw new WorkerError('BAD_REQUEST', `"${branch}" is not a valid git branch name (see git check-ref-format); choose another.`, 'worktree');
  }
  if (await branchExists(repoRoot, branch)) {
    throw new WorkerError(
      'BRANCH_TAKEN',
      `The branch "${branch}" already exists in ${repoRoot}. Choose another branch name, or discard the old worktree (agent-relay discard ${name}) if it was an earlier worker's.`,
      'worktree',
    );
  }

  if (baseCommit === head && !options.allowDirty) {
    const dirty = await uncommittedFiles(repoRoot);
    if (dirty.length) {
      throw new WorkerError(
        'DIRTY_BASE',
        `The checkout at ${repoRoot} has uncommitted changes (${describeFiles(dirty)}); the worktree starts from the last commit and will not have them. Commit or stash them first, or confirm to start without them.`,
        'worktree',
        dirty,
      );
    }
  }

  const path = join(config.dir, name);
  if (existsSync(path) && readdirSync(path).length > 0) {
    throw new WorkerError(
      'BRANCH_TAKEN',
      `${path} already exists and is not empty (an earlier worker's worktree?). Discard it (agent-relay discard ${name}) or choose another worker name.`,
      'worktree',
    );
  }
  mkdirSync(config.dir, { recursive: true });
  await git(['worktree', 'add', '--quiet', '-b', branch, path, baseCommit], { cwd: repoRoot });

  const copied: string[] = [];
  const missing: string[] = [];
  for (const entry of config.copy) {
    const rel = insideRepo(entry);
    if (!rel) {
      missing.push(entry);
      continue;
    }
    const from = join(repoRoot, rel);
    if (!existsSync(from)) {
      missing.push(entry);
      continue;
    }
    cpSync(from, join(path, rel), { recursive: true, preserveTimestamps: true, force: true, errorOnExist: false });
    copied.push(rel);
  }

  // Ignored copies (.env in .gitignore) stay out of diffs by themselves; the others are excluded by name.
  const exclude: string[] = [];
  if (copied.length) {
    const r = await runGit(['-c', 'core.quotePath=false', 'check-ignore', '--no-index', '--', ...copied], { cwd: path, allowExit: [1] });
    const ignored = new Set(r.stdout.split('\n').filter(Boolean));
    exclude.push(...copied.filter((p) => !ignored.has(p)));
  }

  const subdir = relative(repoRoot, cwd);
  const startIn = subdir ? join(path, subdir) : path;
  // A sub-directory the base commit does not have (untracked in the checkout) is made, so the worker still starts there.
  mkdirSync(startIn, { recursive: true });

  const info: WorktreeInfo = {
    path,
    branch,
    repoRoot,
    base: baseRef,
    ...(baseBranch ? { baseBranch } : {}),
    baseCommit,
    subdir,
    copied,
    ...(missing.length ? { missing } : {}),
    ...(exclude.length ? { exclude } : {}),
    createdAt: Date.now(),
  };
  return { info, cwd: startIn };
}

function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Remove a worktree and its branch (discard, or a rollback of a spawn that failed after `worktree add`). */
export async function removeWorktree(info: WorktreeInfo): Promise<{ removed: string[] }> {
  const removed: string[] = [];
  if (existsSync(info.path)) {
    await git(['worktree', 'remove', '--force', '--force', info.path], { cwd: info.repoRoot });
    removed.push(info.path);
  }
  if (await branchExists(info.repoRoot, info.branch)) {
    // The name passed check-ref-format and cannot start with "-" (validated at creation).
    await git(['branch', '-D', info.branch], { cwd: info.repoRoot });
    removed.push(`branch ${info.branch}`);
  }
  await git(['worktree', 'prune'], { cwd: info.repoRoot });
  return { removed };
}
