import { dirname, join, resolve } from 'node:path';
import { DATA_DIR_NAME, GLOBAL_SOCKET_PATH } from '../paths';
import { isPidAlive, readMarker, type ActiveDaemonMarker } from './marker';
import { isSocketFile, probeSocket } from './probe';

export type SocketSource = 'option' | 'env' | 'project' | 'marker' | 'global';

export interface DiscoveredSocket {
  socketPath: string;
  source: SocketSource;
  /** The marker, when it was read and is live (whatever the source), for its dashboardUrl and projectRoot. */
  marker?: ActiveDaemonMarker;
}

export interface DiscoverOptions {
  /** An explicit path (CLI `--socket`, SDK `socketPath`): taken as is, never probed. */
  socketPath?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Override of `/tmp/agent-relay.sock` (tests). */
  globalSocketPath?: string;
}

/** `<dir or an ancestor>/.agent-relay/relay.sock` that exists as a socket, nearest first. */
export function findProjectSocket(cwd: string): string | undefined {
  let dir = resolve(cwd);
  for (;;) {
    const candidate = join(dir, DATA_DIR_NAME, 'relay.sock');
    if (isSocketFile(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The marker when its pid is alive and its socket accepts a connection; null otherwise. */
export async function readLiveMarker(env: NodeJS.ProcessEnv = process.env): Promise<ActiveDaemonMarker | null> {
  const marker = readMarker(env);
  if (!marker || !isPidAlive(marker.pid)) return null;
  return (await probeSocket(marker.socketPath)) ? marker : null;
}

/**
 * Finds the daemon's socket, in the order of protocol.md: explicit option, env RELAY_SOCKET,
 * `<cwd or ancestor>/.agent-relay/relay.sock`, the active-daemon marker (ignored when its pid is dead
 * or its socket refuses), `/tmp/agent-relay.sock`. Null when none applies.
 */
export async function discoverSocket(options: DiscoverOptions = {}): Promise<DiscoveredSocket | null> {
  const env = options.env ?? process.env;
  const live = () => readLiveMarker(env).then((m) => m ?? undefined);
  if (options.socketPath) return { socketPath: resolve(options.socketPath), source: 'option' };
  if (env.RELAY_SOCKET) return { socketPath: resolve(env.RELAY_SOCKET), source: 'env' };
  const project = findProjectSocket(options.cwd ?? process.cwd());
  if (project) return withMarker({ socketPath: project, source: 'project' }, await live());
  const marker = await live();
  if (marker) return { socketPath: marker.socketPath, source: 'marker', marker };
  const global = options.globalSocketPath ?? GLOBAL_SOCKET_PATH;
  if (isSocketFile(global)) return { socketPath: global, source: 'global' };
  return null;
}

/** Attach the marker only when it describes the same socket: its dashboard belongs to that daemon. */
function withMarker(found: DiscoveredSocket, marker: ActiveDaemonMarker | undefined): DiscoveredSocket {
  return marker && resolve(marker.socketPath) === resolve(found.socketPath) ? { ...found, marker } : found;
}
