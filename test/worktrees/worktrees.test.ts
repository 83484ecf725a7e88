import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { WorkerChangesEvent } from '../../lib/protocol';
import { describeLeftovers } from '../../server/worktrees';
import { outputText, waitFor } from '../spawn/helpers';
import { git, makeStack, writeFiles, type WorktreeStack } from './helpers';

/**
 * Worktree isolation end to end below HTTP: real git, real demo agents in real PTYs editing files,
 * the SpawnManager's hook, the watcher, commit / merge / discard (docs/worktrees.md).
 */

let stack: WorktreeStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function codeOf(p: Promise<unknown>): Promise<{ code: string; message: string; files?: string[] }> {
  try {
    await p;
  } catch (err) {
    const e = err as { code: string; message: string; files?: string[] };
    expect(e.message.length).toBeGreaterThan(20);
    return { code: e.code, message: e.message, files: e.files };
  }
  throw new Error('expected a refusal');
}

async function edit(s: WorktreeStack, name: string, line: string, file: string, expected: string): Promise<void> {
  // A task is typed in by the relay once the agent is ready: typing before it would mix the two lines.
  await waitFor(() => !s.spawnManager.getWorker(name)?.task || s.spawnManager.getWorker(name)?.taskDelivered, 15_000, `${name}'s task to be delivered`);
  s.spawnManager.sendWorkerInput(name, `${line}\r`);
  const path = join(s.spawnManager.getWorker(name)!.cwd, file);
  await waitFor(() => existsSync(path) && readFileSync(path, 'utf8') === expected, 10_000, `${name} to write ${file}`);
}

