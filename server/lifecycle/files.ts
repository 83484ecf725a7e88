import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { projectId } from '../../lib/paths';

/** The small files `agent-relay up` leaves in the data dir: pid file and `.project`. */

export const PID_FILE_NAME = 'relay.pid';

export function pidFilePath(dataDir: string): string {
  return join(dataDir, PID_FILE_NAME);
}

/** Writes through a temp file and a rename, so a reader never sees half a file. */
export function writeFileAtomic(path: string, content: string, mode = 0o600): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    writeFileSync(temp, content, { mode });
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

export function readPidFile(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFilePath(dataDir), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Creates the pid file exclusively: two `up`s racing in one project cannot both get past this.
 * Throws EEXIST when another process holds it (the caller has already removed a stale one).
 */
export function claimPidFile(dataDir: string, pid = process.pid): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeFileSync(pidFilePath(dataDir), `${pid}\n`, { mode: 0o600, flag: 'wx' });
}

/** Removes the pid file only when it names `pid`: never delete another server's claim. */
export function removePidFileIfOurs(dataDir: string, pid = process.pid): void {
  if (readPidFile(dataDir) === pid) rmSync(pidFilePath(dataDir), { force: true });
}

/** `<dataDir>/.project`: `{projectRoot, projectId, createdAt}`; createdAt kept from an earlier run. */
export function writeProjectFile(dataDir: string, projectRoot: string): void {
  const path = join(dataDir, '.project');
  let createdAt = new Date().toISOString();
  try {
    const previous = JSON.parse(readFileSync(path, 'utf8')) as { projectRoot?: string; createdAt?: string };
    if (previous.projectRoot === projectRoot && typeof previous.createdAt === 'string') createdAt = previous.createdAt;
  } catch {
    // First run, or an unreadable file: write a fresh one.
  }
  writeFileAtomic(path, `${JSON.stringify({ projectRoot, projectId: projectId(projectRoot), createdAt }, null, 2)}\n`);
}
