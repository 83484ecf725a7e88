import type { RelayRouter } from './router/types';
import type { SpawnManagerApi } from './spawn/types';
import type { WorktreeManager } from './worktrees/manager';

/**
 * The live daemon objects, published by the custom server before Next prepares, for route handlers.
 * Next bundles its own copy of server modules, so module state and `instanceof` do not cross from
 * the custom server into a route; a globalThis slot under a Symbol.for key does.
 */
export interface RelayRuntimeConfig {
  version: string;
  projectRoot: string;
  socketPath: string;
  dataDir: string;
  dashboardUrl: string;
  startedAt: number;
  storageDriver: 'sqlite' | 'memory';
  /** This relay's node name when it is a node of a cluster (docs/cluster.md). */
  node?: string;
}

export interface RelayRuntime {
  router: RelayRouter;
  spawnManager: SpawnManagerApi;
  /** Worker worktrees: changes, commit, merge, patch, discard (server/worktrees). Absent in bare test stacks. */
  worktrees?: WorktreeManager;
  config: RelayRuntimeConfig;
  /** The STATUS figures, as answered on the socket. */
  status(): import('../lib/protocol').StatusResponse;
}

const SLOT = Symbol.for('agent-relay.runtime');
type Slot = { [SLOT]?: RelayRuntime };

export function publishRuntime(runtime: RelayRuntime | undefined): void {
  (globalThis as Slot)[SLOT] = runtime;
}

/** The live runtime. Throws when called outside a server started by `agent-relay up`. */
export function getRuntime(): RelayRuntime {
  const runtime = (globalThis as Slot)[SLOT];
  if (!runtime) {
    throw new Error('agent-relay runtime is not published: route handlers only work inside the server started by `agent-relay up`.');
  }
  return runtime;
}
