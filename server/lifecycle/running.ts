import { readFileSync, rmSync } from 'node:fs';
import { dataDirFor, socketPathFor } from '../../lib/paths';
import { isPidAlive, isSocketFile, probeSocket, readMarker } from '../../lib/discovery';
import { claimPidFile, pidFilePath, readPidFile } from './files';

/** Is a server running for this project, and clearing what a crashed one left behind. */

export interface RunningServer {
  pid: number;
  projectRoot: string;
  socketPath: string;
  /** From the marker, when the marker belongs to this server. */
  dashboardUrl?: string;
  startedAt?: string;
}

export class AlreadyRunningError extends Error {
  readonly code = 'ALREADY_RUNNING';
  constructor(readonly running: { pid?: number; socketPath: string; dashboardUrl?: string; projectRoot: string }) {
    const who = running.pid ? `pid ${running.pid}` : `something listening on ${running.socketPath}`;
    const where = running.dashboardUrl ? ` (dashboard ${running.dashboardUrl.replace(/\?token=.*/, '')})` : '';
    super(`agent-relay is already running for ${running.projectRoot}: ${who}${where}. Stop it with \`agent-relay down\`, or use it as it is.`);
    this.name = 'AlreadyRunningError';
  }
}

/**
 * A live pid that is no longer a node process is a recycled pid, not our server (a crash followed by
 * a reboot or a busy machine). Where /proc is not available, a live pid is taken at its word.
 */
function isRelayProcess(pid: number): boolean {
  if (!isPidAlive(pid)) return false;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /node|agent-relay|tsx/.test(cmdline);
  } catch {
    return true;
  }
}

/** The server running for `projectRoot` (pid file first, then the marker), or null. */
export function readRunningServer(projectRoot: string, env: NodeJS.ProcessEnv = process.env): RunningServer | null {
  const dataDir = dataDirFor(projectRoot);
  const marker = readMarker(env);
  const markerIsThisProject = marker && (marker.projectRoot === projectRoot || marker.socketPath === socketPathFor(projectRoot));
  const pid = readPidFile(dataDir) ?? (markerIsThisProject ? marker.pid : undefined);
  if (pid === undefined || !isRelayProcess(pid)) return null;
  const fromMarker = marker && marker.pid === pid ? marker : undefined;
  return {
    pid,
    projectRoot,
    socketPath: fromMarker?.socketPath ?? socketPathFor(projectRoot),
    ...(fromMarker?.dashboardUrl ? { dashboardUrl: fromMarker.dashboardUrl } : {}),
    ...(fromMarker?.startedAt ? { startedAt: fromMarker.startedAt } : {}),
  };
}

/**
 * Before `up` starts anything: refuse when a server runs for this project (AlreadyRunningError naming
 * its pid), clear a stale pid file and socket left by a crash, then claim the pid file for us.
 */
export async function claimProject(options: { projectRoot: string; dataDir: string; socketPath: string; env?: NodeJS.ProcessEnv }): Promise<void> {
  const { projectRoot, dataDir, socketPath, env = process.env } = options;
  const running = readRunningServer(projectRoot, env);
  if (running && running.pid !== process.pid) throw new AlreadyRunningError(running);
  // The pid is dead (or recycled): its pid file is stale.
  rmSync(pidFilePath(dataDir), { force: true });

  if (isSocketFile(socketPath)) {
    if (await probeSocket(socketPath)) {
      const marker = readMarker(env);
      const pid = marker?.socketPath === socketPath && isPidAlive(marker.pid) ? marker.pid : undefined;
      throw new AlreadyRunningError({ pid, socketPath, projectRoot, dashboardUrl: pid ? marker?.dashboardUrl : undefined });
    }
    // Nobody accepts connections there: a crashed daemon's socket file.
    rmSync(socketPath, { force: true });
  }

  try {
    claimPidFile(dataDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // Another `up` claimed the project between our check and our claim.
    throw new AlreadyRunningError({ pid: readPidFile(dataDir), socketPath, projectRoot });
  }
}
