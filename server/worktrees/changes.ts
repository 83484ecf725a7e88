import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  DIFF_MAX_BYTES, WorkerError,
  type Changes, type FileChange, type WorktreeInfo, type WorktreeState,
} from '../../lib/protocol';
import { git, runGit, splitZ } from './git';

/**
 * A worktree's work against its base: committed and uncommitted, untracked files included, without
 * touching the agent's own index. The trick: a copy of the worktree's index (its stat cache makes
 * `git add -A` hash only what changed) takes every change, and `git diff --cached` compares that copy
 * with the base. The copy is deleted afterwards; blobs it wrote are ordinary loose objects.
 */

interface Snapshot {
  head: string;
  /** The commit diffs are taken against. */
  base: string;
  /** Runs git with the snapshot index. */
  env: Record<string, string>;
  dispose(): void;
}

/** Copied-in files (config `worktree.copy`, e.g. .env) never count as work: they are left out of diffs and commits. */
export function workPathspec(info: WorktreeInfo): string[] {
  return [':(top)', ...(info.exclude ?? []).map((p) => `:(top,literal,exclude)${p}`)];
}

/** A worktree's git dir never moves: asked once per path. */
const gitDirs = new Map<string, string>();

/**
 * Two rounds of git, each in parallel (GET /changes must answer in well under 300 ms on a loaded
 * machine, and every git process costs a spawn): the snapshot index, HEAD and the merge base first,
 * then the diffs against them.
 */
async function snapshot(info: WorktreeInfo): Promise<Snapshot> {
  if (!existsSync(info.path)) {
    throw new WorkerError('NO_WORKTREE', `The worktree ${info.path} is gone (deleted by hand?). Discard it to forget it: agent-relay discard <name>.`, 'worktree');
  }
  const cwd = info.path;
  let gitDir = gitDirs.get(cwd);
  if (!gitDir) {
    gitDir = await git(['rev-parse', '--absolute-git-dir'], { cwd });
    gitDirs.set(cwd, gitDir);
  }
  const index = join(tmpdir(), `agent-relay-index-${process.pid}-${randomBytes(6).toString('hex')}`);
  const env = { GIT_INDEX_FILE: index };
  const dispose = () => {
    rmSync(index, { force: true });
    rmSync(`${index}.lock`, { force: true });
  };
  try {
    if (existsSync(join(gitDir, 'index'))) copyFileSync(join(gitDir, 'index'), index);
    const [head, mergeBase] = await Promise.all([
      git(['rev-parse', 'HEAD'], { cwd }),
      info.baseBranch ? runGit(['merge-base', `refs/heads/${info.baseBranch}`, 'HEAD'], { cwd, allowExit: [1, 128] }) : undefined,
      git(['add', '--all', '--', ...workPathspec(info)], { cwd, env }),
    ]);
    // The merge base with the base branch (so work already merged drops out), else the commit it started from.
    const base = mergeBase?.code === 0 && mergeBase.stdout.trim() ? mergeBase.stdout.trim() : info.baseCommit;
    return { head, base, env, dispose };
  } catch (err) {
    dispose();
    gitDirs.delete(cwd);
    throw err;
  }
}

const STATUS: Record<string, FileChange['status']> = { A: 'added', M: 'modified', D: 'deleted', R: 'renamed', C: 'copied', T: 'typechange' };

/**
 * `git diff -z --raw --numstat [-p]` in one process: raw entries (":modes shas STATUS\0path\0", a
 * rename "R100\0old\0new\0"), then numstat entries ("a\td\tpath\0", a rename "a\td\t\0old\0new\0"),
 * then, with -p, a NUL and the patch.
 */
export function parseDiffOutput(out: string): { files: FileChange[]; patch: string } {
  const cut = out.indexOf('\0\0diff --git ');
  const head = cut === -1 ? out : out.slice(0, cut + 1);
  const patch = cut === -1 ? '' : out.slice(cut + 2);
  const f = splitZ(head);
  const raw: Array<{ path: string; oldPath?: string; status: FileChange['status'] }> = [];
  let i = 0;
  for (; i < f.length && f[i].startsWith(':'); i++) {
    const letter = f[i].split(' ')[4]?.[0] ?? 'M';
    if (letter === 'R' || letter === 'C') {
      raw.push({ status: STATUS[letter], oldPath: f[i + 1], path: f[i + 2] });
      i += 2;
    } else {
      raw.push({ status: STATUS[letter] ?? 'modified', path: f[i + 1] });
      i += 1;
    }
  }
  const counts = new Map<string, { additions: number; deletions: number; binary: boolean }>();
  for (; i < f.length; i++) {
    const [add, del, path] = f[i].split('\t');
    const file = path === '' ? f[(i += 2)] : path;
    const binary = add === '-';
    counts.set(file, { additions: binary ? 0 : Number(add), deletions: binary ? 0 : Number(del), binary });
  }
  const files = raw.map(({ path, oldPath, status }) => ({ path, ...(oldPath ? { oldPath } : {}), status, ...(counts.get(path) ?? { additions: 0, deletions: 0, binary: false }) }));
  return { files, patch };
}

