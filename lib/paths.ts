import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve, basename } from 'node:path';

/** Where agent-relay keeps things: project root, data dir, socket, token file, marker. Node-only (server, CLI, SDK, MCP). */

const PROJECT_MARKERS = ['.git', 'package.json', 'Cargo.toml', 'go.mod', 'pyproject.toml', '.agent-relay'];
export const DATA_DIR_NAME = '.agent-relay';
export const GLOBAL_SOCKET_PATH = '/tmp/agent-relay.sock';

/** env AGENT_RELAY_PROJECT, else the nearest ancestor of `cwd` holding a project marker, else `cwd`. */
export function resolveProjectRoot(cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): string {
  if (env.AGENT_RELAY_PROJECT) return resolve(env.AGENT_RELAY_PROJECT);
  return findProjectRoot(cwd) ?? resolve(cwd);
}

/** The nearest ancestor of `cwd` (itself included) holding a project marker, or undefined. */
export function findProjectRoot(cwd: string): string | undefined {
  let dir = resolve(cwd);
  for (;;) {
    if (PROJECT_MARKERS.some((m) => existsSync(join(dir, m)))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export function projectId(projectRoot: string): string {
  return createHash('sha256').update(resolve(projectRoot)).digest('hex').slice(0, 12);
}

export function dataDirFor(projectRoot: string): string {
  return join(projectRoot, DATA_DIR_NAME);
}

export function socketPathFor(projectRoot: string): string {
  return join(dataDirFor(projectRoot), 'relay.sock');
}

/** The dashboard token's file in a data dir (written 0600 by server/security/token.ts, read by lib/discovery). */
export const DASHBOARD_TOKEN_FILE = 'dashboard-token';

export function dashboardTokenPath(dataDir: string): string {
  return join(dataDir, DASHBOARD_TOKEN_FILE);
}

/** `$AGENT_RELAY_HOME`, default `~/.agent-relay`. */
export function agentRelayHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.AGENT_RELAY_HOME ? resolve(env.AGENT_RELAY_HOME) : join(homedir(), '.agent-relay');
}

export function markerPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(agentRelayHome(env), 'active-daemon.json');
}

/** The marker's projectRoot rule: only when the socket's parent directory is named `.agent-relay`. */
export function projectRootOfSocket(socketPath: string): string | undefined {
  const parent = dirname(resolve(socketPath));
  return basename(parent) === DATA_DIR_NAME ? dirname(parent) : undefined;
}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
