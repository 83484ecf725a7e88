import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { WorkerError } from '../../lib/protocol';

/**
 * The project's `.agent-relay/config.json`, `worktree` section (docs/worktrees.md):
 *   { "worktree": { "copy": [".env", ".env.local"], "dir": "../my-worktrees" } }
 * Read at every spawn, so an edit applies to the next worker without a restart.
 */

export const WorktreeConfigSchema = z.object({
  /** Files or directories (relative to the repository root) copied into each new worktree: ignored files such as .env. */
  copy: z.array(z.string().min(1).max(4096)).max(1000).optional(),
  /** Where worktrees go: `<dir>/<worker>`; relative to the project root, `~/` for home. Default `.agent-relay/worktrees`. */
  dir: z.string().min(1).max(4096).optional(),
});
const ConfigFileSchema = z.object({ worktree: WorktreeConfigSchema.optional() }).passthrough();

export interface WorktreeConfig {
  copy: string[];
  /** Absolute. */
  dir: string;
  /** The file it came from (for error messages). */
  source: string;
}

export function configPath(dataDir: string): string {
  return join(dataDir, 'config.json');
}

export function loadWorktreeConfig(projectRoot: string, dataDir: string): WorktreeConfig {
  const source = configPath(dataDir);
  let text: string | undefined;
  try {
    text = readFileSync(source, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new WorkerError('BAD_REQUEST', `Cannot read ${source} (${(err as NodeJS.ErrnoException).code}); fix its permissions or remove it.`, 'worktree');
    }
  }
  let section: z.infer<typeof WorktreeConfigSchema> = {};
  if (text !== undefined && text.trim()) {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new WorkerError('BAD_REQUEST', `${source} is not valid JSON (${(err as Error).message}); fix it or remove it.`, 'worktree');
    }
    const parsed = ConfigFileSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new WorkerError('BAD_REQUEST', `${source}: ${issue?.path.join('.') || 'the file'} ${issue?.message ?? 'is malformed'}. Expected {"worktree": {"copy": [".env"], "dir": "…"}}.`, 'worktree');
    }
    section = parsed.data.worktree ?? {};
  }
  return { copy: section.copy ?? [], dir: resolveDir(projectRoot, dataDir, section.dir), source };
}

function resolveDir(projectRoot: string, dataDir: string, dir: string | undefined): string {
  if (!dir) return join(dataDir, 'worktrees');
  if (dir === '~' || dir.startsWith('~/')) return join(homedir(), dir.slice(2));
  return isAbsolute(dir) ? dir : resolve(projectRoot, dir);
}
