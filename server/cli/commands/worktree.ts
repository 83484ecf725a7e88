import type { Command } from 'commander';
import { createInterface } from 'node:readline/promises';
import type { Changes, CommitResult, MergeResult, WorktreeListEntry, WorktreeState } from '../../../lib/protocol';
import { CliError, EXIT, type CliContext } from '../context';
import { apiRequest, findDashboard } from '../dashboard';
import { table } from '../format';

/**
 * Review and keep (or drop) what a worker did in its worktree (docs/worktrees.md): `diff`, `commit`,
 * `merge`, `discard`, `worktrees`. Through the dashboard's HTTP API, like `logs`: git runs in the
 * relay, next to the worktrees it made.
 */

const path = (name: string, tail = '') => `/api/workers/${encodeURIComponent(name)}${tail}`;
const STATUS_LETTER: Record<string, string> = { added: 'A', modified: 'M', deleted: 'D', renamed: 'R', copied: 'C', typechange: 'T' };

export function describeState(state: WorktreeState | undefined): string {
  if (!state) return 'not checked yet';
  if (state.error) return `unreadable: ${state.error}`;
  if (!state.unmerged) return 'merged';
  return `unmerged: ${state.files} file(s) +${state.additions} -${state.deletions}${state.ahead ? `, ${state.ahead} commit(s)` : ''}${state.uncommitted ? ', uncommitted' : ''}`;
}

function summary(c: Changes): string {
  const lines = [
    `${c.name}: ${c.branch} against ${c.base.branch ?? c.base.ref} (${c.base.commit.slice(0, 10)}) in ${c.path}`,
    `${c.files.length} file(s), +${c.additions} -${c.deletions}; ${c.ahead} commit(s)${c.uncommitted ? ', uncommitted changes' : ''}; ${c.unmerged ? 'not merged' : 'nothing to merge'}`,
    ...c.files.map((f) => `  ${STATUS_LETTER[f.status] ?? '?'} ${f.oldPath ? `${f.oldPath} -> ` : ''}${f.path}  ${f.binary ? 'binary' : `+${f.additions} -${f.deletions}`}`),
  ];
  return lines.join('\n');
}

async function confirm(ctx: CliContext, question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('diff <name>')
    .description("a worker's changes against its base: files with +/- counts, then the unified diff")
    .option('--file <path>', 'one file only')
    .option('--stat', 'the file list only')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { file?: string; stat?: boolean; json?: boolean }) => {
      const access = await findDashboard(ctx);
      const q = opts.file ? `?file=${encodeURIComponent(opts.file)}` : '';
      const changes = (await (await apiRequest(access, 'GET', path(name, `/changes${q}`))).json()) as Changes;
      if (opts.json) return ctx.printJson(changes);
      ctx.print(summary(changes));
      if (!opts.stat && changes.diff) {
        ctx.print();
        ctx.stdout.write(changes.diff);
        if (changes.truncated) ctx.print(`(diff cut; see one file with --file, or all of it with: curl …${path(name, '/patch')})`);
      }
    });

  program
    .command('commit <name>')
    .description("commit everything in a worker's worktree (message: -m, else the worker's task)")
    .option('-m, --message <text>', 'commit message')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { message?: string; json?: boolean }) => {
      const access = await findDashboard(ctx);
      const r = (await (await apiRequest(access, 'POST', path(name, '/commit'), opts.message ? { message: opts.message } : {})).json()) as CommitResult;
      if (opts.json) return ctx.printJson(r);
      ctx.print(`Committed ${r.files} file(s) as ${r.commit.slice(0, 10)}: ${r.message}`);
    });

  program
    .command('merge <name>')
    .description("merge a worker's branch into its base branch (fast-forward by default; --merge for a merge commit)")
    .option('--merge', 'always make a merge commit (works when the base has moved on)')
    .option('--ff', 'fast-forward only (the default)')
    .option('--commit', 'commit uncommitted work first (message: the task)')
    .option('-m, --message <text>', 'merge commit message')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { merge?: boolean; ff?: boolean; commit?: boolean; message?: string; json?: boolean }) => {
      if (opts.merge && opts.ff) throw new CliError('Choose --ff or --merge, not both.', EXIT.USAGE);
      const access = await findDashboard(ctx);
      const body = { strategy: opts.merge ? 'merge' : 'ff', ...(opts.commit ? { commit: true } : {}), ...(opts.message ? { message: opts.message } : {}) };
      const r = (await (await apiRequest(access, 'POST', path(name, '/merge'), body)).json()) as MergeResult;
      if (opts.json) return ctx.printJson(r);
      if (r.upToDate) return ctx.print(`${r.baseBranch} already has everything from ${name}; nothing to merge.`);
      ctx.print(`Merged ${name} into ${r.baseBranch} (${r.strategy === 'ff' ? 'fast-forward' : 'merge commit'}), now at ${r.commit.slice(0, 10)}${r.checkout ? ` in ${r.checkout}` : ''}.`);
    });

  program
    .command('discard <name>')
    .description("delete a worker's worktree and branch, with what they hold (asks first; --yes to skip)")
    .option('-y, --yes', 'do not ask')
    .action(async (name: string, opts: { yes?: boolean }) => {
      const access = await findDashboard(ctx);
      const changes = (await (await apiRequest(access, 'GET', path(name, '/changes'))).json()) as Changes;
      ctx.stderr.write(`${summary(changes)}\n`);
      const lost = changes.unmerged ? `This deletes ${changes.path} and branch ${changes.branch} with ${changes.files.length} changed file(s) not merged.` : `This deletes ${changes.path} and branch ${changes.branch} (everything in it is merged).`;
      if (!opts.yes && !(await confirm(ctx, `${lost} Discard?`))) {
        throw new CliError(`${lost} Nothing was deleted: run again with --yes to discard.`, process.stdin.isTTY ? EXIT.FAILURE : EXIT.USAGE);
      }
      const list = (await (await apiRequest(access, 'GET', '/api/worktrees')).json()) as { worktrees: WorktreeListEntry[] };
      const entry = list.worktrees.find((w) => w.name === name);
      if (entry?.hasWorker || !entry) await apiRequest(access, 'DELETE', path(name, '?remove=1&discard=1&reason=discarded'));
      else await apiRequest(access, 'DELETE', `/api/worktrees/${encodeURIComponent(name)}`);
      ctx.print(`Discarded ${name}: removed ${changes.path} and branch ${changes.branch}.`);
    });

  program
    .command('worktrees')
    .description('every worktree the relay made, with its branch and whether its work is merged')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const access = await findDashboard(ctx);
      const { worktrees } = (await (await apiRequest(access, 'GET', '/api/worktrees')).json()) as { worktrees: WorktreeListEntry[] };
      if (opts.json) return ctx.printJson(worktrees);
      if (worktrees.length === 0) return ctx.print('No worktrees. Spawn with --worktree to give a worker one.');
      ctx.print(
        table(
          ['NAME', 'BRANCH', 'WORKER', 'STATE', 'PATH'],
          worktrees.map((w) => [w.name, w.worktree.branch, w.live ? 'running' : w.hasWorker ? 'exited' : 'none', describeState(w.worktree.state), w.worktree.path]),
        ),
      );
    });
}
