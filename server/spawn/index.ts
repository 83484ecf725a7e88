import { SpawnManager, type SpawnManagerOptions } from './spawn-manager';

export { SpawnManager } from './spawn-manager';
export type { SpawnManagerOptions, SpawnPolicy } from './spawn-manager';
export { PRESETS, DEMO_AGENT_PATH, findExecutable } from './presets';
export { spawnDrainedPty } from './drained-pty';
export type { DrainedPty, PtyEnd } from './drained-pty';
export * from './types';
export {
  createRelayCommandParser, createInjectionQueue, formatInjectedMessage, createOutboxWatcher, parseOutboxFile, takeOutboxFile,
} from '../relay-commands';
export type { RelayCommand, RelayCommandParser, InjectionQueue, OutboxCommand, OutboxWatcher } from '../relay-commands';

/** The one SpawnManager of a relay process (see server/spawn/types.ts for the API every surface uses). */
export function createSpawnManager(options: SpawnManagerOptions): SpawnManager {
  return new SpawnManager(options);
}
