export { RelayClient, type SyncReply } from './client';
export { RelayError, isUnreachableError, type ClientErrorCode } from './errors';
export type * from './types';
export { discoverSocket, type DiscoveredSocket } from '../discovery';
