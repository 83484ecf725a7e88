'use client';
import { io, type Socket } from 'socket.io-client';
import { subscribe, type Disposable, type Handlers, type Subscribable } from '../lib/events';
import type { ClientToServerEvents, ServerToClientEvents } from '../lib/realtime/events';

export type RelaySocket = Socket<ServerToClientEvents, ClientToServerEvents>;

let socket: RelaySocket | null = null;

/**
 * The page's one socket.io connection (same origin, path /socket.io). The HttpOnly auth cookie set by
 * `?token=` rides along with the handshake, so no token is handled in page code.
 */
export function getSocket(): RelaySocket {
  if (!socket) {
    socket = io({ path: '/socket.io', withCredentials: true, transports: ['websocket', 'polling'] });
  }
  return socket;
}

/**
 * Subscribes a map of server events (lib/realtime/events.ts) on a socket; one `dispose()` unsubscribes
 * exactly those. socket.io types its own `on` through conditional types that TypeScript cannot match
 * against a listener map, hence the one cast: the handlers are checked against ServerToClientEvents.
 */
export function onServerEvents(socket: RelaySocket, handlers: Handlers<ServerToClientEvents>): Disposable {
  return subscribe<ServerToClientEvents>(socket as unknown as Subscribable<ServerToClientEvents>, handlers);
}
