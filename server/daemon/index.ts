export { startDaemonServer } from './server';
export type { DaemonServer, DaemonServerOptions } from './server';
export { HELLO_TIMEOUT_MS, HEARTBEAT_MS, HEARTBEAT_TIMEOUT_MS, OUTBOUND_HIGH_WATER_BYTES } from './context';
