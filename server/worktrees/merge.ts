import {
  WorkerError,
  type CommitResult, type MergeBody, type MergeResult, type WorktreeInfo,
} from '../../lib/protocol';
import { workPathspec } from './changes';
import { git, identityEnv, runGit, splitZ } from './git';

/**
 * Commit and merge. A merge never leaves either branch half-done: conflicts are found first with
 * `git merge-tree --write-tree` (which writes objects only, no checkout, no index), and only a clean
 * merge moves the base branch: with `git merge` in the checkout that has it (so that checkout's files
 * follow), or by moving the ref when no checkout has it.
 */

const MAX_MESSAGE = 72;

/** The default commit message: the task's first line, else "Work of <name>". */
export function defaultMessage(name: string, task: string | undefined): string {
  const first = task?.split('\n').find((l) => l.trim())?.trim();
  if (!first) return `Work of ${name}`;
  return first.length > MAX_MESSAGE ? `${first.slice(0, MAX_MESSAGE - 1)}…` : first;
}

function busy(err: unknown): WorkerError | undefined {
  const text = (err as { stderr?: string }).stderr ?? '';
  if (/index\.lock|Unable to create .*\.lock/.test(text)) {
    return new WorkerError('BASE_CHECKOUT_BUSY', 'Another git command is running in this worktree (index.lock exists); try again in a moment.', 'worktree');
  }
  return undefined;
}

export async function commitWorktree(info: WorktreeInfo, message: string): Promise<CommitResult> {
  const cwd = info.path;
  try {
    await git(['add', '--all', '--', ...workPathspec(info)], { cwd });
  } catch (err) {
    throw busy(err) ?? err;
  }
  const staged = await git(['diff', '--cached', '--name-only', '-z', 'HEAD'], { cwd });
  const files = splitZ(staged).length;
  if (files === 0) throw new WorkerError('NOTHING_TO_COMMIT', `Nothing to commit in ${info.path}: every change is committed already.`, 'worktree');
  const env = await identityEnv(cwd);
  try {
    // Hooks are skipped: the relay commits for an agent that may be busy; a hook waiting for input would hang it.
    await git(['commit', '--quiet', '--no-verify', '-m', message], { cwd, env });
  } catch (err) {
    throw busy(err) ?? err;
  }
  return { commit: await git(['rev-parse', 'HEAD'], { cwd }), message, files };
}

/** The checkout (main or another worktree) that has `branch` checked out, if any. */
async function checkoutOf(repoRoot: string, branch: string): Promise<string | undefined> {
  const out = await git(['worktree', 'list', '--porcelain', '-z'], { cwd: repoRoot });
  let path: string | undefined;
  for (const field of splitZ(out)) {
    if (field.startsWith('worktree ')) path = field.slice('worktree '.length);
    else if (field === `branch refs/heads/${branch}`) return path;
  }
  return undefined;
}

async function isAncestor(cwd: string, a: string, b: string): Promise<boolean> {
  return (await runGit(['merge-base', '--is-ancestor', a, b], { cwd, allowExit: [1] })).code === 0;
}

export interface MergeInput extends MergeBody {
  name: string;
  /** Used when `commit` is set and there is uncommitted work. */
  commitMessage: string;
  uncommitted: boolean;
}