describe('worktrees', () => {
  it('two workers edit the same file in their own worktrees: own diffs, first merge succeeds, second conflicts by file and loses nothing, discard removes worktree and branch', async () => {
    const s = (stack = makeStack({ 'shared.txt': 'original\n', 'README.md': '# p\n' }));
    const a = await s.spawnManager.spawn({ name: 'alpha', cli: 'demo', worktree: true, task: 'change shared.txt' });
    const b = await s.spawnManager.spawn({ name: 'beta', cli: 'demo', worktree: { branch: 'feature/beta' } });
    expect(a.worktree).toMatchObject({ branch: 'relay/alpha', base: 'HEAD', baseBranch: 'main', path: join(s.dataDir, 'worktrees', 'alpha'), subdir: '' });
    expect(b.worktree?.branch).toBe('feature/beta');
    expect(a.cwd).toBe(a.worktree!.path);
    expect(git(s.projectRoot, 'worktree', 'list')).toContain(join(s.dataDir, 'worktrees', 'beta'));

    await edit(s, 'alpha', 'edit shared.txt from alpha', 'shared.txt', 'from alpha\n');
    await edit(s, 'beta', 'edit shared.txt from beta|second line', 'shared.txt', 'from beta\nsecond line\n');
    // The project's own checkout is untouched by either.
    expect(readFileSync(join(s.projectRoot, 'shared.txt'), 'utf8')).toBe('original\n');

    const ca = await s.worktrees.changes('alpha');
    expect(ca.files).toEqual([{ path: 'shared.txt', status: 'modified', additions: 1, deletions: 1, binary: false }]);
    expect(ca.diff).toContain('+from alpha');
    expect(ca.diff).not.toContain('from beta');
    expect(ca).toMatchObject({ uncommitted: true, unmerged: true, ahead: 0, branch: 'relay/alpha', base: { ref: 'HEAD', branch: 'main' } });
    const cb = await s.worktrees.changes('beta');
    expect(cb.files).toEqual([{ path: 'shared.txt', status: 'modified', additions: 2, deletions: 1, binary: false }]);
    expect(cb.diff).toContain('+from beta');
    expect(cb.diff).not.toContain('from alpha');

    // A merge takes commits: uncommitted work is refused unless asked to commit first.
    expect((await codeOf(s.worktrees.merge('alpha', { strategy: 'ff' }))).code).toBe('UNCOMMITTED_CHANGES');
    const merged = await s.worktrees.merge('alpha', { strategy: 'ff', commit: true });
    expect(merged).toMatchObject({ merged: true, strategy: 'ff', baseBranch: 'main', upToDate: false, checkout: s.projectRoot, committed: { message: 'change shared.txt', files: 1 } });
    expect(readFileSync(join(s.projectRoot, 'shared.txt'), 'utf8')).toBe('from alpha\n');
    expect(git(s.projectRoot, 'log', '-1', '--format=%s', 'main')).toBe('change shared.txt');
    // Merged work is no longer "changes": the diff is against the merge base with main.
    const after = await s.worktrees.changes('alpha');
    expect(after).toMatchObject({ files: [], unmerged: false, uncommitted: false });

    await s.worktrees.commit('beta', 'beta edits shared.txt');
    const betaTip = git(s.projectRoot, 'rev-parse', 'feature/beta');
    const mainTip = git(s.projectRoot, 'rev-parse', 'main');
    expect((await codeOf(s.worktrees.merge('beta', { strategy: 'ff' }))).code).toBe('NOT_FAST_FORWARD');
    const conflict = await codeOf(s.worktrees.merge('beta', { strategy: 'merge' }));
    expect(conflict.code).toBe('MERGE_CONFLICT');
    expect(conflict.files).toEqual(['shared.txt']);
    expect(conflict.message).toContain('shared.txt');
    // Nothing lost or half-done on either branch, nor in the checkout.
    expect(git(s.projectRoot, 'rev-parse', 'feature/beta')).toBe(betaTip);
    expect(git(s.projectRoot, 'rev-parse', 'main')).toBe(mainTip);
    expect(git(s.projectRoot, 'status', '--porcelain')).toBe('');
    expect(readFileSync(join(s.projectRoot, 'shared.txt'), 'utf8')).toBe('from alpha\n');
    expect(git(s.projectRoot, 'show', 'feature/beta:shared.txt')).toBe('from beta\nsecond line');
    expect(existsSync(join(s.projectRoot, '.git', 'MERGE_HEAD'))).toBe(false);

    await s.spawnManager.release('beta');
    await codeOf(s.worktrees.beforeRemove('beta')).then((r) => {
      expect(r.code).toBe('UNMERGED_WORK');
      expect(r.files).toEqual(['shared.txt']);
    });
    const discarded = await s.worktrees.discard('beta');
    expect(discarded.removed).toEqual([b.worktree!.path, 'branch feature/beta']);
    expect(existsSync(b.worktree!.path)).toBe(false);
    expect(git(s.projectRoot, 'branch', '--list', 'feature/beta')).toBe('');
    expect(git(s.projectRoot, 'worktree', 'list')).not.toContain('beta');
  });

  it('a merge commit when the base moved on, into a base branch no checkout has (only the ref moves)', async () => {
    const s = (stack = makeStack({ 'a.txt': 'a\n', 'b.txt': 'b\n' }));
    git(s.projectRoot, 'branch', 'develop');
    await s.spawnManager.spawn({ name: 'w', cli: 'demo', worktree: { base: 'develop' } });
    await edit(s, 'w', 'edit b.txt b changed', 'b.txt', 'b changed\n');
    await s.worktrees.commit('w');
    // develop moves on elsewhere (not checked out anywhere).
    const other = join(s.root, 'other');
    git(s.projectRoot, 'worktree', 'add', '--quiet', other, 'develop');
    writeFileSync(join(other, 'a.txt'), 'a changed\n');
    git(other, 'commit', '--quiet', '-am', 'a on develop');
    git(s.projectRoot, 'worktree', 'remove', other);
    const result = await s.worktrees.merge('w', { strategy: 'merge', message: 'merge w' });
    expect(result).toMatchObject({ merged: true, strategy: 'merge', baseBranch: 'develop', upToDate: false });
    expect(result.checkout).toBeUndefined();
    expect(git(s.projectRoot, 'log', '-1', '--format=%s%n%P', 'develop').split('\n')[0]).toBe('merge w');
    expect(git(s.projectRoot, 'show', 'develop:b.txt')).toBe('b changed');
    expect(git(s.projectRoot, 'show', 'develop:a.txt')).toBe('a changed');
    expect(git(s.projectRoot, 'rev-parse', 'main')).toBe(git(s.projectRoot, 'rev-parse', 'HEAD'));
    // A second merge finds nothing to do.
    expect(await s.worktrees.merge('w', { strategy: 'ff' })).toMatchObject({ upToDate: true });
  });

  it('copies configured files in (left out of the diff), keeps a sub-directory cwd, and shows untracked, deleted and binary files', async () => {
    const s = (stack = makeStack({ 'packages/api/index.js': 'x\n', 'old.txt': 'old\n', '.gitignore': '.env\n' }));
    writeFiles(s.projectRoot, { '.env': 'SECRET=1\n', 'config/local.json': '{}\n' });
    mkdirSync(s.dataDir, { recursive: true });
    writeFileSync(join(s.dataDir, 'config.json'), JSON.stringify({ worktree: { copy: ['.env', 'config/local.json', 'nope.txt', '../escape'] } }));
    // config/local.json is untracked: the checkout is dirty, so confirm.
    const w = await s.spawnManager.spawn({ name: 'sub', cli: 'bash', args: ['-c', 'pwd; cat "$(git rev-parse --show-toplevel)/.env"; sleep 30'], cwd: 'packages/api', worktree: { allowDirty: true } });
    const path = w.worktree!.path;
    expect(w.cwd).toBe(join(path, 'packages', 'api'));
    expect(w.worktree).toMatchObject({ subdir: 'packages/api', copied: ['.env', 'config/local.json'], missing: ['nope.txt', '../escape'] });
    expect(readFileSync(join(path, '.env'), 'utf8')).toBe('SECRET=1\n');
    await waitFor(async () => (await outputText(s.spawnManager, 'sub')).includes('SECRET=1'), 10_000, 'pwd and .env in output');
    expect(await outputText(s.spawnManager, 'sub')).toContain(join(path, 'packages', 'api'));

    writeFileSync(join(path, 'new.txt'), 'brand new\n');
    execFileSync('rm', [join(path, 'old.txt')]);
    writeFileSync(join(path, 'blob.bin'), Buffer.from([0, 1, 2, 255, 0, 3]));
    execFileSync('mv', [join(path, 'packages/api/index.js'), join(path, 'packages/api/main.js')]);
    const c = await s.worktrees.changes('sub');
    expect(c.files.map((f) => [f.path, f.status, f.binary])).toEqual([
      ['blob.bin', 'added', true],
      ['new.txt', 'added', false],
      ['old.txt', 'deleted', false],
      ['packages/api/main.js', 'renamed', false],
    ]);
    expect(c.files.find((f) => f.status === 'renamed')?.oldPath).toBe('packages/api/index.js');
    expect(c.diff).not.toContain('SECRET');
    expect(c.uncommitted).toBe(true);
    // The agent's own index is never touched by reading changes.
    expect(git(path, 'diff', '--cached', '--name-only')).toBe('');
    const one = await s.worktrees.changes('sub', 'new.txt');
    expect(one.files.map((f) => f.path)).toEqual(['new.txt']);
    expect(one.diff).toContain('+brand new');
    expect(one.diff).not.toContain('old.txt');

    // The patch applies to the base and reproduces the work.
    const patch = await s.worktrees.patch('sub');
    const check = join(s.root, 'check');
    git(s.projectRoot, 'worktree', 'add', '--quiet', '--detach', check, 'HEAD');
    execFileSync('git', ['apply', '--index'], { cwd: check, input: patch });
    expect(readFileSync(join(check, 'new.txt'), 'utf8')).toBe('brand new\n');
    expect(existsSync(join(check, 'old.txt'))).toBe(false);
    expect(readFileSync(join(check, 'blob.bin'))).toEqual(Buffer.from([0, 1, 2, 255, 0, 3]));
  });

  it('refuses with a clear code: not a repository, unknown base, taken branch, dirty base, git missing; a refusal leaves nothing', async () => {
    const s = (stack = makeStack());
    const outside = join(s.root, 'plain');
    mkdirSync(outside);
    expect((await codeOf(s.spawnManager.spawn({ name: 'n1', cli: 'demo', cwd: outside, worktree: true }))).code).toBe('NOT_A_REPOSITORY');
    expect((await codeOf(s.spawnManager.spawn({ name: 'n2', cli: 'demo', worktree: { base: 'no-such-branch' } }))).code).toBe('UNKNOWN_BASE');
    expect((await codeOf(s.spawnManager.spawn({ name: 'n3', cli: 'demo', worktree: { branch: 'main' } }))).code).toBe('BRANCH_TAKEN');
    expect((await codeOf(s.spawnManager.spawn({ name: 'n4', cli: 'demo', worktree: { branch: 'bad..name' } }))).code).toBe('BAD_REQUEST');
    writeFileSync(join(s.projectRoot, 'README.md'), 'edited, not committed\n');
    const dirty = await codeOf(s.spawnManager.spawn({ name: 'n5', cli: 'demo', worktree: true }));
    expect(dirty.code).toBe('DIRTY_BASE');
    expect(dirty.files).toEqual(['README.md']);
    // The relay's own data dir inside the repository is not "dirty": it ignores itself.
    expect(git(s.projectRoot, 'status', '--porcelain')).toBe('M README.md');
    const saved = process.env.AGENT_RELAY_GIT;
    process.env.AGENT_RELAY_GIT = join(s.root, 'no', 'git');
    try {
      const missing = await codeOf(s.spawnManager.spawn({ name: 'n6', cli: 'demo', worktree: { allowDirty: true } }));
      expect(missing.code).toBe('GIT_MISSING');
      expect(missing.message).toContain('apt-get install git');
    } finally {
      if (saved === undefined) delete process.env.AGENT_RELAY_GIT;
      else process.env.AGENT_RELAY_GIT = saved;
    }
    expect(s.spawnManager.listWorkers()).toEqual([]);
    expect(git(s.projectRoot, 'worktree', 'list').split('\n')).toHaveLength(1);
    expect(git(s.projectRoot, 'branch', '--list', 'relay/*')).toBe('');
    // Confirmed: it starts from the last commit, without the uncommitted edit.
    const ok = await s.spawnManager.spawn({ name: 'n7', cli: 'demo', worktree: { allowDirty: true } });
    expect(readFileSync(join(ok.worktree!.path, 'README.md'), 'utf8')).toBe('# project\n');
  });

  it('the watcher pushes changes as the agent edits; release keeps the worktree; removal asks first; a restart lists the leftovers', async () => {
    const s = (stack = makeStack({ 'f.txt': 'one\n' }));
    const events: WorkerChangesEvent[] = [];
    s.worktrees.on('changes', (e: WorkerChangesEvent) => events.push(e));
    // 'list' (socket.io `worktrees`): the set of worktrees changed; what GET /api/worktrees answers then.
    const lists: string[][] = [];
    s.worktrees.on('list', () => lists.push(s.worktrees.list().map((e) => e.name)));
    const w = await s.spawnManager.spawn({ name: 'live', cli: 'demo', worktree: true });
    expect(lists).toEqual([['live']]);
    await waitFor(() => s.spawnManager.getWorker('live')?.worktree?.state, 10_000, 'first state');
    await edit(s, 'live', 'append f.txt two|three', 'f.txt', 'one\ntwo\nthree\n');
    const seen = await waitFor(() => events.find((e) => e.name === 'live' && e.state.additions === 2), 10_000, 'a worker:changes event');
    expect(seen.state).toMatchObject({ files: 1, deletions: 0, uncommitted: true, unmerged: true });
    // The worker's listed info carries the summary too (the list shows unmerged work).
    await waitFor(() => s.spawnManager.getWorker('live')?.worktree?.state?.additions === 2, 5000, 'listed state');

    await s.spawnManager.release('live');
    expect(existsSync(join(w.worktree!.path, 'f.txt'))).toBe(true);
    expect(git(s.projectRoot, 'branch', '--list', 'relay/live')).toContain('relay/live');
    expect((await codeOf(s.worktrees.beforeRemove('live'))).code).toBe('UNMERGED_WORK');
    await s.worktrees.beforeRemove('live', { keep: true });
    s.spawnManager.remove('live');
    // Kept: the worktree set did not change, so no list event.
    expect(lists).toEqual([['live']]);

    // A restart (or a crash): the worktree is still there and listed, with its unmerged work.
    const again = s.restart();
    expect(again.worktrees.list()).toMatchObject([{ name: 'live', hasWorker: false, live: false, worktree: { branch: 'relay/live' } }]);
    const left = await again.worktrees.leftovers();
    expect(left).toMatchObject([{ name: 'live', branch: 'relay/live', hasWorker: false, state: { unmerged: true, files: 1 } }]);
    expect(describeLeftovers(left)).toContain('live: relay/live');
    expect((await again.worktrees.changes('live')).diff).toContain('+three');
    const listed: string[][] = [];
    again.worktrees.on('list', () => listed.push(again.worktrees.list().map((e) => e.name)));
    await again.worktrees.discard('live');
    expect(again.worktrees.list()).toEqual([]);
    expect(listed).toEqual([[]]);
    expect(existsSync(w.worktree!.path)).toBe(false);
  });

  it('removing a worker whose work is merged removes its worktree and branch too', async () => {
    const s = (stack = makeStack());
    const w = await s.spawnManager.spawn({ name: 'done', cli: 'demo', worktree: true });
    await edit(s, 'done', 'edit notes.md merged work', 'notes.md', 'merged work\n');
    await s.worktrees.merge('done', { strategy: 'ff', commit: true });
    await s.spawnManager.release('done');
    await s.worktrees.beforeRemove('done');
    s.spawnManager.remove('done');
    expect(existsSync(w.worktree!.path)).toBe(false);
    expect(git(s.projectRoot, 'branch', '--list', 'relay/done')).toBe('');
    expect(readFileSync(join(s.projectRoot, 'notes.md'), 'utf8')).toBe('merged work\n');
  });
});
