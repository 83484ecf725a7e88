import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import { DisposableStore, subscribe, toDisposable } from '../../lib/events';
import { DASHBOARD_USER, MAX_INPUT_BYTES } from '../../lib/protocol';
import { FlowControl } from '../../lib/realtime/flow-control';
import type { RelayRuntime } from '../runtime';
import { logger as defaultLogger, type Logger } from '../logger';
import type { RouterEvents } from '../router/types';
import type { SpawnManagerEvents } from '../spawn/types';
import type { WorktreeManagerEvents } from '../worktrees/manager';
import { Drivers, type DriverAuthority } from './drivers';
import type { RelayIo, RelaySocket } from './io';
import { OutputHub, type ViewerSink } from './output-hub';
import { registerViewerHandlers } from './viewer-handlers';

/**
 * socket.io for the dashboard: worker output with offsets and flow control, drive/watch, and the
 * broadcasts that keep the UI fresh without polling. A thin view over the SpawnManager and router,
 * like every other surface. Event shapes: lib/realtime/events.ts. Design: docs/decisions/0002.
 */

/** server/security's handshake decision (createSecurity().authorizeSocketHandshake). */
export type AuthorizeResult = { kind: 'allow' } | { kind: 'deny'; status: number; message: string; code?: string };

export interface RealtimeOptions {
  httpServer: HttpServer;
  runtime: Pick<RelayRuntime, 'router' | 'spawnManager' | 'worktrees'>;
  /**
   * Host/Origin/token checks on the handshake request (server/security). Called with the request
   * alone in `allowRequest`, and again with socket.io's `auth.token` when that was what failed (401).
   */
  authorize: (req: IncomingMessage, authToken?: string) => AuthorizeResult;
  /** In a cluster: drivers of other nodes' workers are kept on their node (server/cluster). */
  driverAuthority?: DriverAuthority;
  logger?: Logger;
}

export interface Realtime {
  io: RelayIo;
  /** Stops socket.io and detaches from the SpawnManager and router; leaves the HTTP server open. */
  close(): Promise<void>;
  /** Per-viewer offsets and coalescing buffer size, for tests and diagnostics. */
  stats(): { viewers: ReturnType<OutputHub['stats']>; pendingBytes: number };
}

export type { RelayIo, RelaySocket };

/** Socket.io messages from the browser are small (keystrokes, pastes up to MAX_INPUT_BYTES as JSON). */
const MAX_CLIENT_MESSAGE_BYTES = MAX_INPUT_BYTES * 2 + 16 * 1024;

export function createRealtime(options: RealtimeOptions): Realtime {
  const { httpServer, runtime, authorize } = options;
  const log = options.logger ?? defaultLogger;
  const { spawnManager, router, worktrees } = runtime;

  const io: RelayIo = new Server(httpServer, {
    path: '/socket.io',
    serveClient: false,
    maxHttpBufferSize: MAX_CLIENT_MESSAGE_BYTES,
    // A missing token is refused in the middleware, after engine.io accepted the connection: drop
    // connections that never join a namespace soon, rather than after socket.io's default 45 s.
    connectTimeout: 10_000,
    // A missing token (401) is left to the middleware below, which also sees `auth.token`;
    // a wrong Host or Origin (403) is refused before any engine.io session exists.
    allowRequest: (req, callback) => {
      let result: AuthorizeResult;
      try {
        result = authorize(req);
      } catch (err) {
        log.error({ err }, 'realtime: authorize threw');
        callback('authorization failed', false);
        return;
      }
      if (result.kind === 'allow' || result.status === 401) callback(null, true);
      else callback(result.message, false);
    },
  });

  io.use((socket, next) => {
    const token = typeof socket.handshake.auth?.token === 'string' ? socket.handshake.auth.token : undefined;
    let result: AuthorizeResult;
    try {
      result = authorize(socket.request, token);
    } catch (err) {
      // A check that throws must still answer the handshake (refused), never leave it hanging.
      log.error({ err }, 'realtime: authorize threw');
      result = { kind: 'deny', status: 500, message: 'The handshake could not be checked; see the server log.', code: 'INTERNAL' };
    }
    if (result.kind === 'allow') return next();
    const error = new Error(result.message) as Error & { data?: unknown };
    error.data = { code: result.code ?? (result.status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN'), status: result.status };
    next(error);
  });

  const hub = new OutputHub(spawnManager, log);
  const drivers = new Drivers(io, options.driverAuthority);

  // Every subscription to the SpawnManager, router and worktrees in one place, undone by close().
  const subscriptions = new DisposableStore();
  let known = new Set(spawnManager.listWorkers().map((w) => w.name));
  subscriptions.add(subscribe<SpawnManagerEvents>(spawnManager, {
    output: (name, chunk, start) => hub.onOutput(name, chunk, start),
    status: (info) => io.emit('worker:status', info),
    exit: (info) => {
      hub.flushWorker(info.name);
      io.emit('worker:exit', info);
    },
    list: (workers) => {
      const now = new Set(workers.map((w) => w.name));
      for (const name of known) {
        if (!now.has(name)) {
          hub.dropWorker(name);
          drivers.forgetWorker(name);
        }
      }
      known = now;
      io.emit('workers', workers);
    },
  }));
  subscriptions.add(subscribe<RouterEvents>(router, {
    message: (message) => io.emit('message', message),
    presence: (event) => io.emit('presence', { name: event.name, online: event.online, entityType: event.entityType, at: event.at }),
  }));
  if (worktrees) {
    subscriptions.add(subscribe<WorktreeManagerEvents>(worktrees, {
      changes: (event) => io.emit('worker:changes', event),
      list: () => io.emit('worktrees', worktrees.list()),
    }));
  }
  // The dashboard's user is a known recipient, so agents can answer what was sent from the composer;
  // its messages reach the browser through the 'message' broadcast above, so delivery has nothing to do.
  const dashboardUser = router.attachLocalAgent(DASHBOARD_USER, { entityType: 'user' }, { deliver: () => {} });
  subscriptions.add(toDisposable(() => dashboardUser.detach()));

  io.on('connection', (socket: RelaySocket) => {
    const sink: ViewerSink = {
      id: socket.id,
      // engine.io's queue of packets not yet handed to the transport (private in its typings).
      transportFull: () => (socket.conn as unknown as { writeBuffer: unknown[] }).writeBuffer.length > FlowControl.MAX_TRANSPORT_PACKETS,
      sendOutput: (name, start, data) => socket.emit('worker:output', name, start, data),
      sendSnapshot: (snapshot) => socket.emit('worker:snapshot', snapshot),
    };
    const onDrain = () => hub.drained(socket.id);
    socket.conn.on('drain', onDrain);
    registerViewerHandlers({ socket, sink, hub, drivers, spawnManager, log });
    socket.on('disconnect', () => {
      socket.conn.off('drain', onDrain);
      hub.detachAll(socket.id);
      drivers.leaveAll(socket.id);
    });
  });

  return {
    io,
    stats: () => ({ viewers: hub.stats(), pendingBytes: hub.pendingBytes() }),
    async close() {
      subscriptions.dispose();
      hub.close();
      io.disconnectSockets(true);
      // Not io.close(): that would also close the HTTP server, which belongs to server/index.ts.
      io.engine.close();
    },
  };
}