function limitTo(file: string | undefined): string[] {
  return file ? [`:(top,literal)${file}`] : [];
}

async function diffOf(info: WorktreeInfo, snap: Snapshot, options: { file?: string; patch: boolean }): Promise<{ files: FileChange[]; patch: string }> {
  const pathspec = options.file ? limitTo(options.file) : workPathspec(info);
  const args = ['diff', '--cached', '-M', '-z', '--raw', '--numstat', ...(options.patch ? ['-p', '--no-color', '--no-ext-diff'] : []), snap.base, '--', ...pathspec];
  return parseDiffOutput((await runGit(args, { cwd: info.path, env: snap.env })).stdout);
}

interface Progress {
  ahead: number;
  uncommitted: boolean;
  commits: Array<{ sha: string; subject: string }>;
}

const MAX_COMMITS = 100;

async function progress(info: WorktreeInfo, snap: Snapshot): Promise<Progress> {
  const cwd = info.path;
  const [log, dirty] = await Promise.all([
    git(['log', `--max-count=${MAX_COMMITS + 1}`, '--format=%H%x00%s%x00', `${snap.base}..${snap.head}`], { cwd }),
    runGit(['diff-index', '--cached', '--quiet', 'HEAD', '--', ...workPathspec(info)], { cwd, env: snap.env, allowExit: [1] }),
  ]);
  const fields = splitZ(log.replace(/\n/g, ''));
  const commits: Progress['commits'] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) commits.push({ sha: fields[i], subject: fields[i + 1] });
  // Commits past the merge base are the ones the base branch lacks; counted in full only when many.
  const ahead = commits.length > MAX_COMMITS ? Number(await git(['rev-list', '--count', `${snap.base}..${snap.head}`], { cwd })) : commits.length;
  return { ahead, uncommitted: dirty.code === 1, commits: commits.slice(0, MAX_COMMITS) };
}

function stateOf(files: FileChange[], p: Progress): WorktreeState {
  return {
    files: files.length,
    additions: files.reduce((n, f) => n + f.additions, 0),
    deletions: files.reduce((n, f) => n + f.deletions, 0),
    ahead: p.ahead,
    uncommitted: p.uncommitted,
    unmerged: p.uncommitted || p.ahead > 0,
    checkedAt: Date.now(),
  };
}

/** The summary the list and the `worker:changes` event carry (no diff text). */
export async function readState(info: WorktreeInfo): Promise<WorktreeState> {
  const snap = await snapshot(info);
  try {
    const [{ files }, p, tree] = await Promise.all([diffOf(info, snap, { patch: false }), progress(info, snap), git(['write-tree'], { cwd: info.path, env: snap.env })]);
    return { ...stateOf(files, p), tree };
  } finally {
    snap.dispose();
  }
}

/** GET /changes: files, counts, commits and the unified diff (of one file with `file`). */
export async function readChanges(name: string, info: WorktreeInfo, file?: string): Promise<Changes> {
  const snap = await snapshot(info);
  try {
    const [{ files, patch }, all, p] = await Promise.all([
      diffOf(info, snap, { file, patch: true }),
      file ? diffOf(info, snap, { patch: false }) : Promise.resolve(undefined),
      progress(info, snap),
    ]);
    const cut = cutDiff(patch);
    const state = stateOf(all?.files ?? files, p);
    return {
      name,
      branch: info.branch,
      path: info.path,
      base: { ref: info.base, ...(info.baseBranch ? { branch: info.baseBranch } : {}), commit: snap.base },
      head: snap.head,
      files,
      additions: files.reduce((n, f) => n + f.additions, 0),
      deletions: files.reduce((n, f) => n + f.deletions, 0),
      commits: p.commits,
      ahead: state.ahead,
      uncommitted: state.uncommitted,
      unmerged: state.unmerged,
      diff: cut.diff,
      truncated: cut.truncated,
    };
  } finally {
    snap.dispose();
  }
}

/** The whole change as a patch `git apply` takes (binary hunks included). Never cut. */
export async function readPatch(info: WorktreeInfo): Promise<string> {
  const snap = await snapshot(info);
  try {
    return (
      await runGit(['diff', '--cached', '-M', '--binary', '--no-color', '--no-ext-diff', '--full-index', snap.base, '--', ...workPathspec(info)], { cwd: info.path, env: snap.env })
    ).stdout;
  } finally {
    snap.dispose();
  }
}

/** A diff over DIFF_MAX_BYTES is cut before the file where it passes the limit. */
function cutDiff(diff: string): { diff: string; truncated: boolean } {
  if (diff.length <= DIFF_MAX_BYTES) return { diff, truncated: false };
  const at = diff.lastIndexOf('\ndiff --git ', DIFF_MAX_BYTES);
  return { diff: diff.slice(0, at > 0 ? at + 1 : DIFF_MAX_BYTES), truncated: true };
}
