'use client';
import type { SnapshotEvent } from '../lib/realtime/events';
import { getSocket } from './socket';
import { TerminalSession, type StreamStats } from './terminalSession';

/**
 * One TerminalSession per worker for the page's lifetime, so a pane that re-mounts (focus change, grid
 * change) keeps its screen and resumes from its offset instead of asking for a snapshot. socket.io
 * output is dispatched here once, by worker name, rather than by a listener per pane.
 */
const sessions = new Map<string, TerminalSession>();
let wired = false;

export interface AgentRelayTestHooks {
  streams: Record<string, StreamStats>;
  /** Text in a worker's terminal (scrollback + screen). */
  text(name: string): string;
  /** Whether this page currently drives the worker. */
  driving(name: string): boolean;
  /** The xterm's current size. */
  size(name: string): { cols: number; rows: number } | null;
  socketId(): string | undefined;
}

declare global {
  interface Window {
    __agentRelay?: AgentRelayTestHooks;
  }
}

function toBytes(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new TextEncoder().encode(String(data));
}

function wire() {
  if (wired) return;
  wired = true;
  const socket = getSocket();
  socket.on('worker:output', (name, start, data) => sessions.get(name)?.onOutput(start, toBytes(data)));
  socket.on('worker:snapshot', (event) => sessions.get(event.name)?.onSnapshot(event));
  socket.on('worker:driver', (event) => sessions.get(event.name)?.onDriver(event.driver));
  // After a reconnect the server has forgotten our attachments: resume each from its offset.
  socket.io.on('reconnect', () => {
    for (const s of sessions.values()) if (s.term && s.state.attached) s.attach();
  });
  const streams: Record<string, StreamStats> = {};
  window.__agentRelay = {
    streams: new Proxy(streams, { get: (_t, key) => (typeof key === 'string' ? sessions.get(key)?.stats : undefined) }),
    text: (name) => sessions.get(name)?.text() ?? '',
    driving: (name) => sessions.get(name)?.state.driving ?? false,
    size: (name) => {
      const term = sessions.get(name)?.term;
      return term ? { cols: term.cols, rows: term.rows } : null;
    },
    socketId: () => socket.id,
  };
}

export function getSession(name: string): TerminalSession {
  // Server rendering draws a pane's frame only: no socket, nothing kept between requests.
  if (typeof window === 'undefined') return new TerminalSession(name);
  wire();
  let s = sessions.get(name);
  if (!s) {
    s = new TerminalSession(name);
    sessions.set(name, s);
  }
  return s;
}

export function peekSession(name: string): TerminalSession | undefined {
  return sessions.get(name);
}

/** Screens rendered into the page by the server: each is drawn when its terminal opens, then output resumes after it. */
export function primeScreens(screens: SnapshotEvent[]): void {
  if (typeof window === 'undefined') return;
  for (const screen of screens) getSession(screen.name).prime(screen);
}

/** Forget a worker's terminal (it was removed from the list). */
export function dropSession(name: string): void {
  sessions.get(name)?.dispose();
  sessions.delete(name);
}
