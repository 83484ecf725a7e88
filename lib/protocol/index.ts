export * from './names';
export * from './framing';
export * from './envelope';
export * from './queries';
export * from './workers';
export * from './worktrees';
export * from './errors';
export * from './cluster';
