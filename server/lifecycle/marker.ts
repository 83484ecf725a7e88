import { rmSync } from 'node:fs';
import { markerPath, projectRootOfSocket } from '../../lib/paths';
import { readMarker, type ActiveDaemonMarker } from '../../lib/discovery';
import { writeFileAtomic } from './files';

/**
 * The writing side of the active-daemon marker (protocol.md "Active-daemon marker"); reading and
 * liveness checks live in lib/discovery, shared by every client.
 */

export interface MarkerFields {
  socketPath: string;
  pid: number;
  startedAt: Date;
  version: string;
  dashboardUrl?: string;
}

/** The marker's content: projectRoot only when the socket sits in a directory named `.agent-relay`. */
export function markerContent(fields: MarkerFields): ActiveDaemonMarker {
  const projectRoot = projectRootOfSocket(fields.socketPath);
  return {
    socketPath: fields.socketPath,
    ...(projectRoot ? { projectRoot } : {}),
    pid: fields.pid,
    startedAt: fields.startedAt.toISOString(),
    version: fields.version,
    ...(fields.dashboardUrl ? { dashboardUrl: fields.dashboardUrl } : {}),
  };
}

/** Written after the socket listens: atomically (temp + rename), mode 0600. */
export function writeMarker(fields: MarkerFields, env: NodeJS.ProcessEnv = process.env): ActiveDaemonMarker {
  const content = markerContent(fields);
  writeFileAtomic(markerPath(env), `${JSON.stringify(content, null, 2)}\n`);
  return content;
}

/** On a clean stop: remove the marker only when it is ours (another daemon may have started since). */
export function removeMarkerIfOurs(pid = process.pid, env: NodeJS.ProcessEnv = process.env): boolean {
  const marker = readMarker(env);
  if (!marker || marker.pid !== pid) return false;
  rmSync(markerPath(env), { force: true });
  return true;
}
