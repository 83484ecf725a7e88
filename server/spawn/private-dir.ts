import { chmodSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ensurePrivateDir } from '../security/private-files';

/**
 * A worker's own directory and the private files and links its launch writes (an agent profile's
 * config, Gemini CLI's per-worker home, our MCP server's config): owner-only, reset per launch.
 */

/** `<dataDir>/workers/<name>`: the worker's own directory (its profile's files and links go there). */
export function workerPrivateDir(dataDir: string, name: string): string {
  return join(dataDir, 'workers', name);
}

/**
 * Empties the worker's private directory before a launch writes it afresh (an entry linked last
 * time may be gone now). `rm` removes symbolic links, never what they point to.
 */
export function resetPrivateDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Creates a launch's symbolic links (in owner-only folders), replacing whatever was at each path. */
export function writePrivateLinks(links: Array<{ path: string; target: string }>): void {
  for (const link of links) {
    ensurePrivateDir(dirname(link.path));
    rmSync(link.path, { force: true });
    symlinkSync(link.target, link.path);
  }
}

/** Writes a launch's private files: owner-only, in owner-only folders. */
export function writePrivateFiles(files: Array<{ path: string; content: string }>): void {
  for (const file of files) {
    ensurePrivateDir(dirname(file.path));
    writeFileSync(file.path, file.content, { mode: 0o600 });
    chmodSync(file.path, 0o600);
  }
}
