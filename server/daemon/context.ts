import type { StatusResponse } from '../../lib/protocol';
import type { Router } from '../router/router';
import type { SpawnManagerApi } from '../spawn/types';
import type { Storage } from '../storage/storage';

/** Protocol defaults (protocol.md): HELLO within 10 s, PING every 5 s, close after 30 s without PONG. */
export const HELLO_TIMEOUT_MS = 10_000;
export const HEARTBEAT_MS = 5_000;
export const HEARTBEAT_TIMEOUT_MS = 30_000;

/**
 * Outbound flow control. Past this many bytes queued for one connection it counts as congested
 * and the daemon stops reading from the connections feeding it until its socket drains (empties).
 * 1 MiB holds at least one maximal frame, so a single large message never stalls by itself, and
 * resuming only at empty gives hysteresis instead of flapping around the mark.
 */
export const OUTBOUND_HIGH_WATER_BYTES = 1_048_576;

/** After a fatal ERROR the socket is ended gracefully; this long later it is destroyed regardless. */
export const FATAL_CLOSE_GRACE_MS = 1_000;

export interface DaemonTimings {
  helloTimeoutMs: number;
  heartbeatMs: number;
  heartbeatTimeoutMs: number;
}

/** What every connection's handlers share. */
export interface DaemonContext {
  router: Router;
  storage: Storage;
  spawnManager?: SpawnManagerApi;
  timings: DaemonTimings;
  status(): StatusResponse;
}
