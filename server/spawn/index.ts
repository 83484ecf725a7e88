import { SpawnManager, type SpawnManagerOptions } from './spawn-manager';

/**
 * The spawn room's public face: the SpawnManager, its options, the API every surface uses
 * (types.ts), and the PTY that keeps a child's last bytes (also used by `agent-relay run`).
 */
export { SpawnManager } from './spawn-manager';
export type { SpawnManagerOptions, SpawnPolicy } from './spawn-manager';
export type { WorkerMcpHook } from './launch';
export { spawnDrainedPty } from './drained-pty';
export * from './types';

/** The one SpawnManager of a relay process (see server/spawn/types.ts for the API every surface uses). */
export function createSpawnManager(options: SpawnManagerOptions): SpawnManager {
  return new SpawnManager(options);
}
