'use client';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../realtime/events';

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
