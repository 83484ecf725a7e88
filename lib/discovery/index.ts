export * from './discover';
export * from './marker';
export * from './probe';
export * from './dashboard';
