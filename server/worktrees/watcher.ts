import { basename, relative, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { logger } from '../logger';
import { git, splitZ } from './git';

/**
 * Tells when a worktree's files change, debounced: an agent writing 500 files in a burst is one
 * refresh, not 500. chokidar (inotify on Linux) watches the work tree minus `.git`, `node_modules`
 * and what git ignores (asked once at start: `git ls-files --ignored --directory`), so an agent that
 * runs `npm install` does not eat the machine's inotify watches; and the worktree's own git dir
 * (HEAD, index) so a commit by the agent is seen too.
 */

export const CHANGES_DEBOUNCE_MS = 250;
/** A steady stream of writes still refreshes at least this often. */
const MAX_WAIT_MS = 2000;

export interface ChangeWatcher {
  close(): Promise<void>;
}

async function ignoredDirs(root: string): Promise<Set<string>> {
  try {
    const out = await git(['ls-files', '--others', '--ignored', '--exclude-standard', '--directory', '-z'], { cwd: root });
    return new Set(splitZ(out).filter((p) => p.endsWith('/')).map((p) => p.slice(0, -1)));
  } catch {
    return new Set();
  }
}

export async function watchWorktree(root: string, onChange: () => void): Promise<ChangeWatcher> {
  const ignored = await ignoredDirs(root);
  let gitDir: string | undefined;
  try {
    gitDir = await git(['rev-parse', '--absolute-git-dir'], { cwd: root });
  } catch {
    gitDir = undefined;
  }
  let timer: NodeJS.Timeout | undefined;
  let firstAt = 0;
  let closed = false;
  const fire = () => {
    timer = undefined;
    firstAt = 0;
    if (!closed) onChange();
  };
  const bump = () => {
    if (closed) return;
    const now = Date.now();
    if (!firstAt) firstAt = now;
    clearTimeout(timer);
    timer = setTimeout(fire, now - firstAt >= MAX_WAIT_MS ? 0 : CHANGES_DEBOUNCE_MS);
  };
  const isIgnored = (path: string): boolean => {
    if (gitDir && (path === gitDir || path.startsWith(gitDir + sep))) {
      const name = basename(path);
      return path !== gitDir && name !== 'HEAD' && name !== 'index';
    }
    const rel = relative(root, path);
    if (!rel || rel.startsWith('..')) return false;
    const parts = rel.split(sep);
    if (parts.includes('.git') || parts.includes('node_modules')) return true;
    for (let i = 1; i <= parts.length; i++) if (ignored.has(parts.slice(0, i).join('/'))) return true;
    return false;
  };
  const watcher: FSWatcher = watch(gitDir ? [root, gitDir] : [root], {
    ignoreInitial: true,
    ignored: isIgnored,
    persistent: false,
  });
  watcher.on('all', bump);
  watcher.on('error', (err) => logger.warn({ err, root }, 'worktree watcher error: the Changes tab may lag until the next refresh'));
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return {
    async close() {
      closed = true;
      clearTimeout(timer);
      await watcher.close();
    },
  };
}
