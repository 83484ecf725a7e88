import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import { afterEach, beforeEach } from 'vitest';
import type { AttachResult, ClientToServerEvents, ServerToClientEvents, SnapshotEvent } from '../../lib/realtime/events';
import { createRealtime, type Realtime } from '../../server/realtime';
import { createRouter } from '../../server/router';
import { createSecurity } from '../../server/security';
import { createSpawnManager } from '../../server/spawn';
import { openStorage } from '../../server/storage';

/**
 * A real stack for realtime tests: in-memory SQLite storage, the router, the SpawnManager with real
 * PTYs, an HTTP server carrying createRealtime, and socket.io clients in this process.
 */

export const TOKEN = 'test-token';
export type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface Stack {
  dir: string;
  port: number;
  realtime: Realtime;
  spawnManager: ReturnType<typeof createSpawnManager>;
  router: ReturnType<typeof createRouter>;
  client(options?: { token?: string; origin?: string }): Client;
  close(): Promise<void>;
}

export async function startStack(): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'relay-rt-'));
  process.env.AGENT_RELAY_HOME = join(dir, 'home');
  const dataDir = join(dir, '.agent-relay');
  const storage = openStorage({ driver: 'memory' });
  const router = createRouter({ storage });
  const spawnManager = createSpawnManager({ router, store: storage, projectRoot: dir, dataDir, socketPath: join(dataDir, 'relay.sock') });
  const httpServer: Server = createServer();
  // The server's own checks (Host, Origin, token), bound to the port once it is known.
  let port = 0;
  const security = createSecurity({ token: TOKEN, host: '127.0.0.1', port: () => port });
  const realtime = createRealtime({ httpServer, runtime: { router, spawnManager }, authorize: security.authorizeSocketHandshake });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  port = (httpServer.address() as AddressInfo).port;
  const clients: Client[] = [];
  return {
    dir,
    port,
    realtime,
    spawnManager,
    router,
    client(options = {}) {
      const socket: Client = connect(`http://127.0.0.1:${port}`, {
        path: '/socket.io',
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
        auth: options.token === undefined ? { token: TOKEN } : { token: options.token },
        extraHeaders: options.origin ? { origin: options.origin } : undefined,
      });
      clients.push(socket);
      return socket;
    },
    async close() {
      for (const c of clients) c.disconnect();
      await spawnManager.releaseAll();
      await realtime.close();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      (router as { close?: () => void }).close?.();
      storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A fresh stack for each test of the file that calls this (started before, closed after; `setup`
 * runs once it is up). The object returned always reads the current test's stack.
 */
export function useStack(setup?: (stack: Stack) => Promise<void>): Stack {
  let current: Stack | undefined;
  beforeEach(async () => {
    current = await startStack();
    await setup?.(current);
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  const get = (): Stack => {
    if (!current) throw new Error('The stack exists only while a test runs.');
    return current;
  };
  return {
    get dir() {
      return get().dir;
    },
    get port() {
      return get().port;
    },
    get realtime() {
      return get().realtime;
    },
    get spawnManager() {
      return get().spawnManager;
    },
    get router() {
      return get().router;
    },
    client: (options) => get().client(options),
    close: () => get().close(),
  };
}

/** `worker:attach` with its reply. */
export function attach(socket: Client, target: string | { name: string; since?: number }): Promise<AttachResult> {
  const payload = typeof target === 'string' ? { name: target } : target;
  return new Promise((resolve) => socket.emit('worker:attach', payload, resolve));
}

export function connected(socket: Client): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.connected) return resolve();
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err) => reject(err));
  });
}

export async function until<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * What a terminal view holds: a snapshot (if any) plus contiguous output from its offset. Throws
 * (fails the test) on a duplicate or a gap between frames.
 */
export class ViewRecorder {
  snapshots: SnapshotEvent[] = [];
  bytes: Buffer[] = [];
  start: number | undefined;
  next: number | undefined;
  frames = 0;
  problems: string[] = [];

  constructor(readonly socket: Client, readonly name: string, since?: number) {
    if (since !== undefined) this.start = this.next = since;
    socket.on('worker:snapshot', (snap) => {
      if (snap.name !== name) return;
      this.snapshots.push(snap);
      this.bytes = [];
      this.start = this.next = snap.offset;
    });
    socket.on('worker:output', (worker, start, data) => {
      if (worker !== name) return;
      this.frames++;
      if (this.next === undefined) this.problems.push(`frame at ${start} before any snapshot`);
      else if (start !== this.next) this.problems.push(`frame at ${start}, expected ${this.next}`);
      this.bytes.push(Buffer.from(data));
      this.next = start + data.byteLength;
    });
  }

  /** The last bytes received, as text (cheap to poll during a flood). */
  tail(bytes = 256): string {
    const last = this.bytes.slice(-4);
    const buf = Buffer.concat(last);
    return buf.subarray(Math.max(0, buf.length - bytes)).toString('utf8');
  }

  get text(): string {
    return Buffer.concat(this.bytes).toString('utf8');
  }

  get received(): number {
    return this.next === undefined || this.start === undefined ? 0 : this.next - this.start;
  }
}