export async function mergeWorktree(info: WorktreeInfo, input: MergeInput): Promise<MergeResult> {
  const { strategy, name } = input;
  const baseBranch = info.baseBranch;
  if (!baseBranch) {
    throw new WorkerError(
      'NO_BASE_BRANCH',
      `${name} started from ${info.base} (${info.baseCommit.slice(0, 10)}), not from a branch, so there is no branch to merge into. Merge by hand: git merge ${info.branch}.`,
      'worktree',
    );
  }
  let committed: CommitResult | undefined;
  if (input.uncommitted) {
    if (!input.commit) {
      throw new WorkerError(
        'UNCOMMITTED_CHANGES',
        `${name} has changes that are not committed; a merge takes commits only. Commit them first (POST /api/workers/${name}/commit), or merge with commit: true.`,
        'worktree',
      );
    }
    committed = await commitWorktree(info, input.commitMessage);
  }
  const repo = info.repoRoot;
  const [tip, baseTip] = await Promise.all([git(['rev-parse', `refs/heads/${info.branch}`], { cwd: repo }), git(['rev-parse', `refs/heads/${baseBranch}`], { cwd: repo })]);
  const result = (commit: string, upToDate: boolean, checkout?: string): MergeResult => ({
    merged: true, strategy, baseBranch, commit, upToDate, ...(checkout ? { checkout } : {}), ...(committed ? { committed } : {}),
  });
  if (await isAncestor(repo, tip, baseTip)) return result(baseTip, true);

  const fastForward = await isAncestor(repo, baseTip, tip);
  if (strategy === 'ff' && !fastForward) {
    throw new WorkerError(
      'NOT_FAST_FORWARD',
      `${baseBranch} has commits that ${info.branch} does not, so it cannot be fast-forwarded. Merge with a merge commit (strategy "merge"), or rebase ${info.branch} onto ${baseBranch} first.`,
      'worktree',
    );
  }
  let tree: string | undefined;
  if (strategy === 'merge') {
    const r = await runGit(['merge-tree', '--write-tree', '--name-only', '-z', baseTip, tip], { cwd: repo, allowExit: [1] });
    // -z --name-only: "<tree>\0<file>\0…\0\0<messages>".
    const fields = splitZ(`${r.stdout.split('\0\0')[0]}\0`);
    tree = fields[0];
    if (r.code === 1) {
      const files = [...new Set(fields.slice(1))];
      throw new WorkerError(
        'MERGE_CONFLICT',
        `Merging ${info.branch} into ${baseBranch} conflicts in ${files.join(', ')}. Nothing was changed on either branch. Resolve it in the worktree (merge ${baseBranch} into ${info.branch} there, or ask the agent to), then merge again.`,
        'worktree',
        files,
      );
    }
  }
  const message = input.message ?? `Merge ${info.branch} (${name}) into ${baseBranch}`;
  const checkout = await checkoutOf(repo, baseBranch);
  if (checkout) {
    // The checkout's own files must follow: let git merge there. It refuses, before touching anything,
    // when the merge would overwrite that checkout's uncommitted changes.
    const args = strategy === 'ff' ? ['merge', '--ff-only', '--quiet', tip] : ['merge', '--no-ff', '--no-edit', '--quiet', '-m', message, tip];
    const r = await runGit(args, { cwd: checkout, env: await identityEnv(checkout), allowExit: [1, 128] });
    if (r.code !== 0) {
      const text = `${r.stdout}\n${r.stderr}`;
      const files = [...text.matchAll(/^\t(.+)$/gm)].map((m) => m[1].trim());
      if (/CONFLICT/.test(text)) await runGit(['merge', '--abort'], { cwd: checkout, allowExit: [128] });
      throw new WorkerError(
        'BASE_CHECKOUT_BUSY',
        `git merge in ${checkout} (where ${baseBranch} is checked out) refused: ${r.stderr.trim().split('\n')[0] || r.stdout.trim().split('\n')[0]}. Commit or stash the changes there${files.length ? ` (${files.join(', ')})` : ''}, then merge again.`,
        'worktree',
        files.length ? files : undefined,
      );
    }
    return result(await git(['rev-parse', 'HEAD'], { cwd: checkout }), false, checkout);
  }
  let next = tip;
  if (strategy === 'merge') {
    next = await git(['commit-tree', tree!, '-p', baseTip, '-p', tip, '-m', message], { cwd: repo, env: await identityEnv(repo) });
  }
  // Compare-and-swap: if the base moved meanwhile, git refuses and nothing changes.
  await git(['update-ref', '-m', `agent-relay: merge ${info.branch}`, `refs/heads/${baseBranch}`, next, baseTip], { cwd: repo });
  return result(next, false);
}
