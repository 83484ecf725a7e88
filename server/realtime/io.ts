import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '../../lib/realtime/events';

/** socket.io's server and one connection, typed with the dashboard's events (lib/realtime/events.ts). */
export type RelayIo = Server<ClientToServerEvents, ServerToClientEvents>;
export type RelaySocket = Socket<ClientToServerEvents, ServerToClientEvents>;
