import { chmodSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What the relay keeps on disk (messages, terminal output, agents' outbox commands) is the user's
 * alone: files 0600, directories 0700, whatever the umask, so that nothing depends on the 0700 parent
 * alone. Modes are set explicitly (mkdir's `mode` is masked by the umask, and an existing directory
 * keeps its own), and loosened ones from an older install are tightened.
 */

export const PRIVATE_FILE = 0o600;
export const PRIVATE_DIR = 0o700;

/** chmod that ignores a path that does not exist (a WAL not created yet). */
export function makePrivate(path: string, mode = PRIVATE_FILE): void {
  try {
    chmodSync(path, mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Creates `dir` (and parents) and makes it 0700; `files: true` also makes the plain files in it 0600. */
export function ensurePrivateDir(dir: string, options: { files?: boolean } = {}): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
  chmodSync(dir, PRIVATE_DIR);
  if (!options.files) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isFile()) makePrivate(join(dir, entry.name));
  }
}
