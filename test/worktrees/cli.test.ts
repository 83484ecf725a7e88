import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureProductionBuild, killAll, makeSandbox, runCli, startUp, type RelayProcess, type Sandbox } from '../server/helpers/relay-process';
import { eventually, startMcpServer } from '../mcp/harness';
import { git } from './helpers';

/**
 * The whole `agent-relay up` process in a project that is itself a git repository (the relay's data
 * dir inside it): `spawn --worktree`, `diff`, `workers`, `merge`, `discard` from the CLI, MCP
 * `relay_changes`, and `up` after a crash listing the worktrees left behind.
 */

let sandbox: Sandbox;
let relay: RelayProcess | undefined;

async function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = runCli(args, sandbox);
  const { code } = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

beforeAll(async () => {
  await ensureProductionBuild();
  sandbox = makeSandbox();
  git(sandbox.projectRoot, 'init', '--quiet', '--initial-branch=main');
  git(sandbox.projectRoot, 'add', '-A');
  git(sandbox.projectRoot, 'commit', '--quiet', '-m', 'first');
  relay = startUp(sandbox);
  await relay.url;
}, 300_000);

afterAll(async () => {
  relay?.kill('SIGTERM');
  if (relay) await Promise.race([relay.exited, new Promise((r) => setTimeout(r, 15_000))]);
  await killAll();
  sandbox?.cleanup();
}, 60_000);

async function editAndWait(name: string, line: string, file: string): Promise<void> {
  expect((await cli('input', name, `${line}\\r`)).code).toBe(0);
  await eventually(() => (existsSync(join(sandbox.projectRoot, '.agent-relay', 'worktrees', name, file)) ? true : undefined), `${name} to write ${file}`);
}

describe('worktrees from the CLI and MCP, against the real server', { timeout: 120_000 }, () => {
  it('spawn --worktree, diff, workers, merge (refused without --commit), and the project checkout stays clean', async () => {
    const spawned = await cli('spawn', 'cw1', 'demo', '--worktree', '--wait');
    expect(spawned.code, spawned.stderr).toBe(0);
    // The relay's own data dir in the repository does not make the checkout dirty.
    expect(git(sandbox.projectRoot, 'status', '--porcelain')).toBe('');
    await editAndWait('cw1', 'edit hello.txt hello from cw1', 'hello.txt');

    const diff = await eventually(async () => {
      const r = await cli('diff', 'cw1');
      return r.stdout.includes('+hello from cw1') ? r : undefined;
    }, 'the diff to show the edit');
    expect(diff.code).toBe(0);
    expect(diff.stdout).toContain('cw1: relay/cw1 against main');
    expect(diff.stdout).toMatch(/A hello\.txt {2}\+1 -0/);
    const stat = await cli('diff', 'cw1', '--stat');
    expect(stat.stdout).not.toContain('+hello from cw1');

    const workers = await eventually(async () => {
      const r = await cli('workers');
      return r.stdout.includes('relay/cw1 (unmerged: 1 file(s)') ? r : undefined;
    }, 'workers to show the unmerged branch');
    expect(workers.stdout).toMatch(/WORKTREE/);

    const refused = await cli('merge', 'cw1');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('UNCOMMITTED_CHANGES');
    const merged = await cli('merge', 'cw1', '--commit');
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stdout).toContain('Merged cw1 into main (fast-forward)');
    expect(git(sandbox.projectRoot, 'show', 'main:hello.txt')).toBe('hello from cw1');
    expect(readFileSync(join(sandbox.projectRoot, 'hello.txt'), 'utf8')).toBe('hello from cw1\n');
  });

  it('MCP relay_changes reviews a worker; discard asks first and needs --yes without a terminal', async () => {
    expect((await cli('spawn', 'cw2', 'demo', '--branch', 'review/cw2', '--wait')).code).toBe(0);
    await editAndWait('cw2', 'edit review.md please review this', 'review.md');

    const mcp = await startMcpServer(sandbox.projectRoot, sandbox.env, { RELAY_AGENT_NAME: 'Lead' });
    try {
      const review = await eventually(async () => {
        const r = await mcp.call('relay_changes', { name: 'cw2' });
        return r.text.includes('+please review this') ? r : undefined;
      }, 'relay_changes to show the edit');
      expect(review.isError).toBe(false);
      expect(review.text).toContain('cw2 works on review/cw2');
      expect(review.text).toContain('- added review.md (+1 -0)');
      const missing = await mcp.call('relay_changes', { name: 'nobody' });
      expect(missing.isError).toBe(true);
      expect(missing.text).toContain('NOT_FOUND');
    } finally {
      await mcp.close();
    }

    const asked = await cli('discard', 'cw2');
    expect(asked.code).toBe(2);
    expect(asked.stderr).toContain('Nothing was deleted');
    expect(asked.stderr).toContain('review.md');
    expect(git(sandbox.projectRoot, 'branch', '--list', 'review/cw2')).toContain('review/cw2');
    const gone = await cli('discard', 'cw2', '--yes');
    expect(gone.code, gone.stderr).toBe(0);
    expect(git(sandbox.projectRoot, 'branch', '--list', 'review/cw2')).toBe('');
    expect(existsSync(join(sandbox.projectRoot, '.agent-relay', 'worktrees', 'cw2'))).toBe(false);
  });

  it('up after a crash lists the worktrees whose workers are gone, and deletes nothing', async () => {
    expect((await cli('spawn', 'cw3', 'demo', '--worktree', '--wait')).code).toBe(0);
    await editAndWait('cw3', 'edit left.txt work left behind', 'left.txt');
    // The worker ends first (what issue 10's orphan sweep does after a real crash), then the server dies.
    expect((await cli('release', 'cw3', '--force')).code).toBe(0);
    relay!.kill('SIGKILL');
    await relay!.exited;
    relay = startUp(sandbox);
    await relay.url;
    const said = await eventually(() => (relay!.stderr().includes('cw3: relay/cw3') ? relay!.stderr() : undefined), 'the leftover listing on stderr');
    expect(said).toContain('worktree(s) from workers that are not running');
    expect(said).toMatch(/cw3: relay\/cw3 at .*worktrees\/cw3 \(1 file\(s\) unmerged, uncommitted changes, no worker record\)/);
    expect(said).toContain('agent-relay discard NAME');
    expect(readFileSync(join(sandbox.projectRoot, '.agent-relay', 'worktrees', 'cw3', 'left.txt'), 'utf8')).toBe('work left behind\n');
    const list = await cli('worktrees');
    expect(list.stdout).toMatch(/cw3 +relay\/cw3 +none +unmerged/);
    const diff = await cli('diff', 'cw3');
    expect(diff.stdout).toContain('+work left behind');
  });
});
