import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Changes } from '../../lib/protocol';
import { MeasureError, type BenchContext, type SectionResult } from '../context';
import { releaseWorker, spawnWorker } from '../relay';
import { median, msSince, percentile, round } from '../stats';

/**
 * GET /api/workers/:name/changes on a worktree holding a 5,000-line change (every line of a
 * 5,000-line file rewritten, uncommitted), through the HTTP API as the dashboard asks; beside it the
 * raw baseline: a plain `git diff` of the same change in the same worktree, in the same run.
 */

const exec = promisify(execFile);
const LINES = 5000;
const git = (cwd: string, ...args: string[]) => exec('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', ...args], { cwd, maxBuffer: 64 * 1024 * 1024 });
const body = (tag: string) => Array.from({ length: LINES }, (_, i) => `line ${i + 1} ${tag}: ${'x'.repeat(40)}`).join('\n') + '\n';

export async function worktreeSection(ctx: BenchContext, out: SectionResult): Promise<void> {
  const samples = ctx.args.quick ? 10 : 20;
  const server = await ctx.server();
  const repo = join(server.projectDir, 'bench-repo');
  mkdirSync(join(repo, 'src'), { recursive: true });
  await git(repo, 'init', '--quiet', '--initial-branch=main');
  writeFileSync(join(repo, 'src', 'big.txt'), body('before'));
  await git(repo, 'add', '-A');
  await git(repo, 'commit', '--quiet', '-m', 'base');
  const name = 'bench-worktree';
  const info = await spawnWorker(server, { name, cli: 'bash', args: ['-c', 'sleep 600'], cwd: 'bench-repo', worktree: true });
  const path = info.worktree?.path;
  if (!path) throw new MeasureError('worktree: the spawn answered without a worktree');
  try {
    writeFileSync(join(path, 'src', 'big.txt'), body('after'));
    const url = `${server.origin}/api/workers/${name}/changes`;
    const ask = async (): Promise<Changes> => {
      const res = await fetch(url, { headers: server.headers });
      const json = (await res.json()) as Changes & { error?: { message: string } };
      if (res.status !== 200) throw new MeasureError(`worktree: GET /changes -> ${res.status} ${json.error?.message}`);
      return json;
    };
    const first = await ask();
    if (first.additions !== LINES || first.deletions !== LINES) throw new MeasureError(`worktree: expected +${LINES} -${LINES}, got +${first.additions} -${first.deletions}`);
    const ours: number[] = [];
    const raw: number[] = [];
    // Interleaved, so both see the same machine load.
    for (let i = 0; i < samples; i++) {
      let t = process.hrtime.bigint();
      const c = await ask();
      ours.push(msSince(t));
      if (c.diff.length !== first.diff.length) throw new MeasureError('worktree: the diff changed between samples');
      t = process.hrtime.bigint();
      await git(path, 'diff', 'HEAD');
      raw.push(msSince(t));
    }
    Object.assign(out, {
      changes_ms: round(median(ours)),
      changes_p99_ms: round(percentile(ours, 99)),
      raw_git_diff_ms: round(median(raw)),
      lines: LINES,
      diff_bytes: first.diff.length,
    });
  } finally {
    await releaseWorker(server, name, true).catch(() => undefined);
  }
}
