import { io, type Socket } from 'socket.io-client';
import type { AttachResult, ClientToServerEvents, ServerToClientEvents } from '../lib/realtime/events';
import type { WorkerInfo } from '../lib/protocol';
import type { RunningServer } from './server';

/** The product's public surfaces as the bench uses them: HTTP API spawn/release, socket.io viewers. */

export type Viewer = Socket<ServerToClientEvents, ClientToServerEvents>;

/** No request may hang the bench: a release with a 5 s grace period is the slowest legitimate one. */
const HTTP_TIMEOUT_MS = 30_000;

export interface SpawnBody {
  name: string;
  cli: string;
  args?: string[];
  cols?: number;
  rows?: number;
  env?: Record<string, string>;
  cwd?: string;
  worktree?: boolean;
}

export async function spawnWorker(server: Pick<RunningServer, 'origin' | 'headers'>, body: SpawnBody): Promise<WorkerInfo> {
  const res = await fetch(`${server.origin}/api/workers`, { method: 'POST', headers: server.headers, body: JSON.stringify(body), signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
  const json = (await res.json()) as WorkerInfo & { error?: { code: string; message: string } };
  if (res.status !== 201) throw new Error(`POST /api/workers ${body.name} -> ${res.status} ${json.error?.code}: ${json.error?.message}`);
  return json;
}

export async function releaseWorker(server: Pick<RunningServer, 'origin' | 'headers'>, name: string, force = false): Promise<void> {
  const res = await fetch(`${server.origin}/api/workers/${encodeURIComponent(name)}${force ? '?force=1' : ''}`, { method: 'DELETE', headers: server.headers, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
  if (!res.ok) {
    const text = await res.text();
    throw new Error(`DELETE /api/workers/${name} -> ${res.status} ${text}`);
  }
  await res.arrayBuffer().catch(() => undefined);
}

/** Release every worker the server lists (force), so one section leaves a clean server for the next. */
export async function releaseAll(server: Pick<RunningServer, 'origin' | 'headers'>): Promise<void> {
  const res = await fetch(`${server.origin}/api/workers`, { headers: server.headers, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
  const { workers } = (await res.json()) as { workers: WorkerInfo[] };
  const live = workers.filter((w) => w.status !== 'exited');
  for (let i = 0; i < live.length; i += 16) {
    await Promise.all(live.slice(i, i + 16).map((w) => releaseWorker(server, w.name, true).catch(() => undefined)));
  }
}

/** `timeoutMs`: longer only where the server runs under valgrind (bench/output-path-cost.ts). */
export async function connectViewer(server: { origin: string; token: string }, timeoutMs = 10_000): Promise<Viewer> {
  const socket: Viewer = io(server.origin, {
    auth: { token: server.token },
    extraHeaders: { Origin: server.origin },
    transports: ['websocket'],
    reconnection: false,
  });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`socket.io connect timed out after ${timeoutMs / 1000} s`)), timeoutMs);
    socket.once('connect', () => {
      clearTimeout(t);
      resolve();
    });
    socket.once('connect_error', (err) => {
      clearTimeout(t);
      reject(new Error(`socket.io connect failed: ${err.message}`));
    });
  });
  return socket;
}

export async function attach(viewer: Viewer, name: string, since?: number, timeoutMs = 10_000): Promise<AttachResult> {
  const result = await viewer.timeout(timeoutMs).emitWithAck('worker:attach', since === undefined ? { name } : { name, since });
  if (!result.ok) throw new Error(`worker:attach ${name} failed: ${result.error?.code} ${result.error?.message}`);
  return result;
}

/** Take the driver's seat if the server wants an explicit one; ignored when the first viewer already drives. */
export async function drive(viewer: Viewer, name: string, timeoutMs = 5_000): Promise<void> {
  try {
    await viewer.timeout(timeoutMs).emitWithAck('worker:drive', { name });
  } catch {
    /* servers that make the first viewer the driver may not answer */
  }
}
