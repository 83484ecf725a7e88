export { WorktreeManager, createWorktreeManager } from './manager';
export type { WorktreeManagerOptions, RemoveOptions, Leftover } from './manager';
export type { WorktreeHook, PreparedWorktree, WorktreeWorkers } from './hook';
export { loadWorktreeConfig } from './config';
export { describeLeftovers } from './leftovers';
