import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRouter, type Router } from '../../server/router';
import { createSpawnManager, type SpawnManager } from '../../server/spawn';
import { openStorage, type Storage } from '../../server/storage';
import { createWorktreeManager, type WorktreeManager } from '../../server/worktrees';

/** Real git in a temp repository, a real SpawnManager with the worktree hook, a real router and storage. */

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.invalid', ...args], { cwd, encoding: 'utf8' }).trim();
}

/** A repository on branch main with one commit of `files`. */
export function makeRepo(dir: string, files: Record<string, string> = { 'README.md': '# project\n' }): string {
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '--quiet', '--initial-branch=main');
  writeFiles(dir, files);
  git(dir, 'add', '-A');
  git(dir, 'commit', '--quiet', '-m', 'first');
  return dir;
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

export interface WorktreeStack {
  root: string;
  projectRoot: string;
  dataDir: string;
  storage: Storage;
  router: Router;
  spawnManager: SpawnManager;
  worktrees: WorktreeManager;
  /** Another SpawnManager + WorktreeManager over the same storage and data dir (a restart). */
  restart(): { spawnManager: SpawnManager; worktrees: WorktreeManager };
  close(): Promise<void>;
}

export function makeStack(files?: Record<string, string>): WorktreeStack {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'relay-worktree-')));
  const projectRoot = makeRepo(join(root, 'project'), files);
  process.env.AGENT_RELAY_HOME = join(root, 'home');
  const dataDir = join(projectRoot, '.agent-relay');
  const storage = openStorage({ driver: 'memory' });
  const router = createRouter({ storage });
  const made: Array<{ spawnManager: SpawnManager; worktrees: WorktreeManager }> = [];
  const make = () => {
    const worktrees = createWorktreeManager({ projectRoot, dataDir });
    const spawnManager = createSpawnManager({
      router, store: storage, projectRoot, dataDir, socketPath: join(dataDir, 'relay.sock'), worktrees,
      policy: { releaseGraceMs: 500 }, watchOutbox: false,
    });
    worktrees.bind(spawnManager);
    made.push({ spawnManager, worktrees });
    return { spawnManager, worktrees };
  };
  const first = make();
  return {
    root, projectRoot, dataDir, storage, router, ...first,
    restart: make,
    async close() {
      for (const m of made) {
        await m.spawnManager.releaseAll();
        await m.worktrees.close();
      }
      router.close();
      (storage as unknown as { close?: () => void }).close?.();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
