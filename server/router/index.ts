export { Router, createRouter, toView } from './router';
export type { RouterOptions, SessionGrant, DispatchRequest, DispatchResult } from './router';
export type { AckCallback, Endpoint, ReplyTarget } from './endpoint';
export { LocalEndpoint } from './local-endpoint';
export { RecentlyDisconnected, RECENT_USER_TTL_MS, RECENT_USER_CAP } from './presence';
export { REDELIVERY_MS, MAX_REDELIVERIES, REDELIVERY_WINDOW_MS, SYNC_TIMEOUT_MS, buildDeliver } from './delivery';
export * from './types';
